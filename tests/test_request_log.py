"""Logs an operator reads: one JSON line per request and per important event, each request with an
id that the client can send (X-Request-ID) and that comes back in the response."""
import io
import json
import logging

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from app.core import logs
from app.core.config import Settings
from app.main import create_app
from tests.activities_helpers import broadcast, commune_pair
from tests.factories import make_user, token


@pytest.fixture
def json_lines():
    """What Loa's loggers write, as the JSON objects a production log would hold."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter("json"))
    logger = logging.getLogger("loa")
    logger.addHandler(handler)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    logger.removeHandler(handler)


def test_every_response_carries_a_new_request_id(client):
    first = client.get("/livez").headers["X-Request-ID"]
    second = client.get("/livez").headers["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_a_request_id_sent_by_a_proxy_is_kept(client):
    response = client.get("/livez", headers={"X-Request-ID": "lb-7f3a.2026:0001"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.2026:0001"


@pytest.mark.parametrize("sent", ["x" * 65, "a b", "<script>", "id\u00e9".encode("utf-8")])
def test_a_long_or_unsafe_request_id_is_replaced(client, sent):
    response = client.get("/livez", headers={"X-Request-ID": sent})
    assert response.headers["X-Request-ID"] != sent
    assert len(response.headers["X-Request-ID"]) == 32


def test_one_json_line_per_request_names_the_route_the_user_and_the_size(client, session, json_lines):
    _, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="nhat_ky")
    headers = token(client, user)
    created = client.post("/api/v1/activities", json=broadcast(current.id), headers=headers).json()
    response = client.get(f"/api/v1/activities/{created['id']}", headers={**headers, "X-Request-ID": "req-42"})
    assert response.status_code == 200

    line = [entry for entry in json_lines() if entry.get("request_id") == "req-42"]
    assert len(line) == 1
    entry = line[0]
    assert entry["logger"] == "loa.request" and entry["level"] == "INFO"
    assert entry["method"] == "GET" and entry["status"] == 200
    assert entry["route"] == "/api/v1/activities/{activity_id}"
    assert entry["user_id"] == user.id
    assert entry["bytes"] == int(response.headers["content-length"])  # as sent, compressed
    assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
    assert entry["time"].startswith("20")


def test_an_unknown_path_is_logged_under_one_route_name(client, json_lines):
    client.get("/no/such/page/123")
    (entry,) = [e for e in json_lines() if e["logger"] == "loa.request"]
    assert entry["route"] == "unmatched" and entry["status"] == 404


def test_an_unhandled_error_is_logged_once_with_its_traceback_and_request_id(json_lines):
    app = create_app()
    broken = APIRouter()

    @broken.get("/api/v1/broken-for-test")
    def fail():
        raise RuntimeError("boom in the service")

    app.include_router(broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/broken-for-test", headers={"X-Request-ID": "err-1"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "err-1"
    errors = [e for e in json_lines() if e["logger"] == "loa.error"]
    assert len(errors) == 1
    assert errors[0]["request_id"] == "err-1" and errors[0]["level"] == "ERROR"
    assert "RuntimeError: boom in the service" in errors[0]["exc_info"]
    (request_line,) = [e for e in json_lines() if e["logger"] == "loa.request"]
    assert request_line["status"] == 500 and request_line["route"] == "/api/v1/broken-for-test"


def test_failed_and_throttled_logins_are_logged_without_the_password(client, session, json_lines):
    _, current = commune_pair(session)
    make_user(session, "reporter", current.id, username="quen_mk")
    for _ in range(6):
        client.post("/api/v1/auth/token", data={"username": "quen_mk", "password": "sai-mat-khau-123"})
    entries = [e for e in json_lines() if e["logger"] == "loa.auth"]
    assert [e["message"] for e in entries] == ["login failed"] * 5 + ["login throttled"]
    assert all(e["username"] == "quen_mk" for e in entries)
    assert "sai-mat-khau-123" not in json.dumps(entries)


def test_a_review_decision_is_logged(client, session, json_lines):
    from tests.factories import make_activity

    _, current = commune_pair(session)
    reporter = make_user(session, "reporter", current.id, username="bao_cao")
    reviewer = make_user(session, "reviewer", current.parent_id, username="tham_dinh")
    activity = make_activity(session, current.id, user=reporter, status="submitted")
    response = client.post(f"/api/v1/activities/{activity.id}/approve", headers=token(client, reviewer))
    assert response.status_code == 200, response.text
    (entry,) = [e for e in json_lines() if e["logger"] == "loa.reviews"]
    assert entry["decision"] == "approve" and entry["activity_id"] == str(activity.id)
    assert entry["user_id"] == reviewer.id


def test_development_lines_are_readable_and_production_lines_are_json():
    assert Settings(LOA_ENV="development").log_lines == "text"
    assert Settings(LOA_ENV="production").log_lines == "json"
    assert Settings(LOA_ENV="production", LOA_LOG_FORMAT="text").log_lines == "text"
    record = logging.makeLogRecord({"name": "loa.request", "levelname": "INFO", "msg": "GET /livez 200",
                                    "request_id": "abc", "status": 200})
    line = logs.formatter("text").format(record)
    assert "GET /livez 200" in line and "request_id=abc" in line and "status=200" in line
    assert not line.lstrip().startswith("{")
