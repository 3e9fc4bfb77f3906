"""GET /healthz tells a load balancer whether the database answers."""
from app.core.db import build_engine


def test_it_answers_200_when_the_database_is_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_it_answers_503_when_the_database_is_down(client, monkeypatch):
    broken = build_engine("postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.setattr("app.main.get_engine", lambda: broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
