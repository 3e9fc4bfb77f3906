"""API tokens: issued by POST /api/v1/auth/token, stored hashed, expiring, listed and revoked by
their owner and by admins."""
from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import ApiToken
from app.core.clock import utcnow
from tests.accounts_helpers import people
from tests.factories import login, token


def _raw(headers: dict) -> str:
    return headers["Authorization"].split(" ", 1)[1]


def test_a_token_answers_the_documented_shape_and_is_stored_only_as_a_hash(client, session):
    p = people(session)
    response = client.post("/api/v1/auth/token", data={"username": "baocao.a", "password": "mat-khau-thu-nghiem"})
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "bearer" and body["expires_at"]
    stored = session.execute(select(ApiToken).where(ApiToken.user_id == p["reporter"].id)).scalar_one()
    assert body["access_token"] not in (stored.token_hash, stored.prefix)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"}).json()["username"] == "baocao.a"


def test_a_token_expires_after_thirty_days(client, session):
    p = people(session)
    headers = token(client, p["reporter"])
    row = session.execute(select(ApiToken).where(ApiToken.user_id == p["reporter"].id)).scalar_one()
    assert timedelta(days=29) < row.expires_at - utcnow() <= timedelta(days=30)
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_a_revoked_token_stops_working_at_once(client, session):
    p = people(session)
    headers = token(client, p["reporter"])
    mine = client.get("/api/v1/auth/tokens", headers=headers).json()["items"]
    assert len(mine) == 1
    assert client.delete(f"/api/v1/auth/tokens/{mine[0]['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_owners_list_only_their_tokens_and_admins_list_all(client, session):
    p = people(session)
    reporter_headers = token(client, p["reporter"])
    token(client, p["viewer"])
    admin_headers = token(client, p["admin"])
    mine = client.get("/api/v1/auth/tokens", headers=reporter_headers).json()["items"]
    assert {t["username"] for t in mine} == {"baocao.a"}
    everyone = client.get("/api/v1/auth/tokens", headers=admin_headers).json()["items"]
    assert {t["username"] for t in everyone} == {"baocao.a", "xem.a", "quantri"}
    assert all("token_hash" not in t and "access_token" not in t for t in everyone)


def test_someone_elses_token_does_not_exist_for_a_non_admin(client, session):
    p = people(session)
    token(client, p["viewer"])
    viewer_token = session.execute(select(ApiToken).where(ApiToken.user_id == p["viewer"].id)).scalar_one()
    headers = token(client, p["reviewer"])
    assert client.delete(f"/api/v1/auth/tokens/{viewer_token.id}", headers=headers).status_code == 404
    session.refresh(viewer_token)
    assert viewer_token.revoked_at is None


def test_an_admin_revokes_anyones_token(client, session):
    p = people(session)
    victim = token(client, p["reporter"])
    row = session.execute(select(ApiToken).where(ApiToken.user_id == p["reporter"].id)).scalar_one()
    admin = token(client, p["admin"])
    assert client.delete(f"/api/v1/auth/tokens/{row.id}", headers=admin).status_code == 204
    assert client.get("/api/v1/me", headers=victim).status_code == 401


def test_a_garbage_bearer_token_answers_401_not_a_redirect(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer loa_khong-ton-tai"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_personal_token_created_on_the_page_is_shown_once_and_works(client, session):
    p = people(session)
    csrf = login(client, p["viewer"])
    response = client.post("/account/tokens", data={"csrf_token": csrf, "name": "Bảng tính xã"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    raw = response.text.split('class="token-value" value="', 1)[1].split('"', 1)[0]
    assert raw.startswith("loa_")
    assert raw not in client.get("/account/tokens").text
    cookies = dict(client.cookies)
    client.cookies.clear()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).json()["username"] == "xem.a"
    client.cookies.update(cookies)


def test_sending_the_token_form_again_makes_no_second_token(client, session):
    p = people(session)
    csrf = login(client, p["viewer"])
    page = client.get("/account/tokens").text
    request_id = page.split('name="request_id" value="', 1)[1].split('"', 1)[0]
    form = {"csrf_token": csrf, "name": "Bảng tính xã", "request_id": request_id}
    first = client.post("/account/tokens", data=form)
    again = client.post("/account/tokens", data=form)  # the browser's refresh of the answer
    assert first.status_code == 201 and 'class="token-value"' in first.text
    assert again.status_code == 200 and 'class="token-value"' not in again.text
    assert "Mã “Bảng tính xã” đã được tạo từ trước" in again.text
    rows = session.execute(select(ApiToken).where(ApiToken.user_id == p["viewer"].id)).scalars().all()
    assert len(rows) == 1
    other = client.get("/account/tokens").text.split('name="request_id" value="', 1)[1].split('"', 1)[0]
    assert other != request_id, "a fresh form makes a fresh token"


def test_a_token_without_a_name_is_refused_beside_the_field(client, session):
    p = people(session)
    csrf = login(client, p["viewer"])
    response = client.post("/account/tokens", data={"csrf_token": csrf, "name": "  "})
    assert response.status_code == 422
    assert "Đặt tên cho mã" in response.text


def test_revoking_on_the_admin_page_returns_to_it(client, session):
    p = people(session)
    token(client, p["reporter"])
    row = session.execute(select(ApiToken).where(ApiToken.user_id == p["reporter"].id)).scalar_one()
    csrf = login(client, p["admin"])
    assert "baocao.a" in client.get("/admin/tokens").text
    response = client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf, "next": "/admin/tokens"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/tokens"
    session.refresh(row)
    assert row.revoked_at is not None


def test_only_admins_open_the_token_admin_page(client, session):
    p = people(session)
    login(client, p["reviewer"])
    assert client.get("/admin/tokens").status_code == 403
    assert client.get("/account/tokens").status_code == 200
