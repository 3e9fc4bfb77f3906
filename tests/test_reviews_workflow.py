"""The review cycle: who may approve, return and reopen which entries, and what each step leaves behind."""
from datetime import date

import pytest
from sqlalchemy import select

from app import access
from app.activities import services as activity_services
from app.activities.models import Activity
from app.audit.models import AuditEntry
from tests.dashboards_helpers import make_village, other_current_commune
from tests.factories import HAI_PHONG, NINH_BINH, login, make_activity, make_user, token


@pytest.fixture
def unit_tree(session):
    commune = other_current_commune(session)
    village = make_village(session, commune)
    return commune, village


def submitted(session, unit_id, reporter=None, **kw):
    return make_activity(session, unit_id, user=reporter, status="submitted", start_date=date(2026, 3, 2), **kw)


def status_of(session, activity):
    session.expire_all()
    return session.get(Activity, activity.id).status


def test_a_province_reviewer_approves_a_commune_entry_and_it_is_audited(session, client, unit_tree):
    commune, _ = unit_tree
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp")
    entry = submitted(session, commune.id)
    response = client.post(f"/api/v1/activities/{entry.id}/approve", headers=token(client, reviewer))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "approved"
    assert response.json()["reviewed_by_id"] == reviewer.id
    audit = session.execute(select(AuditEntry).where(AuditEntry.entity_id == str(entry.id))).scalars().one()
    assert (audit.action, audit.user_id) == ("approve", reviewer.id)
    assert audit.changes["status"] == {"before": "submitted", "after": "approved"}


@pytest.mark.parametrize("role", ["reporter", "viewer"])
def test_reporters_and_viewers_cannot_approve_or_return(session, client, unit_tree, role):
    commune, _ = unit_tree
    user = make_user(session, role, commune.id, username=f"{role}_xa")
    entry = submitted(session, commune.id, reporter=user if role == "reporter" else None)
    headers = token(client, user)
    assert client.post(f"/api/v1/activities/{entry.id}/approve", headers=headers).status_code == 403
    assert client.post(f"/api/v1/activities/{entry.id}/return", json={"comment": "Sai số liệu"},
                       headers=headers).status_code == 403
    assert status_of(session, entry) == "submitted"


def test_a_commune_reviewer_reviews_its_villages_but_not_its_own_commune_entries(session, client, unit_tree):
    commune, village = unit_tree
    reviewer = make_user(session, "reviewer", commune.id, username="duyet_xa")
    own, below = submitted(session, commune.id), submitted(session, village.id)
    headers = token(client, reviewer)
    assert client.post(f"/api/v1/activities/{own.id}/approve", headers=headers).status_code == 403
    assert client.post(f"/api/v1/activities/{below.id}/approve", headers=headers).status_code == 200


def test_province_level_work_is_reviewed_by_the_province_itself(session, client):
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp")
    entry = submitted(session, HAI_PHONG)
    assert client.post(f"/api/v1/activities/{entry.id}/approve", headers=token(client, reviewer)).status_code == 200


def test_a_reviewer_of_another_province_does_not_even_see_the_entry(session, client, unit_tree):
    commune, _ = unit_tree
    outsider = make_user(session, "reviewer", NINH_BINH, username="duyet_nb")
    entry = submitted(session, commune.id)
    assert client.post(f"/api/v1/activities/{entry.id}/approve", headers=token(client, outsider)).status_code == 404


def test_an_admin_may_approve_anything_submitted_but_not_a_draft(session, client, unit_tree):
    commune, _ = unit_tree
    admin = make_user(session, "admin", None, username="quan_tri")
    draft = make_activity(session, commune.id, status="draft")
    entry = submitted(session, commune.id)
    headers = token(client, admin)
    assert client.post(f"/api/v1/activities/{entry.id}/approve", headers=headers).status_code == 200
    response = client.post(f"/api/v1/activities/{draft.id}/approve", headers=headers)
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "invalid_state"


