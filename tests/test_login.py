"""Signing in: throttling shared through the database, the session cookie, and passwords that are
never stored or logged in clear."""
import logging
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from app.accounts.models import AuthSession, LoginThrottle
from app.core.clock import utcnow
from app.core.config import Settings
from app.main import create_app
from tests.accounts_helpers import people
from tests.factories import PASSWORD, login, make_user

THROTTLED = "Đăng nhập sai quá 5 lần trong 15 phút. Vui lòng thử lại sau 15 phút."


def _fail(client, username="baocao.a", times=5):
    for _ in range(times):
        response = client.post("/login", data={"username": username, "password": "sai-mat-khau"})
        assert response.status_code == 401
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.text


def test_five_failures_in_fifteen_minutes_refuse_even_the_right_password(client, session):
    people(session)
    _fail(client)
    response = client.post("/login", data={"username": "baocao.a", "password": PASSWORD})
    assert response.status_code == 429
    assert THROTTLED in response.text
    assert "loa_session" not in response.cookies


def test_the_limit_holds_in_another_worker_because_it_lives_in_the_database(client, session):
    people(session)
    _fail(client)
    with TestClient(create_app()) as other_worker:
        response = other_worker.post("/login", data={"username": "baocao.a", "password": PASSWORD})
        assert response.status_code == 429
        assert THROTTLED in response.text
        api = other_worker.post("/api/v1/auth/token", data={"username": "baocao.a", "password": PASSWORD})
        assert api.status_code == 429 and api.json()["code"] == "login_throttled"


def test_the_limit_is_per_username(client, session):
    p = people(session)
    _fail(client)
    login(client, p["viewer"])


def test_failures_older_than_fifteen_minutes_no_longer_count(client, session):
    p = people(session)
    _fail(client)
    session.execute(update(LoginThrottle).values(window_start=utcnow() - timedelta(minutes=16)))
    session.commit()
    login(client, p["reporter"])


def test_four_failures_still_let_the_right_password_in(client, session):
    p = people(session)
    _fail(client, times=4)
    login(client, p["reporter"])


def test_the_session_cookie_is_httponly_and_samesite_lax(client, session):
    people(session)
    response = client.post("/login", data={"username": "baocao.a", "password": PASSWORD}, follow_redirects=False)
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("loa_session=")
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie


def test_the_session_cookie_is_secure_outside_development(client, session, monkeypatch):
    people(session)
    monkeypatch.setattr("app.accounts.views.get_settings",
                        lambda: Settings(LOA_ENV="production", LOA_SECRET_KEY="x" * 32))
    response = client.post("/login", data={"username": "baocao.a", "password": PASSWORD}, follow_redirects=False)
    assert "secure" in response.headers["set-cookie"].lower()


def test_a_session_idle_for_longer_than_allowed_sends_the_browser_to_login(client, session):
    p = people(session)
    login(client, p["reporter"])
    assert client.get("/units", follow_redirects=False).status_code == 200
    auth = session.execute(select(AuthSession).where(AuthSession.user_id == p["reporter"].id)).scalar_one()
    auth.last_seen_at = utcnow() - timedelta(days=8)
    session.add(auth)
    session.commit()
    response = client.get("/units", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_logging_out_ends_the_session_on_the_server(client, session):
    p = people(session)
    csrf = login(client, p["reporter"])
    cookie = client.cookies.get("loa_session")
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    client.cookies.set("loa_session", cookie)
    assert client.get("/units", follow_redirects=False).status_code == 303


def test_a_password_is_never_stored_or_logged_in_clear(client, session, caplog):
    secret = "bi-mat-rat-rieng-123"
    caplog.set_level(logging.DEBUG)
    admin = make_user(session, "admin", None, username="quantri")
    csrf = login(client, admin)
    client.post("/admin/users", data={"csrf_token": csrf, "username": "moi.tao", "role": "admin", "unit_id": "",
                                      "password": secret})
    client.post("/login", data={"username": "moi.tao", "password": secret + "-sai"})
    client.post("/api/v1/auth/token", data={"username": "moi.tao", "password": secret})
    new = session.execute(text("SELECT id FROM user_account WHERE username = 'moi.tao'")).scalar_one()
    csrf = login(client, admin)
    client.post(f"/admin/users/{new}/password", data={"csrf_token": csrf, "password": secret + "2",
                                                      "password_again": secret + "2"})
    for table in ("user_account", "audit_entry", "login_throttle", "auth_session", "api_token"):
        for row in session.execute(text(f"SELECT * FROM {table}")):
            assert secret not in " ".join(map(str, row)), table
    audit = " ".join(str(r) for r in session.execute(text("SELECT changes FROM audit_entry")))
    assert "password_hash" not in audit and "argon2" not in audit
    assert secret not in caplog.text
