"""CSRF: a state-changing request signed in by cookie must carry the session's token."""
from sqlalchemy import select

from app.accounts.models import ApiToken, User
from tests.accounts_helpers import people
from tests.factories import login, token


def test_a_cookie_post_without_the_token_is_refused_and_changes_nothing(client, session):
    p = people(session)
    login(client, p["admin"])
    response = client.post(f"/admin/users/{p['reporter'].id}/deactivate", follow_redirects=False)
    assert response.status_code == 403
    assert "Phiên làm việc không hợp lệ" in response.text
    assert session.get(User, p["reporter"].id).is_active


def test_a_cookie_post_with_a_wrong_token_is_refused(client, session):
    p = people(session)
    login(client, p["admin"])
    response = client.post("/account/tokens", data={"csrf_token": "doan-bua", "name": "Thử"})
    assert response.status_code == 403
    assert session.execute(select(ApiToken)).first() is None


def test_a_cookie_api_call_without_the_header_is_refused_as_json(client, session):
    p = people(session)
    login(client, p["admin"])
    response = client.patch(f"/api/v1/users/{p['reporter'].id}", json={"full_name": "Đổi trộm", "version": 1})
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"


def test_the_header_that_htmx_sends_is_accepted(client, session):
    p = people(session)
    csrf = login(client, p["admin"])
    response = client.patch(f"/api/v1/users/{p['reporter'].id}", json={"full_name": "Đổi đúng cách", "version": 1},
                            headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200


def test_bearer_requests_need_no_csrf_token(client, session):
    p = people(session)
    headers = token(client, p["admin"])
    response = client.patch(f"/api/v1/users/{p['reporter'].id}", json={"full_name": "Qua API", "version": 1}, headers=headers)
    assert response.status_code == 200


def test_every_form_of_the_user_page_carries_the_token(client, session):
    p = people(session)
    csrf = login(client, p["admin"])
    page = client.get(f"/admin/users/{p['reporter'].id}").text
    forms = page.count('method="post"')
    assert forms >= 3
    assert page.count(f'name="csrf_token" value="{csrf}"') == forms