def test_returning_needs_a_comment_which_the_author_then_sees(session, client, unit_tree):
    commune, _ = unit_tree
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp")
    entry = submitted(session, commune.id)
    headers = token(client, reviewer)
    for body, path in (({}, "body.comment"), ({"comment": "   "}, "body.comment"), (None, "body")):
        response = client.post(f"/api/v1/activities/{entry.id}/return", json=body, headers=headers)
        assert response.status_code == 422
        assert response.json()["errors"][0]["path"] == path
    response = client.post(f"/api/v1/activities/{entry.id}/return", json={"comment": "Thiếu ảnh minh chứng"},
                           headers=headers)
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["review_comment"]) == ("returned", "Thiếu ảnh minh chứng")


def test_a_returned_entry_can_be_corrected_and_submitted_again(session, unit_tree):
    from app.reviews import services

    commune, _ = unit_tree
    reporter = make_user(session, "reporter", commune.id, username="ghi_xa")
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp")
    entry = submitted(session, commune.id, reporter=reporter)
    services.return_activity(session, entry, "Số người tham gia chưa đúng", user=reviewer)
    activity_services.submit_activity(session, entry, user=reporter)
    services.approve_activity(session, entry, user=reviewer)
    actions = session.execute(select(AuditEntry.action).where(AuditEntry.entity_id == str(entry.id))
                              .order_by(AuditEntry.id)).scalars().all()
    assert actions == ["return", "submit", "approve"]


def test_an_approved_entry_is_locked_until_a_reviewer_reopens_it_with_a_reason(session, client, unit_tree):
    commune, _ = unit_tree
    reporter = make_user(session, "reporter", commune.id, username="ghi_xa")
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp")
    entry = make_activity(session, commune.id, user=reporter, status="approved")
    reporter_headers, reviewer_headers = token(client, reporter), token(client, reviewer)
    assert client.patch(f"/api/v1/activities/{entry.id}", json={"title": "Sửa lại", "version": entry.version},
                        headers=reporter_headers).status_code == 403
    assert client.post(f"/api/v1/activities/{entry.id}/reopen", json={"reason": "Cần sửa"},
                       headers=reporter_headers).status_code == 403
    response = client.post(f"/api/v1/activities/{entry.id}/reopen", json={}, headers=reviewer_headers)
    assert response.status_code == 422 and response.json()["errors"][0]["path"] == "body.reason"
    response = client.post(f"/api/v1/activities/{entry.id}/reopen", json={"reason": "Nhầm đơn vị tổ chức"},
                           headers=reviewer_headers)
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["review_comment"]) == ("returned", "Nhầm đơn vị tổ chức")
    session.expire_all()
    assert access.can_edit_activity(reporter, session.get(Activity, entry.id))  # unlocked for its author
    again = client.post(f"/api/v1/activities/{entry.id}/reopen", json={"reason": "Lần nữa"}, headers=reviewer_headers)
    assert again.status_code == 409


def test_bulk_approval_answers_per_id_and_approves_what_it_may(session, client, unit_tree):
    commune, _ = unit_tree
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp")
    ok1, ok2 = submitted(session, commune.id), submitted(session, commune.id)
    draft = make_activity(session, commune.id, status="draft")
    elsewhere = submitted(session, NINH_BINH)
    ids = [str(ok1.id), str(draft.id), str(elsewhere.id), "khong-phai-ma", str(ok2.id)]
    response = client.post("/api/v1/activities/approve", json={"ids": ids}, headers=token(client, reviewer))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["approved"] == 2
    assert [(r["ok"], r.get("code")) for r in body["results"]] == [
        (True, None), (False, "invalid_state"), (False, "not_found"), (False, "invalid_id"), (True, None)]
    assert status_of(session, ok2) == "approved" and status_of(session, draft) == "draft"
    assert client.post("/api/v1/activities/approve", json={}, headers=token(client, reviewer)).status_code == 422


