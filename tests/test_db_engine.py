"""How Loa's connections to PostgreSQL are set up."""
import pytest
from sqlalchemy import text

from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgresql"),
                                reason="plan caching is PostgreSQL's: set TEST_DATABASE_URL=postgresql://…")


def test_every_statement_is_planned_for_its_own_parameters(session):
    """A statement psycopg prepared (after five runs on a connection) must not fall back to one
    generic plan: for the figures' queries over the summary, that plan read the whole table."""
    import os

    if os.environ.get("LOA_DB_PGBOUNCER") == "1":
        pytest.skip("behind PgBouncer nothing is prepared on the server")
    assert session.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_custom_plan"
