"""An unexpected error shows a Vietnamese page (HTML) or the error envelope (API) with a short
reference, and the server log holds the same reference with the traceback."""
import logging

import pytest

from fastapi.testclient import TestClient

from app.main import create_app
from tests.factories import login, make_user, token


def _failing_app(request_id: str | None = None):
    app = create_app()

    def fail():
        raise RuntimeError("the database went away in the middle of a query")

    app.add_api_route("/reports/fail", fail, methods=["GET"])
    app.add_api_route("/api/v1/fail", fail, methods=["GET"])
    if request_id:
        @app.middleware("http")
        async def set_request_id(request, call_next):
            request.state.request_id = request_id
            return await call_next(request)
    return app


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def caplog():
    """The records of the "loa" logger, caught on the logger itself (whatever its propagation)."""
    logger, handler = logging.getLogger("loa"), _Records()
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def _logged(caplog, reference: str) -> logging.LogRecord:
    records = [r for r in caplog.records if reference in r.getMessage()]
    assert records, [r.getMessage() for r in caplog.records]
    assert records[0].exc_info and "database went away" in str(records[0].exc_info[1])
    return records[0]


def test_a_page_that_fails_answers_a_vietnamese_500_with_the_reference_of_the_log(session, caplog):
    with TestClient(_failing_app(), raise_server_exceptions=False) as client:
        response = client.get("/reports/fail")
    assert response.status_code == 500
    page = response.text
    assert "<title>Lỗi hệ thống · Loa</title>" in page and "Có lỗi xảy ra ở máy chủ" in page
    for english in ("Internal Server Error", "Traceback", "RuntimeError", "database went away"):
        assert english not in page
    reference = page.split('<code class="reference">')[1].split("</code>")[0]
    assert 6 <= len(reference) <= 40
    _logged(caplog, reference)


def test_the_api_answers_the_error_envelope_with_the_reference(session, caplog):
    with TestClient(_failing_app(), raise_server_exceptions=False) as client:
        response = client.get("/api/v1/fail")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "internal_error" and body["errors"] == []
    assert "mã tham chiếu" in body["message"]
    _logged(caplog, body["reference"])


def test_the_reference_is_the_request_id_when_one_is_set(session, caplog):
    with TestClient(_failing_app(request_id="req-7f3a9c"), raise_server_exceptions=False) as client:
        assert client.get("/api/v1/fail").json()["reference"] == "req-7f3a9c"
        assert "req-7f3a9c" in client.get("/reports/fail").text
    assert _logged(caplog, "req-7f3a9c").reference == "req-7f3a9c"


def test_a_signed_in_user_whose_page_fails_on_a_query_gets_the_vietnamese_page(session, caplog, monkeypatch):
    admin = make_user(session, "admin", None, username="quantri")
    from app.dashboards import queries

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away in the middle of a query")

    monkeypatch.setattr(queries, "dashboard", broken)
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        login(client, admin)
        page = client.get("/dashboard")
        api = client.get("/api/v1/dashboard", headers=token(client, admin))
    assert page.status_code == 500 and "Có lỗi xảy ra ở máy chủ" in page.text
    assert api.status_code == 500 and api.json()["code"] == "internal_error"
    _logged(caplog, api.json()["reference"])