def test_the_queue_page_lists_what_waits_and_approves_the_ticked_entries(session, client, unit_tree):
    commune, _ = unit_tree
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp")
    first = submitted(session, commune.id, title="Phát thanh về chính sách bảo hiểm y tế")
    second = submitted(session, commune.id, title="Tập huấn cán bộ thôn")
    make_activity(session, commune.id, status="draft", title="Bản nháp chưa gửi")
    csrf = login(client, reviewer)
    page = client.get("/reviews")
    assert page.status_code == 200
    assert "Phát thanh về chính sách bảo hiểm y tế" in page.text and "Bản nháp chưa gửi" not in page.text
    response = client.post("/reviews/approve", data={"csrf_token": csrf, "ids": [str(first.id)]},
                           follow_redirects=False)
    assert response.status_code == 303
    assert status_of(session, first) == "approved" and status_of(session, second) == "submitted"
    assert "Đã duyệt 1 hoạt động" in client.get(response.headers["location"]).text


def test_approve_all_of_a_filtered_list_leaves_other_types_waiting(session, client, unit_tree):
    commune, _ = unit_tree
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp")
    broadcasts = [submitted(session, commune.id, type="broadcast") for _ in range(3)]
    training = submitted(session, commune.id, type="training")
    csrf = login(client, reviewer)
    ask = client.post("/reviews/approve", data={"csrf_token": csrf, "all": "1", "type": "broadcast"},
                      follow_redirects=False)
    assert ask.status_code == 200 and "Duyệt 3 hoạt động?" in ask.text and "Phát thanh, truyền hình" in ask.text
    assert [status_of(session, b) for b in broadcasts] == ["submitted"] * 3, "nothing is approved before confirming"
    response = client.post("/reviews/approve", data={"csrf_token": csrf, "all": "1", "type": "broadcast",
                                                     "confirm": "1"}, follow_redirects=False)
    assert response.status_code == 303 and "type=broadcast" in response.headers["location"]
    assert [status_of(session, b) for b in broadcasts] == ["approved"] * 3
    assert status_of(session, training) == "submitted"


def test_returning_one_row_with_htmx_replaces_the_row_and_keeps_the_typed_text_on_error(session, client, unit_tree):
    commune, _ = unit_tree
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp")
    entry = submitted(session, commune.id)
    csrf = login(client, reviewer)
    headers = {"HX-Request": "true"}
    missing = client.post(f"/reviews/{entry.id}/return", data={"csrf_token": csrf, "comment": " "}, headers=headers)
    assert missing.status_code == 422
    assert missing.text.lstrip().startswith("<tr") and "Cần ghi lý do trả lại" in missing.text
    done = client.post(f"/reviews/{entry.id}/return", data={"csrf_token": csrf, "comment": "Ảnh bị mờ"},
                       headers=headers)
    assert done.status_code == 200 and "Đã trả lại" in done.text and "Ảnh bị mờ" in done.text
    assert status_of(session, entry) == "returned"


def test_returning_without_javascript_and_without_a_comment_shows_the_error_in_the_page(session, client, unit_tree):
    commune, _ = unit_tree
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp")
    entry = submitted(session, commune.id)
    csrf = login(client, reviewer)
    response = client.post(f"/reviews/{entry.id}/return", data={"csrf_token": csrf, "comment": ""})
    assert response.status_code == 422
    assert "Cần ghi lý do trả lại" in response.text and "<html" in response.text
    ok = client.post(f"/reviews/{entry.id}/return", data={"csrf_token": csrf, "comment": "Sai ngày"},
                     follow_redirects=False)
    assert ok.status_code == 303


def test_a_reporter_is_refused_the_queue(session, client, unit_tree):
    commune, _ = unit_tree
    reporter = make_user(session, "reporter", commune.id, username="ghi_xa")
    login(client, reporter)
    assert client.get("/reviews").status_code == 403
