"""Managing users: /admin/users pages and /api/v1/users. Reviewers manage reporters and viewers of
their own scope; nobody grants more than they hold."""
from sqlalchemy import select

from app.accounts.models import User
from app.audit.models import AuditEntry
from tests.accounts_helpers import people
from tests.factories import HAI_PHONG, PASSWORD, login, token


def _new_user_form(csrf, **overrides):
    form = {"csrf_token": csrf, "username": "vhxh.moi", "full_name": "Hoàng Thị Mới", "phone": "0912345678",
            "email": "", "role": "reporter", "unit_id": "", "agency_id": "", "password": "mat-khau-moi-1"}
    form.update(overrides)
    return form


def test_admins_see_every_user_and_reviewers_only_those_of_their_scope(client, session):
    p = people(session)
    login(client, p["admin"])
    page = client.get("/admin/users").text
    assert "baocao.a" in page and "baocao.b" in page
    client.cookies.clear()
    login(client, p["reviewer"])
    page = client.get("/admin/users").text
    assert "baocao.a" in page and "xem.a" in page
    assert "baocao.b" not in page and "thamdinh.dn" not in page


def test_the_user_list_filters_by_role_and_unit(client, session):
    p = people(session)
    login(client, p["admin"])
    page = client.get("/admin/users", params={"role": "viewer"}).text
    assert "xem.a" in page and "baocao.a" not in page
    page = client.get("/admin/users", params={"unit_id": p["commune_b"].id}).text
    assert "baocao.b" in page and "baocao.a" not in page


def test_a_reviewer_creates_a_reporter_of_a_commune_in_its_province(client, session):
    p = people(session)
    csrf = login(client, p["reviewer"])
    response = client.post("/admin/users", data=_new_user_form(csrf, unit_id=str(p["commune_a"].id)),
                           follow_redirects=False)
    assert response.status_code == 303
    created = session.execute(select(User).where(User.username == "vhxh.moi")).scalar_one()
    assert created.role == "reporter" and created.unit_id == p["commune_a"].id
    assert "mat-khau-moi-1" not in created.password_hash
    page = client.get(response.headers["location"]).text
    assert "Đã tạo người dùng." in page and "Hoàng Thị Mới" in page


def test_a_reviewer_cannot_grant_a_reviewer_role_nor_a_scope_outside_its_province(client, session):
    p = people(session)
    csrf = login(client, p["reviewer"])
    response = client.post("/admin/users", data=_new_user_form(csrf, role="reviewer", unit_id=str(HAI_PHONG)))
    assert response.status_code == 403
    response = client.post("/admin/users", data=_new_user_form(csrf, unit_id=str(p["commune_b"].id)))
    assert response.status_code == 403
    assert session.execute(select(User).where(User.username == "vhxh.moi")).first() is None


def test_invalid_input_is_shown_beside_each_field_with_the_typed_values_kept(client, session):
    p = people(session)
    csrf = login(client, p["admin"])
    response = client.post("/admin/users", data=_new_user_form(csrf, username="a b", password="ngan",
                                                                email="khong-phai-email", full_name="Giữ Lại Tên"))
    assert response.status_code == 422
    page = response.text
    assert "Tên đăng nhập 3–64 ký tự" in page
    assert "Mật khẩu cần ít nhất 8 ký tự." in page
    assert 'value="Giữ Lại Tên"' in page and 'value="0912345678"' in page and 'value="a b"' in page


def test_a_reporter_without_a_unit_is_refused_beside_the_unit_field(client, session):
    p = people(session)
    csrf = login(client, p["admin"])
    response = client.post("/admin/users", data=_new_user_form(csrf, unit_id=""))
    assert response.status_code == 422
    assert "Cần chọn đơn vị phạm vi cho vai trò này." in response.text


def test_an_existing_username_is_refused(client, session):
    p = people(session)
    csrf = login(client, p["admin"])
    response = client.post("/admin/users", data=_new_user_form(csrf, username="baocao.a", unit_id=str(p["commune_a"].id)))
    assert response.status_code == 422
    assert "Tên đăng nhập đã tồn tại." in response.text


