"""The audit trail: every write records who, what and the changed fields; admins read it all,
reviewers the entries of their scope, others nothing."""
from datetime import timedelta

from sqlalchemy import select

from app.audit.models import AuditEntry
from app.core.clock import today, utcnow
from tests.accounts_helpers import people
from tests.factories import login, token


def _rename(client, csrf, target, name):
    response = client.post(f"/admin/users/{target.id}", data={
        "csrf_token": csrf, "full_name": name, "phone": "", "email": "", "role": target.role,
        "unit_id": str(target.unit_id), "agency_id": "", "version": str(target.version)}, follow_redirects=False)
    assert response.status_code == 303


def test_the_audit_page_shows_a_users_last_changes_with_before_and_after(client, session):
    p = people(session)
    csrf = login(client, p["reviewer"])
    _rename(client, csrf, p["reporter"], "Nguyễn Văn An Sửa")
    page = client.get("/audit", params={"user_id": p["reviewer"].id}).text
    assert "Họ tên:" in page
    assert "<del title=\"trước\">Nguyễn Văn An</del> → <ins title=\"sau\">Nguyễn Văn An Sửa</ins>" in page
    assert "Sửa" in page and "người dùng #" in page


def test_roles_and_booleans_read_as_words(client, session):
    p = people(session)
    csrf = login(client, p["admin"])
    client.post(f"/admin/users/{p['viewer'].id}/deactivate", data={"csrf_token": csrf})
    page = client.get("/audit", params={"entity": "user", "entity_id": p["viewer"].id}).text
    assert "Đang hoạt động:" in page and "<del title=\"trước\">có</del> → <ins title=\"sau\">không</ins>" in page


def test_reviewers_see_only_entries_of_their_scope(client, session):
    p = people(session)
    admin = token(client, p["admin"])
    for target, name in ((p["reporter"], "Trong phạm vi"), (p["outsider"], "Ngoài phạm vi")):
        assert client.patch(f"/api/v1/users/{target.id}", json={"full_name": name, "version": 1},
                            headers=admin).status_code == 200
    reviewer = token(client, p["reviewer"])
    items = client.get("/api/v1/audit", params={"entity": "user", "limit": 500}, headers=reviewer).json()["items"]
    ids = {i["entity_id"] for i in items}
    assert str(p["reporter"].id) in ids and str(p["outsider"].id) not in ids
    everything = client.get("/api/v1/audit", params={"entity": "user", "limit": 500}, headers=admin).json()["items"]
    assert str(p["outsider"].id) in {i["entity_id"] for i in everything}


def test_reporters_and_viewers_may_not_read_the_audit(client, session):
    p = people(session)
    for who in ("reporter", "viewer"):
        headers = token(client, p[who])
        assert client.get("/api/v1/audit", headers=headers).status_code == 403
    login(client, p["reporter"])
    assert client.get("/audit").status_code == 403


def test_the_api_filters_by_entity_user_and_date(client, session):
    p = people(session)
    admin = token(client, p["admin"])
    client.patch(f"/api/v1/users/{p['viewer'].id}", json={"phone": "0911222333", "version": 1}, headers=admin)
    old = AuditEntry(user_id=p["admin"].id, entity="user", entity_id=str(p["viewer"].id), action="update",
                     unit_id=p["viewer"].unit_id, changes={"phone": {"before": None, "after": "1"}},
                     at=utcnow() - timedelta(days=40))
    session.add(old)
    session.commit()
    params = {"entity": "user", "entity_id": p["viewer"].id, "user_id": p["admin"].id}
    items = client.get("/api/v1/audit", params=params, headers=admin).json()["items"]
    assert len(items) == 2
    assert items[0]["changes"]["phone"] == {"before": None, "after": "0911222333"}
    assert items[0]["username"] == "quantri"
    recent = client.get("/api/v1/audit", params={**params, "since": (today() - timedelta(days=1)).isoformat()},
                        headers=admin).json()["items"]
    assert len(recent) == 1
    older = client.get("/api/v1/audit", params={**params, "until": (today() - timedelta(days=30)).isoformat()},
                       headers=admin).json()["items"]
    assert [i["id"] for i in older] == [old.id]


