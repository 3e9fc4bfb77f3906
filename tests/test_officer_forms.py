"""The commune officer's logging form offers what fits the entry: tasks expecting its type first,
the commune's own bodies first, the units and channels that existed on its date."""
import re
from datetime import date, timedelta

from sqlalchemy import select

from app.activities.models import Activity
from app.agencies.models import AgencyKind
from app.core.clock import today
from tests.activities_helpers import commune_pair
from tests.factories import HAI_DUONG, HAI_PHONG, login, make_activity, make_agency, make_plan, make_task, make_user


def _plan_now(session):
    return make_plan(session, HAI_PHONG, period_start=today() - timedelta(days=60),
                     period_end=today() + timedelta(days=60))


def test_a_training_form_offers_tasks_expecting_trainings_first_and_never_preselects_the_loudspeaker_task(
        client, session):
    _, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="to_ha")
    plan = _plan_now(session)
    loudspeaker = make_task(session, plan, unit_ids=(current.id,), title="Phát thanh trên loa truyền thanh xã",
                            activity_types=["broadcast"])
    training = make_task(session, plan, unit_ids=(current.id,), title="Tập huấn cán bộ giảm nghèo",
                         activity_types=["training", "dialogue"], position=1)
    # The last training was (wrongly) linked to the loudspeaker task: that is no default.
    make_activity(session, current.id, user=user, type="training", sessions=1, start_date=today(),
                  task_ids=(loudspeaker.id,))
    login(client, user)
    page = client.get("/activities/new", params={"type": "training"}).text
    assert page.index(training.title) < page.index("Nhiệm vụ khác (1)") < page.index(loudspeaker.title)
    assert f'value="{training.id}" checked' in page and f'value="{loudspeaker.id}" checked' not in page
    assert "(không giao loại này)" in page.split(loudspeaker.title)[1][:60]
    talk = client.get("/activities/new", params={"type": "talk"}).text
    assert f'value="{training.id}" checked' not in talk and f'value="{loudspeaker.id}" checked' not in talk
    assert 'name="task_ids" value="" checked' in talk


def test_the_communes_own_bodies_come_first_and_only_those_existing_on_the_date(client, session):
    legacy, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="to_ha")
    department = make_agency(session, HAI_PHONG, "Sở Nông nghiệp và Môi trường thành phố Hải Phòng",
                             short_name="Sở NN&MT")
    office = make_agency(session, current.id, "Phòng Văn hóa - Xã hội " + current.name, short_name="Phòng VH-XH",
                         kind=AgencyKind.other, valid_from=date(2025, 7, 1))
    front = make_agency(session, current.id, "Ủy ban Mặt trận Tổ quốc " + current.name, short_name="Mặt trận xã",
                        kind=AgencyKind.mass_organisation, valid_from=date(2025, 7, 1))
    official = make_agency(session, legacy.id, "Công chức văn hóa - xã hội " + legacy.name,
                           short_name="Công chức VH-XH", kind=AgencyKind.other, valid_to=date(2025, 6, 30))
    login(client, user)
    page = client.get("/activities/new", params={"type": "talk"}).text
    select_html = page[page.index('name="agency_id"'):]
    assert select_html.index("Của xã, phường") < select_html.index("Phòng VH-XH") < select_html.index("Mặt trận xã") \
        < select_html.index("Cấp tỉnh, thành phố") < select_html.index("Sở NN&amp;MT")
    assert "Công chức VH-XH" not in page
    before = client.get("/activities/choices", params={"type": "talk", "start_date": "2024-05-10",
                                                       "unit_id": str(legacy.id)}).text
    assert f'value="{official.id}"' in before and f'value="{office.id}"' not in before
    assert f'value="{front.id}"' not in before and department.id