def test_editing_a_user_records_the_changed_fields_before_and_after(client, session):
    p = people(session)
    csrf = login(client, p["reviewer"])
    target = p["reporter"]
    response = client.post(f"/admin/users/{target.id}", data={
        "csrf_token": csrf, "full_name": "Nguyễn Văn An Mới", "phone": "0988000111", "email": "an@example.vn",
        "role": "viewer", "unit_id": str(target.unit_id), "agency_id": "", "version": "1"}, follow_redirects=False)
    assert response.status_code == 303
    session.refresh(target)
    assert target.full_name == "Nguyễn Văn An Mới" and target.role == "viewer"
    entry = session.execute(select(AuditEntry).where(AuditEntry.entity == "user", AuditEntry.action == "update",
                                                     AuditEntry.entity_id == str(target.id))).scalar_one()
    assert entry.user_id == p["reviewer"].id
    assert entry.changes["full_name"] == {"before": "Nguyễn Văn An", "after": "Nguyễn Văn An Mới"}
    assert entry.changes["role"] == {"before": "reporter", "after": "viewer"}


def test_a_reviewer_cannot_promote_a_reporter_to_admin(client, session):
    p = people(session)
    headers = token(client, p["reviewer"])
    response = client.patch(f"/api/v1/users/{p['reporter'].id}", json={"role": "admin", "version": 1},
                            headers=headers)
    assert response.status_code == 403
    session.refresh(p["reporter"])
    assert p["reporter"].role == "reporter"


def test_a_reviewer_sees_but_cannot_change_another_reviewer_of_its_scope(client, session):
    from tests.factories import make_user

    p = people(session)
    colleague = make_user(session, "reviewer", HAI_PHONG, username="thamdinh.hp2")
    csrf = login(client, p["reviewer"])
    page = client.get(f"/admin/users/{colleague.id}")
    assert page.status_code == 200 and "Bạn chỉ xem được tài khoản này." in page.text
    response = client.post(f"/admin/users/{colleague.id}", data={"csrf_token": csrf, "full_name": "X",
                                                                 "role": "reviewer", "unit_id": str(HAI_PHONG),
                                                                 "version": "1"})
    assert response.status_code == 403