def test_the_audit_api_pages_newest_first(client, session):
    p = people(session)
    admin = token(client, p["admin"])
    first = client.get("/api/v1/audit", params={"limit": 3}, headers=admin).json()
    second = client.get("/api/v1/audit", params={"limit": 3, "cursor": first["next_cursor"]}, headers=admin).json()
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert len(set(ids)) == 6


def test_a_reversed_date_range_is_a_422_beside_the_field(client, session):
    p = people(session)
    login(client, p["admin"])
    response = client.get("/audit", params={"since": "2026-05-01", "until": "2026-04-01"})
    assert response.status_code == 422
    assert "Ngày kết thúc phải sau ngày bắt đầu." in response.text
    headers = token(client, p["admin"])
    assert client.get("/api/v1/audit", params={"since": "2026-05-01", "until": "2026-04-01"},
                      headers=headers).status_code == 422
    assert client.get("/audit", params={"since": "hom-qua"}).status_code == 422


def test_the_audit_row_is_written_in_the_same_transaction_as_the_change(client, session, monkeypatch):
    p = people(session)
    headers = token(client, p["admin"])
    before = session.execute(select(AuditEntry)).all()

    def broken_commit(self):
        raise RuntimeError("database went away")

    monkeypatch.setattr("sqlmodel.Session.commit", broken_commit)
    try:
        client.patch(f"/api/v1/users/{p['viewer'].id}", json={"full_name": "Không lưu", "version": 1}, headers=headers)
    except RuntimeError:
        pass
    monkeypatch.undo()
    session.expire_all()
    assert len(session.execute(select(AuditEntry)).all()) == len(before)
    session.refresh(p["viewer"])
    assert p["viewer"].full_name != "Không lưu"


def test_a_hand_edited_person_in_the_audit_filter_gets_a_message_not_an_error_page(client, session):
    p = people(session)
    login(client, p["admin"])
    for value in ("²", "99999999999999999999", "abc"):
        response = client.get("/audit", params={"user_id": value})
        assert response.status_code == 422, value
        assert "Chọn người thực hiện trong danh sách." in response.text
    assert client.get("/audit", params={"user_id": p["reviewer"].id}).status_code == 200


def test_logging_an_activity_records_its_values_and_an_edit_only_what_changed(client, session):
    from tests.activities_helpers import broadcast

    p = people(session)
    reporter, admin = token(client, p["reporter"]), token(client, p["admin"])
    logged = client.post("/api/v1/activities", json=broadcast(p["reporter"].unit_id, status="draft"), headers=reporter)
    assert logged.status_code == 201, logged.text
    activity = logged.json()
    edited = client.patch(f"/api/v1/activities/{activity['id']}", json={"airings": 3, "version": 1}, headers=reporter)
    assert edited.status_code == 200, edited.text
    items = client.get("/api/v1/audit", params={"entity": "activity", "entity_id": activity["id"]},
                       headers=admin).json()["items"]
    assert [i["action"] for i in items] == ["update", "create"]
    update, create = items[0]["changes"], items[1]["changes"]
    # Created: every value that is set, as JSON text (dates in ISO, the status as its word), none empty.
    assert create["start_date"] == {"before": None, "after": activity["start_date"]}
    assert create["status"] == {"before": None, "after": "draft"}
    assert create["airings"] == {"before": None, "after": 2}
    assert create["minutes"] == {"before": None, "after": 30}
    assert create["details"]["after"] == {"channel": "commune_loudspeaker", "language": "vi"}
    assert all(change["after"] is not None for change in create.values())
    assert list(create) == sorted(create)
    # Edited: only the fields that changed, with both values.
    assert update["airings"] == {"before": 2, "after": 3}
    assert update["minutes"] == {"before": 30, "after": 45}
    assert update["version"] == {"before": 1, "after": 2}
    assert "title" not in update and "start_date" not in update
