"""The logging pages without JavaScript: home, one form per type, create/edit, list, detail."""
import re
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from app.activities.models import Activity
from app.core.clock import today
from app.units.queries import predecessors
from tests.activities_helpers import LEGACY_DAY, commune_pair, other_current_commune
from tests.factories import HAI_PHONG, login, make_activity, make_plan, make_task, make_user


def _count(session) -> int:
    session.expire_all()
    return session.execute(select(func.count()).select_from(Activity)).scalar_one()


def _setup(client, session):
    legacy, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="to_ha", full_name="Lê Thị Thu Hà")
    csrf = login(client, user)
    return user, csrf, legacy, current


def _hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def _form(page: str, csrf: str, **fields) -> dict:
    data = {"csrf_token": csrf, "id": _hidden(page, "id"), "type": _hidden(page, "type"),
            "title": "Phát thanh tuyên truyền giảm nghèo", "start_date": today().isoformat(),
            "unit_id": re.search(r'<option value="(\d+)" selected', page).group(1),
            "details.channel": "commune_loudspeaker", "airings": "2", "minutes_per_airing": "15",
            "status": "submitted"}
    data.update(fields)
    return data


def test_home_offers_quick_buttons_and_shows_returned_entries_first_with_the_comment(client, session):
    user, _, _, current = _setup(client, session)
    make_activity(session, current.id, user=user, start_date=today(), status="returned",
                  title="Phát thanh tháng 11", review_comment="Thiếu ảnh minh chứng")
    page = client.get("/activities/home").text
    assert page.index("Cần sửa") < page.index("Ghi nhanh")
    assert "Thiếu ảnh minh chứng" in page
    assert 'href="/activities/new?type=broadcast">Phát thanh</a>' in page


def test_the_broadcast_form_shows_only_broadcast_fields_with_defaults(client, session):
    user, _, _, current = _setup(client, session)
    page = client.get("/activities/new", params={"type": "broadcast"}).text
    assert 'name="airings"' in page and 'name="details.channel"' in page
    assert 'name="sessions"' not in page and 'name="participants"' not in page
    assert f'<option value="{current.id}" selected' in page
    assert f'value="{today().isoformat()}"' in page
    assert '<form id="activity-form" method="post" action="/activities" enctype="multipart/form-data" data-offline' in page
    assert uuid.UUID(_hidden(page, "id")).version == 4
    assert 'accept="image/*" capture="environment" multiple' in page


def test_the_form_offers_the_legacy_commune_for_a_date_before_july_2025(client, session):
    _, _, legacy, current = _setup(client, session)
    fragment = client.get("/activities/choices", params={"type": "broadcast", "start_date": LEGACY_DAY,
                                                          "unit_id": str(current.id)},
                          headers={"HX-Request": "true"}).text
    selected = int(re.search(r'<option value="(\d+)" selected', fragment).group(1))
    assert selected in {p.id for p in predecessors(session, current)}
    assert f'value="{legacy.id}"' in fragment and f'value="{current.id}"' not in fragment


