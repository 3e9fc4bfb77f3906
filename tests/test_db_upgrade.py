"""`loa db upgrade` is the one-shot migration step of a deployment: several containers running it at
the same moment on an empty database migrate one after the other instead of racing."""
import os
import subprocess
import sys

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.core.config import get_settings
from app.core.db import build_engine, normalise_url
from app.core.probes import migration_heads


@pytest.fixture
def empty_database(tmp_path):
    url = make_url(normalise_url(get_settings().database_url))
    if url.drivername.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"{url.database}_upgrade"
    admin = build_engine(url.render_as_string(hide_password=False)).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_three_upgrades_started_together_all_succeed_and_leave_the_schema_at_head(empty_database):
    env = {**os.environ, "DATABASE_URL": empty_database}
    command = [sys.executable, "-c", "from app.cli import main; main()", "db", "upgrade"]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _ in range(3)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    assert all("Database is up to date." in output for output in outputs)
    engine = build_engine(empty_database)
    try:
        with engine.connect() as conn:
            versions = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    finally:
        engine.dispose()
    assert versions == migration_heads()


def test_a_database_with_entries_goes_down_to_the_first_migration_and_back_up(empty_database):
    """An operator who rolls a release back runs `alembic downgrade`: every migration's downgrade
    works on a database holding units, a plan, entries with task links and evidence."""
    from alembic import command
    from alembic.migration import MigrationContext

    from app.migrate import alembic_config

    env = {**os.environ, "DATABASE_URL": empty_database}
    for step in (["db", "upgrade"], ["units", "load"], ["demo"]):
        run = subprocess.run([sys.executable, "-c", "from app.cli import main; main()", *step], env=env,
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stdout + run.stderr
    engine = build_engine(empty_database)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO evidence (id, activity_id, kind, filename, content_type, size_bytes, path, created_at) "
                "SELECT :id, id, 'photo', 'anh.jpg', 'image/jpeg', 1000, 'x/anh.jpg', created_at FROM activity "
                "ORDER BY id LIMIT 1"), {"id": "5f0c8f5e-58a4-4bd7-9c4e-2c6bb1f6e001"})
        with engine.connect() as conn:
            linked = conn.execute(text("SELECT count(*) FROM activity_task")).scalar_one()
            evidence = conn.execute(text("SELECT count(*) FROM evidence")).scalar_one()
            entries = conn.execute(text("SELECT count(*) FROM activity")).scalar_one()
        assert linked and evidence and entries
        config = alembic_config(empty_database)
        command.downgrade(config, "base")
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_heads() == ()
        command.upgrade(config, "head")
        with engine.connect() as conn:
            assert set(MigrationContext.configure(conn).get_current_heads()) == migration_heads()
            assert conn.execute(text("SELECT count(*) FROM activity")).scalar_one() == 0
    finally:
        engine.dispose()
