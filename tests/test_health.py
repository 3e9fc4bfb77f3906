"""The probes: /livez (the process answers), /readyz (database, migrations, storage) and /healthz."""
from sqlalchemy import text

from app.core.db import build_engine
from app.core.storage import LocalStorage


def test_healthz_answers_200_when_the_database_is_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_down(client, monkeypatch):
    broken = build_engine("postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.setattr("app.core.probes.get_engine", lambda: broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_livez_answers_without_the_database(client, monkeypatch):
    def no_database():
        raise AssertionError("livez must not touch the database")

    monkeypatch.setattr("app.core.probes.get_engine", no_database)
    response = client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_answers_200_when_database_migrations_and_storage_are_ready(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "database": "ok", "migrations": "ok", "storage": "ok"}


def test_readyz_answers_503_when_the_database_is_down(client, monkeypatch):
    broken = build_engine("postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.setattr("app.core.probes.get_engine", lambda: broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_readyz_answers_503_when_a_migration_is_missing(client, database):
    with database.begin() as conn:
        (current,) = conn.execute(text("SELECT version_num FROM alembic_version")).one()
        conn.execute(text("UPDATE alembic_version SET version_num = '0001_initial'"))
    try:
        response = client.get("/readyz")
    finally:
        with database.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
    assert response.status_code == 503
    assert response.json()["migrations"] == "behind"


def test_readyz_answers_503_when_storage_cannot_be_written(client, monkeypatch, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setattr("app.core.storage.get_storage", lambda: LocalStorage(blocked))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["storage"] == "not_writable"