def test_the_officer_of_a_merged_commune_is_offered_the_commune_it_went_into_and_can_log_there(client, session):
    legacy, current = commune_pair(session)
    user = make_user(session, "reporter", legacy.id, username="xa_cu")
    csrf = login(client, user)
    page = client.get("/activities/new", params={"type": "broadcast"}).text
    assert "Không có đơn vị nào vào ngày này" not in page
    assert f'<option value="{current.id}" selected' in page
    assert f"Từ 1/7/2025, {legacy.name} đã nhập vào {current.name}" in page
    response = client.post("/activities", data={
        "csrf_token": csrf, "type": "broadcast", "title": "Phát thanh giảm nghèo", "start_date": today().isoformat(),
        "unit_id": str(current.id), "details.channel": "commune_loudspeaker", "airings": "2",
        "minutes_per_airing": "15", "status": "submitted"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    stored = session.execute(select(Activity)).scalars().one()
    assert stored.unit_id == current.id
    assert client.get(f"/activities/{stored.id}").status_code == 200
    # Before 1/7/2025 the same officer still logs at the legacy commune.
    old = client.get("/activities/choices", params={"type": "broadcast", "start_date": "2024-05-10"}).text
    assert f'<option value="{legacy.id}" selected' in old and "đã nhập vào" not in old


def test_a_form_sent_without_a_unit_says_to_choose_one_and_never_speaks_of_integers(client, session):
    _, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="to_ha")
    csrf = login(client, user)
    response = client.post("/activities", data={
        "csrf_token": csrf, "type": "broadcast", "title": "Phát thanh giảm nghèo", "start_date": today().isoformat(),
        "unit_id": "", "agency_id": "abc", "details.channel": "commune_loudspeaker", "airings": "2",
        "minutes_per_airing": "15", "status": "submitted"})
    assert response.status_code == 422
    assert "Chọn đơn vị thực hiện." in response.text
    messages = re.findall(r'class="field-error"[^>]*>([^<]*)<', response.text)
    assert "Chọn đơn vị thực hiện." in messages and not any("nguyên" in m for m in messages), messages
    assert 'value="Phát thanh giảm nghèo"' in response.text


def test_the_district_radio_is_offered_only_for_dates_before_july_2025(client, session):
    legacy, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="to_ha")
    login(client, user)
    now = client.get("/activities/new", params={"type": "broadcast"}).text
    assert "Đài huyện/cơ sở" not in now and "Loa truyền thanh xã" in now
    before = client.get("/activities/choices", params={"type": "broadcast", "start_date": "2024-05-10"}).text
    assert "Đài huyện/cơ sở" in before and f'value="{legacy.id}"' in before


def test_a_resubmitted_entry_says_it_was_sent_for_review(client, session):
    _, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="to_ha")
    csrf = login(client, user)
    entry = make_activity(session, current.id, user=user, start_date=today(), status="returned", airings=2,
                          minutes_per_airing=10, review_comment="Sai số phút", details={"channel": "commune_loudspeaker"})
    response = client.post(f"/activities/{entry.id}", data={
        "csrf_token": csrf, "type": "broadcast", "title": entry.title, "start_date": today().isoformat(),
        "unit_id": str(current.id), "details.channel": "commune_loudspeaker", "airings": "2",
        "minutes_per_airing": "15", "status": "submitted", "version": str(entry.version)})
    assert response.status_code == 200, response.text
    assert "Đã gửi lại để duyệt" in response.text and "Đã lưu." not in response.text
    assert "2 lần × 15 phút = 30 phút" in response.text
    assert "Ghi thêm giống mục này" in response.text


def test_the_progress_page_has_no_json_link(client, session):
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet")
    login(client, reviewer)
    page = client.get("/progress").text
    assert ">JSON<" not in page and HAI_DUONG


def test_a_plan_drafted_for_2026_offers_no_assignment_to_districts(client, session):
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="thamdinh")
    csrf = login(client, reviewer)
    text = ("ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG\nSố: 15/KH-UBND\nHải Phòng, ngày 10 tháng 1 năm 2026\n"
            "KẾ HOẠCH\nTruyền thông về giảm nghèo bền vững giai đoạn 2026-2030\n"
            "III. TỔ CHỨC THỰC HIỆN\n1. Ủy ban nhân dân các xã, phường\n"
            "Tổ chức phát thanh về giảm nghèo trên loa truyền thanh xã mỗi tuần một lần.\n")
    page = client.post("/plans/import", data={"csrf_token": csrf, "text": text})
    assert page.status_code == 200, page.text
    assert 'name="period_start" value="2026-' in page.text
    assert "Mọi xã của đơn vị" in page.text and "Mọi huyện của đơn vị" not in page.text