def test_one_post_logs_and_submits_a_broadcast_and_a_retry_leaves_one_record(client, session):
    _, csrf, _, _ = _setup(client, session)
    page = client.get("/activities/new?type=broadcast").text
    data = _form(page, csrf)
    response = client.post("/activities", data=data, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/activities/home?saved=")
    again = client.post("/activities", data=data, follow_redirects=False)
    assert again.status_code == 303
    assert _count(session) == 1
    stored = session.execute(select(Activity)).scalars().one()
    assert stored.status == "submitted" and stored.minutes == 30 and str(stored.id) == data["id"]
    assert "Đã gửi" in client.get(response.headers["location"]).text


def test_a_validation_error_answers_422_keeping_every_typed_value(client, session):
    _, csrf, _, _ = _setup(client, session)
    page = client.get("/activities/new?type=broadcast").text
    data = _form(page, csrf, airings="abc", minutes_per_airing="20", title="Bản tin chiều",
                 **{"details.programme_title": "Chuyên mục giảm nghèo"})
    response = client.post("/activities", data=data)
    assert response.status_code == 422
    assert "Phải là số nguyên." in response.text
    for kept in ('value="abc"', 'value="20"', 'value="Bản tin chiều"', 'value="Chuyên mục giảm nghèo"',
                 f'value="{data["id"]}"'):
        assert kept in response.text
    assert _count(session) == 0


def test_the_form_answers_json_for_the_offline_app(client, session):
    _, csrf, _, _ = _setup(client, session)
    page = client.get("/activities/new?type=broadcast").text
    data = _form(page, csrf)
    headers = {"Accept": "application/json"}
    assert client.post("/activities", data=data, headers=headers).status_code == 201
    assert client.post("/activities", data=data, headers=headers).status_code == 200
    conflict = client.post("/activities", data={**data, "airings": "9"}, headers=headers)
    assert conflict.status_code == 409 and conflict.json()["current"]["airings"] == 2
    invalid = client.post("/activities", data={**_form(page, csrf), "id": str(uuid.uuid4()),
                                               "participants_women": "3", "start_date": "2099-01-01"},
                          headers=headers)
    assert invalid.status_code == 422
    assert {e["path"] for e in invalid.json()["errors"]} == {"start_date", "participants_women"}


def test_a_stale_edit_from_the_form_answers_409_with_the_current_record(client, session):
    user, csrf, _, current = _setup(client, session)
    activity = make_activity(session, current.id, user=user, start_date=today(), airings=2, minutes_per_airing=10,
                             details={"channel": "commune_loudspeaker"})
    page = client.get(f"/activities/{activity.id}/edit").text
    assert 'name="version" value="1"' in page
    data = _form(page, csrf, status="draft", version="1", airings="3")
    assert client.post(f"/activities/{activity.id}", data=data, follow_redirects=False).status_code == 303
    stale = client.post(f"/activities/{activity.id}", data={**data, "airings": "4"},
                        headers={"Accept": "application/json"})
    assert stale.status_code == 409
    assert stale.json()["current"]["airings"] == 3 and stale.json()["current"]["version"] == 2


def test_log_again_copies_a_past_entry_to_today(client, session):
    user, _, _, current = _setup(client, session)
    old = make_activity(session, current.id, user=user, start_date=today() - timedelta(days=20), airings=3,
                        minutes_per_airing=25, title="Bản tin giảm nghèo hằng tuần",
                        details={"channel": "province_radio"})
    page = client.get(f"/activities/new?copy={old.id}").text
    assert 'value="Bản tin giảm nghèo hằng tuần"' in page and 'value="25"' in page
    assert f'value="{today().isoformat()}"' in page and _hidden(page, "id") != str(old.id)
    assert '<option value="province_radio" selected' in page


def test_the_form_defaults_to_the_last_task_channel_and_minutes(client, session):
    user, _, _, current = _setup(client, session)
    plan = make_plan(session, HAI_PHONG, period_start=today() - timedelta(days=30),
                     period_end=today() + timedelta(days=30))
    task = make_task(session, plan, unit_ids=(current.id,), activity_types=["broadcast"])
    make_activity(session, current.id, user=user, start_date=today(), airings=4, minutes_per_airing=12,
                  details={"channel": "province_radio"}, task_ids=(task.id,))
    page = client.get("/activities/new?type=broadcast").text
    assert f'name="task_ids" value="{task.id}" checked' in page
    assert '<option value="province_radio" selected' in page and 'value="12"' in page


def test_the_list_filters_by_status_and_answers_the_rows_fragment_to_htmx(client, session):
    user, _, _, current = _setup(client, session)
    make_activity(session, current.id, user=user, start_date=today(), title="Nháp phát thanh")
    make_activity(session, current.id, user=user, start_date=today(), title="Đã gửi phát thanh", status="submitted")
    page = client.get("/activities", params={"status": "submitted"}, headers={"HX-Request": "true"}).text
    assert page.strip().startswith('<div id="activity-rows">') and "Đã gửi phát thanh" in page
    assert "Nháp phát thanh" not in page


def test_drafts_can_be_deleted_and_submitted_entries_cannot(client, session):
    user, csrf, _, current = _setup(client, session)
    draft = make_activity(session, current.id, user=user, start_date=today())
    sent = make_activity(session, current.id, user=user, start_date=today(), status="submitted")
    detail = client.get(f"/activities/{sent.id}").text
    assert "Xóa" not in detail and "Ghi thêm giống mục này" in detail
    assert client.post(f"/activities/{sent.id}/delete", data={"csrf_token": csrf}).status_code == 409
    assert client.post(f"/activities/{draft.id}/delete", data={"csrf_token": csrf},
                       follow_redirects=False).status_code == 303
    assert _count(session) == 1


def test_another_communes_entries_are_not_found(client, session):
    _, _, _, current = _setup(client, session)
    other = other_current_commune(session, current.id)
    theirs = make_activity(session, other.id, start_date=today())
    assert client.get(f"/activities/{theirs.id}").status_code == 404


def test_a_reporter_cannot_log_for_another_commune_through_the_form(client, session):
    _, csrf, _, current = _setup(client, session)
    other = other_current_commune(session, current.id)
    page = client.get("/activities/new?type=broadcast").text
    response = client.post("/activities", data=_form(page, csrf, unit_id=str(other.id)))
    assert response.status_code == 422 and "Đơn vị này không thuộc phạm vi của bạn." in response.text
    assert _count(session) == 0


def test_a_viewer_is_not_offered_the_logging_form(client, session):
    _, current = commune_pair(session)
    login(client, make_user(session, "viewer", current.id, username="chi_xem"))
    assert client.get("/activities/new?type=broadcast").status_code == 403


def test_thousand_separators_are_read_and_a_decimal_is_refused_keeping_the_typed_text(client, session):
    _, csrf, _, _ = _setup(client, session)
    page = client.get("/activities/new?type=broadcast").text
    data = _form(page, csrf, cost_local_vnd="150000,5")
    response = client.post("/activities", data=data)
    assert response.status_code == 422
    assert 'value="150000,5"' in response.text and "Phải là số nguyên." in response.text
    assert _count(session) == 0
    saved = client.post("/activities", data={**data, "cost_local_vnd": "1.500.000", "cost_central_vnd": "2 000 000"},
                        follow_redirects=False)
    assert saved.status_code == 303
    stored = session.execute(select(Activity)).scalars().one()
    assert (stored.cost_local_vnd, stored.cost_central_vnd, stored.cost_vnd) == (1_500_000, 2_000_000, 3_500_000)


def test_a_stale_edit_on_the_page_keeps_what_was_typed_and_saving_again_overwrites(client, session):
    user, csrf, _, current = _setup(client, session)
    activity = make_activity(session, current.id, user=user, start_date=today(), airings=2, minutes_per_airing=10,
                             details={"channel": "commune_loudspeaker"})
    page = client.get(f"/activities/{activity.id}/edit").text
    data = _form(page, csrf, status="draft", version="1", airings="3")
    assert client.post(f"/activities/{activity.id}", data=data, follow_redirects=False).status_code == 303
    stale = client.post(f"/activities/{activity.id}", data={**data, "airings": "4", "title": "Bản tin sửa trên máy khác"})
    assert stale.status_code == 409
    assert "đã được sửa ở nơi khác" in stale.text
    assert 'value="4"' in stale.text and 'value="Bản tin sửa trên máy khác"' in stale.text
    assert 'name="version" value="2"' in stale.text
    again = client.post(f"/activities/{activity.id}", data={**data, "airings": "4", "version": "2"},
                        follow_redirects=False)
    assert again.status_code == 303
    session.expire_all()
    assert session.get(Activity, activity.id).airings == 4


def test_log_again_of_an_entry_before_the_reorganisation_offers_the_commune_that_took_it_over(client, session):
    from datetime import date

    user, _, legacy, current = _setup(client, session)
    old = make_activity(session, legacy.id, user=user, start_date=date(2024, 5, 10), airings=1, minutes_per_airing=15,
                        details={"channel": "commune_loudspeaker"})
    page = client.get(f"/activities/new?copy={old.id}").text
    assert f'<option value="{current.id}" selected' in page
    assert f'value="{today().isoformat()}"' in page
