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
