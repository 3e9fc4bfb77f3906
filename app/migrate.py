"""Running Alembic from code (the CLI and the tests). An upgrade holds a lock for its whole run, so
that several containers starting at once migrate one after the other: a transaction-level advisory
lock on PostgreSQL (it works through PgBouncer in transaction mode too), a lock on a file beside
the database on SQLite."""
import contextlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.core.config import get_settings
from app.core.db import build_engine, normalise_url
from app.core.paths import ROOT

# pg_advisory_xact_lock takes a 64-bit key: this one stands for "Loa migrations".
MIGRATION_LOCK_KEY = 0x4C4F41_4D4947


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["configure_logger"] = False
    if url:
        config.attributes["url"] = url
    return config


@contextlib.contextmanager
def _file_lock(database: str | None):
    if not database or database == ":memory:":
        yield
        return
    import fcntl

    with open(Path(f"{database}.migrate-lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(revision: str = "head", url: str | None = None) -> None:
    url = normalise_url(url or get_settings().database_url)
    config = alembic_config(url)
    if url.startswith("sqlite"):
        with _file_lock(make_url(url).database):
            command.upgrade(config, revision)
        return
    engine = build_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()
