"""Behind PgBouncer in transaction mode (LOA_DB_PGBOUNCER) psycopg prepares no statements on the
server, since consecutive transactions may run on different server connections. `.ci/run` runs the
API tests through a real PgBouncer."""
import pytest

from app.core.config import get_settings
from app.core.db import build_engine


def _postgres_url() -> str:
    url = get_settings().database_url
    if not url.startswith("postgres"):
        pytest.skip("PgBouncer settings test skipped: runs on PostgreSQL (set TEST_DATABASE_URL)")
    return url


@pytest.mark.parametrize("pgbouncer,threshold", [(True, None), (False, 5)])
def test_statements_are_prepared_only_without_pgbouncer(monkeypatch, pgbouncer, threshold):
    url = _postgres_url()
    monkeypatch.setattr(get_settings(), "db_pgbouncer", pgbouncer)
    engine = build_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.connection.dbapi_connection.prepare_threshold == threshold
    finally:
        engine.dispose()