def test_a_deactivated_user_can_no_longer_sign_in_nor_use_its_token(client, session):
    p = people(session)
    victim_headers = token(client, p["reporter"])
    csrf = login(client, p["reviewer"])
    response = client.post(f"/admin/users/{p['reporter'].id}/deactivate", data={"csrf_token": csrf},
                           follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/api/v1/me", headers=victim_headers).status_code == 401
    client.cookies.clear()
    response = client.post("/login", data={"username": "baocao.a", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 401


def test_resetting_a_password_replaces_the_old_one(client, session):
    p = people(session)
    csrf = login(client, p["reviewer"])
    response = client.post(f"/admin/users/{p['viewer'].id}/password",
                           data={"csrf_token": csrf, "password": "mat-khau-thu-hai", "password_again": "mat-khau-thu-hai"},
                           follow_redirects=False)
    assert response.status_code == 303
    client.cookies.clear()
    assert client.post("/api/v1/auth/token", data={"username": "xem.a", "password": PASSWORD}).status_code == 401
    assert client.post("/api/v1/auth/token", data={"username": "xem.a", "password": "mat-khau-thu-hai"}).status_code == 200


def test_mismatched_new_passwords_are_refused_with_422(client, session):
    p = people(session)
    csrf = login(client, p["admin"])
    response = client.post(f"/admin/users/{p['viewer'].id}/password",
                           data={"csrf_token": csrf, "password": "mat-khau-thu-hai", "password_again": "khac-hoan-toan"})
    assert response.status_code == 422
    assert "Hai lần nhập mật khẩu không khớp." in response.text


def test_reporters_may_not_open_the_user_admin(client, session):
    p = people(session)
    login(client, p["reporter"])
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/users/new").status_code == 403


def test_a_user_outside_the_reviewers_scope_does_not_exist_for_it(client, session):
    p = people(session)
    login(client, p["reviewer"])
    assert client.get(f"/admin/users/{p['outsider'].id}").status_code == 404
    headers = token(client, p["reviewer"])
    assert client.get(f"/api/v1/users/{p['outsider'].id}", headers=headers).status_code == 404


# --- JSON API ------------------------------------------------------------------------------------

def test_the_user_api_pages_with_a_cursor(client, session):
    p = people(session)
    headers = token(client, p["admin"])
    first = client.get("/api/v1/users", params={"limit": 4}, headers=headers).json()
    assert len(first["items"]) == 4 and first["next_cursor"]
    second = client.get("/api/v1/users", params={"limit": 4, "cursor": first["next_cursor"]}, headers=headers).json()
    names = [u["username"] for u in first["items"] + second["items"]]
    assert sorted(names) == sorted(u.username for u in p.values() if isinstance(u, User))
    assert second["next_cursor"] is None
    assert "password_hash" not in first["items"][0]


def test_a_garbled_cursor_answers_400(client, session):
    p = people(session)
    headers = token(client, p["admin"])
    response = client.get("/api/v1/users", params={"cursor": "bm9wZQ"}, headers=headers)
    assert response.status_code == 400 and response.json()["code"] == "invalid_cursor"


def test_the_api_creates_reads_updates_and_deactivates_a_user(client, session):
    p = people(session)
    headers = token(client, p["reviewer"])
    body = {"username": "xem.moi", "full_name": "Người Xem Mới", "role": "viewer", "unit_id": p["commune_a"].id,
            "password": "mat-khau-dai-du"}
    created = client.post("/api/v1/users", json=body, headers=headers)
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    assert "password" not in created.json() and "password_hash" not in created.json()
    assert client.get(f"/api/v1/users/{user_id}", headers=headers).json()["full_name"] == "Người Xem Mới"
    patched = client.patch(f"/api/v1/users/{user_id}", json={"phone": "0900000001", "version": 1}, headers=headers)
    assert patched.status_code == 200 and patched.json()["phone"] == "0900000001"
    gone = client.post(f"/api/v1/users/{user_id}/deactivate", headers=headers)
    assert gone.status_code == 200 and gone.json()["is_active"] is False


def test_the_api_answers_structured_422_for_a_missing_unit(client, session):
    p = people(session)
    headers = token(client, p["admin"])
    response = client.post("/api/v1/users", json={"username": "khong.don.vi", "role": "reporter",
                                                  "password": "mat-khau-dai-du"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "body.unit_id"


def test_an_unknown_unit_is_a_422_not_a_server_error(client, session):
    p = people(session)
    headers = token(client, p["admin"])
    response = client.post("/api/v1/users", json={"username": "sai.don.vi", "role": "reporter", "unit_id": 12345,
                                                  "password": "mat-khau-dai-du"}, headers=headers)
    assert response.status_code == 422


def test_reporters_may_not_list_users_through_the_api(client, session):
    p = people(session)
    headers = token(client, p["reporter"])
    assert client.get("/api/v1/users", headers=headers).status_code == 403
    assert client.get(f"/api/v1/users/{p['reporter'].id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/users/{p['viewer'].id}", headers=headers).status_code == 404


def test_a_reviewer_of_another_province_cannot_create_users_in_hai_phong(client, session):
    p = people(session)
    headers = token(client, p["reviewer_b"])
    response = client.post("/api/v1/users", json={"username": "lan.san", "role": "reporter",
                                                  "unit_id": p["commune_a"].id, "password": "mat-khau-dai-du"},
                           headers=headers)
    assert response.status_code == 403


def test_a_null_role_is_a_422_not_a_server_error(client, session):
    p = people(session)
    headers = token(client, p["admin"])
    response = client.patch(f"/api/v1/users/{p['reporter'].id}", json={"role": None, "version": 1}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "body.role"


def test_nobody_locks_themselves_out(client, session):
    p = people(session)
    headers = token(client, p["admin"])
    response = client.post(f"/api/v1/users/{p['admin'].id}/deactivate", headers=headers)
    assert response.status_code == 403
    session.refresh(p["admin"])
    assert p["admin"].is_active


def test_a_garbled_choice_or_version_in_the_user_forms_is_refused_beside_its_field_never_a_500(client, session):
    p = people(session)
    csrf = login(client, p["admin"])
    response = client.post("/admin/users", data=_new_user_form(csrf, unit_id="xã A", agency_id="12a",
                                                                full_name="Giữ Lại Tên"))
    assert response.status_code == 422
    assert "Chọn đơn vị phạm vi." in response.text and "Chọn cơ quan." in response.text
    assert 'value="Giữ Lại Tên"' in response.text
    target = p["reporter"]
    edited = client.post(f"/admin/users/{target.id}", data={
        "csrf_token": csrf, "full_name": "Nguyễn Văn An Mới", "phone": "", "email": "", "role": "reporter",
        "unit_id": str(target.unit_id), "agency_id": "", "version": "một"})
    assert edited.status_code == 422
    assert 'value="Nguyễn Văn An Mới"' in edited.text
    session.refresh(target)
    assert target.full_name == "Nguyễn Văn An"


def test_a_hand_edited_unit_on_the_user_form_is_refused_beside_the_field(client, session):
    p = people(session)
    csrf = login(client, p["admin"])
    for value in ("²", "99999999999999999999"):
        response = client.post("/admin/users", data=_new_user_form(csrf, unit_id=value))
        assert response.status_code == 422, value
        assert 'value="Giữ' in response.text or "đơn vị" in response.text
