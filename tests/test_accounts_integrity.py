"""Accounts that cannot be taken over or locked: a password reset or a deactivation ends every
token and browser session of the user, login throttling holds under concurrency and per client
address without letting anyone lock the admin out, a wrong password costs the same whether the
user exists or not, and there is always an active national admin."""
import threading
from collections import Counter
from contextlib import contextmanager

import argon2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from app.accounts import security, services
from app.accounts.models import ApiToken, AuthSession, User
from app.core.db import get_engine
from app.main import create_app
from tests.accounts_helpers import people
from tests.factories import HAI_PHONG, PASSWORD, login, make_user, token

WRONG = "sai-mat-khau-roi"


@contextmanager
def client_at(address: str):
    """A browser or script connecting from `address`."""
    with TestClient(create_app(), client=(address, 50000)) as c:
        yield c


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch):
    """Argon2 with light parameters, for speed: these tests make a hundred password checks, and
    what they count does not depend on the parameters."""
    monkeypatch.setattr(security, "_hasher", argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    security.stand_in_hash.cache_clear()
    yield
    security.stand_in_hash.cache_clear()


@pytest.fixture
def verifications(monkeypatch):
    """Counts Argon2 password verifications (with Loa's parameters, each costs the same ~0.1–0.4 s
    of CPU), and the hashes they were checked against."""
    seen: list[str] = []
    lock = threading.Lock()
    real = argon2.PasswordHasher.verify

    def counting(self, hash, password):
        with lock:
            seen.append(hash)
        return real(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    return seen


def _signed_in(user: User) -> tuple[dict, str]:
    """An API token and a browser session cookie of `user`, both working."""
    with client_at("198.51.100.7") as c:
        headers = token(c, user)
        login(c, user)
        cookie = c.cookies.get("loa_session")
        assert c.get("/api/v1/me", headers=headers).status_code == 200
        assert c.get("/units", follow_redirects=False).status_code == 200
    return headers, cookie


def _assert_ended(headers: dict, cookie: str) -> None:
    with client_at("198.51.100.7") as c:
        response = c.get("/api/v1/me", headers=headers)
        assert response.status_code == 401 and response.json()["code"] == "invalid_token"
        c.cookies.set("loa_session", cookie)
        response = c.get("/units", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def _assert_working(headers: dict, cookie: str) -> None:
    with client_at("198.51.100.7") as c:
        assert c.get("/api/v1/me", headers=headers).status_code == 200
        c.cookies.set("loa_session", cookie)
        assert c.get("/units", follow_redirects=False).status_code == 200


# --- a reset or a deactivation ends every token and session ------------------------------------

def test_resetting_a_password_on_the_page_ends_the_users_tokens_and_sessions(client, session):
    p = people(session)
    old = _signed_in(p["reporter"])
    bystander = _signed_in(p["viewer"])
    csrf = login(client, p["reviewer"])
    response = client.post(f"/admin/users/{p['reporter'].id}/password", follow_redirects=False,
                           data={"csrf_token": csrf, "password": "mat-khau-moi-9", "password_again": "mat-khau-moi-9"})
    assert response.status_code == 303
    _assert_ended(*old)
    _assert_working(*bystander)
    # The reviewer who reset it is still signed in.
    assert client.get("/units", follow_redirects=False).status_code == 200


def test_resetting_a_password_through_the_api_ends_the_users_tokens_and_sessions(client, session):
    p = people(session)
    old = _signed_in(p["reporter"])
    admin = token(client, p["admin"])
    response = client.post(f"/api/v1/users/{p['reporter'].id}/password", json={"password": "mat-khau-moi-9"},
                           headers=admin)
    assert response.status_code == 204
    _assert_ended(*old)
    assert client.get("/api/v1/me", headers=admin).status_code == 200


def test_a_deactivated_user_reactivated_later_does_not_get_its_old_tokens_and_sessions_back(client, session):
    p = people(session)
    old = _signed_in(p["reporter"])
    csrf = login(client, p["reviewer"])
    for action in ("deactivate", "activate"):
        response = client.post(f"/admin/users/{p['reporter'].id}/{action}", data={"csrf_token": csrf},
                               follow_redirects=False)
        assert response.status_code == 303
        _assert_ended(*old)


def _current(client, headers, user) -> dict:
    """A change of a user is sent with the version it was made from."""
    return {"version": client.get(f"/api/v1/users/{user.id}", headers=headers).json()["version"]}


def test_deactivating_through_patch_ends_tokens_and_sessions_too(client, session):
    p = people(session)
    old = _signed_in(p["reporter"])
    admin = token(client, p["admin"])
    for active in (False, True):
        response = client.patch(f"/api/v1/users/{p['reporter'].id}", json={"is_active": active, **_current(client, admin, p["reporter"])},
                                headers=admin)
        assert response.status_code == 200, response.text
        _assert_ended(*old)
    # The reactivated user signs in again with the password.
    _signed_in(p["reporter"])


def test_a_sign_in_checked_just_before_a_reset_gets_no_session_nor_token(session):
    """An attacker signing in again and again with a stolen password: the reset lands while one
    attempt's password is being checked. That attempt must not outlive the reset."""
    p = people(session)
    with Session(get_engine(), expire_on_commit=False) as browser, \
            Session(get_engine(), expire_on_commit=False) as script:
        by_browser = services.authenticate(browser, "baocao.a", PASSWORD, address="203.0.113.50")
        by_script = services.authenticate(script, "baocao.a", PASSWORD, address="203.0.113.50")
        assert by_browser is not None and by_script is not None
        with Session(get_engine(), expire_on_commit=False) as admin:
            target = admin.get(User, p["reporter"].id)
            services.set_password(admin, target, "mat-khau-moi-9", user=admin.get(User, p["admin"].id))
            admin.commit()  # the test is the unit of work
        with pytest.raises(services.CredentialsChanged):
            services.start_session(browser, by_browser)
        with pytest.raises(services.CredentialsChanged):
            services.issue_token(script, by_script, "lấy cắp")
    session.expire_all()
    assert session.execute(select(AuthSession).where(AuthSession.user_id == p["reporter"].id)).first() is None
    assert session.execute(select(ApiToken).where(ApiToken.user_id == p["reporter"].id)).first() is None


# --- throttling that holds under concurrency ---------------------------------------------------

def test_fifty_concurrent_wrong_passwords_for_one_user_get_at_most_five_password_checks(session, verifications):
    people(session)
    barrier = threading.Barrier(50)
    statuses: list[int] = []
    with client_at("203.0.113.10") as first, client_at("203.0.113.10") as second:
        def attempt(i: int) -> None:
            c = first if i % 2 else second  # two worker processes sharing the database
            barrier.wait()
            statuses.append(c.post("/api/v1/auth/token", data={"username": "baocao.a", "password": WRONG}).status_code)

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(verifications) <= 5, f"{len(verifications)} passwords checked"
    counts = Counter(statuses)
    assert counts[401] == len(verifications) and counts[429] == 50 - len(verifications), counts


# --- the same cost whether the user exists or not ----------------------------------------------

def test_a_wrong_password_costs_one_argon2_verification_whether_or_not_the_user_exists(client, session,
                                                                                        verifications):
    p = people(session)
    csrf = login(client, p["admin"])
    client.post(f"/admin/users/{p['viewer'].id}/deactivate", data={"csrf_token": csrf})
    verifications.clear()
    real_hash = session.execute(select(User.password_hash).where(User.id == p["reporter"].id)).scalar_one()
    with client_at("203.0.113.20") as c:
        for username in ("baocao.a", "khong.ton.tai", "xem.a", "x" * 64, "a\x00b"):
            before = len(verifications)
            assert c.post("/api/v1/auth/token", data={"username": username, "password": WRONG}).status_code == 401
            assert c.post("/login", data={"username": username, "password": WRONG}).status_code == 401
            assert len(verifications) - before == 2, username
        # A name longer than any username can be is refused by the API's schema before any lookup.
        before = len(verifications)
        assert c.post("/api/v1/auth/token", data={"username": "x" * 300, "password": WRONG}).status_code == 422
        assert len(verifications) == before
    # The stand-in hash has the same parameters, so it costs the same as a real one.
    expected = argon2.extract_parameters(real_hash)
    assert all(argon2.extract_parameters(h) == expected for h in verifications)


# --- per client address, and never locking the admin out -----------------------------------------

def test_spraying_one_password_over_many_usernames_is_refused_after_thirty_from_one_address(session, verifications):
    people(session)
    with client_at("203.0.113.30") as sprayer:
        for i in range(30):
            response = sprayer.post("/api/v1/auth/token", data={"username": f"nguoi.{i}", "password": WRONG})
            assert response.status_code == 401, i
        response = sprayer.post("/api/v1/auth/token", data={"username": "baocao.a", "password": PASSWORD})
        assert response.status_code == 429
        body = response.json()
        assert body["code"] == "login_throttled" and body["errors"] == [] and "địa chỉ" in body["message"]
        assert 800 <= int(response.headers["Retry-After"]) <= 900
        page = sprayer.post("/login", data={"username": "xem.a", "password": PASSWORD})
        assert page.status_code == 429
        assert "Có quá nhiều lần đăng nhập sai từ địa chỉ mạng này" in page.text
    assert len(verifications) == 30
    with client_at("203.0.113.31") as neighbour:
        assert neighbour.post("/api/v1/auth/token", data={"username": "baocao.a", "password": PASSWORD}).status_code == 200


def test_five_wrong_passwords_from_one_address_do_not_lock_the_admin_out_from_another(session):
    p = people(session)
    with client_at("203.0.113.40") as attacker:
        for _ in range(5):
            assert attacker.post("/login", data={"username": "quantri", "password": WRONG}).status_code == 401
        refused = attacker.post("/api/v1/auth/token", data={"username": "quantri", "password": PASSWORD})
        assert refused.status_code == 429 and "Retry-After" in refused.headers
        page = attacker.post("/login", data={"username": "quantri", "password": PASSWORD})
        assert page.status_code == 429 and "Đăng nhập sai quá 5 lần trong 15 phút." in page.text
    with client_at("192.0.2.1") as office:
        login(office, p["admin"])


def test_a_username_is_blocked_everywhere_after_fifty_failures_in_an_hour_until_its_password_is_reset(client, session):
    p = people(session)
    for n in range(10):
        with client_at(f"203.0.113.{100 + n}") as c:
            for _ in range(5):
                assert c.post("/api/v1/auth/token", data={"username": "baocao.a", "password": WRONG}).status_code == 401
    with client_at("192.0.2.2") as office:
        response = office.post("/api/v1/auth/token", data={"username": "baocao.a", "password": PASSWORD})
        assert response.status_code == 429 and int(response.headers["Retry-After"]) > 3000
        page = office.post("/login", data={"username": "baocao.a", "password": PASSWORD})
        assert page.status_code == 429 and "nhờ quản trị viên đặt lại mật khẩu" in page.text
        # Other users are not affected; a reset by a reviewer lifts the block.
        login(office, p["viewer"])
        reviewer = token(client, p["reviewer"])
        assert client.post(f"/api/v1/users/{p['reporter'].id}/password", json={"password": "mat-khau-moi-9"},
                           headers=reviewer).status_code == 204
        login(office, p["reporter"], password="mat-khau-moi-9")


# --- there is always an active national admin ---------------------------------------------------

def _national_admins(session) -> int:
    session.expire_all()
    query = select(User).where(User.role == "admin", User.unit_id.is_(None), User.is_active.is_(True))
    return len(session.execute(query).scalars().all())


def test_the_only_national_admin_cannot_narrow_their_own_scope(client, session):
    p = people(session)
    headers = token(client, p["admin"])
    response = client.patch(f"/api/v1/users/{p['admin'].id}",
                            json={"unit_id": HAI_PHONG, **_current(client, headers, p["admin"])}, headers=headers)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "last_national_admin" and body["errors"][0]["path"] == "body.unit_id"
    assert "quản trị viên toàn quốc cuối cùng" in body["message"]
    assert _national_admins(session) == 1


def test_the_user_page_says_why_in_vietnamese_and_keeps_what_was_typed(client, session):
    p = people(session)
    csrf = login(client, p["admin"])
    response = client.post(f"/admin/users/{p['admin'].id}", data={
        "csrf_token": csrf, "full_name": "Quản trị đổi tên", "role": "admin", "unit_id": str(HAI_PHONG),
        "version": str(session.get(User, p["admin"].id).version)})
    assert response.status_code == 422
    assert "quản trị viên toàn quốc cuối cùng" in response.text and 'value="Quản trị đổi tên"' in response.text
    assert _national_admins(session) == 1


def test_with_a_second_national_admin_the_first_may_narrow_their_scope(client, session):
    p = people(session)
    make_user(session, "admin", None, username="quantri2")
    headers = token(client, p["admin"])
    response = client.patch(f"/api/v1/users/{p['admin'].id}",
                            json={"unit_id": HAI_PHONG, **_current(client, headers, p["admin"])}, headers=headers)
    assert response.status_code == 200, response.text
    assert _national_admins(session) == 1


@pytest.mark.parametrize("change", [
    ("PATCH", "", {"role": "reviewer", "unit_id": HAI_PHONG}),
    ("PATCH", "", {"unit_id": HAI_PHONG}),
    ("PATCH", "", {"is_active": False}),
    ("POST", "/deactivate", None),
], ids=["demote", "narrow", "patch-inactive", "deactivate"])
def test_two_national_admins_removing_each_other_at_once_leave_one(session, change):
    method, suffix, body = change
    p = people(session)
    other = make_user(session, "admin", None, username="quantri2")
    with client_at("192.0.2.3") as c:
        pairs = [(token(c, p["admin"]), other), (token(c, other), p["admin"])]
        versions = {target.id: _current(c, headers, target) for headers, target in pairs}
        barrier = threading.Barrier(2)
        answers: list = []

        def remove(headers, target):
            barrier.wait()
            json = {**body, **versions[target.id]} if body is not None else None
            answers.append(c.request(method, f"/api/v1/users/{target.id}{suffix}", json=json, headers=headers))

        threads = [threading.Thread(target=remove, args=pair) for pair in pairs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    statuses = sorted(a.status_code for a in answers)
    # The loser is refused as the last national admin, or no longer holds the rights it had.
    assert statuses[0] == 200 and statuses[1] in (401, 403, 404, 409), [a.text for a in answers]
    assert _national_admins(session) == 1
