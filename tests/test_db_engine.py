"""How Loa's connections and tables are set up on PostgreSQL."""
import pytest
from sqlalchemy import text

from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgresql"),
                                reason="plan caching and vacuum settings are PostgreSQL's: set TEST_DATABASE_URL=postgresql://…")


def test_every_statement_is_planned_for_its_own_parameters(session):
    """A statement psycopg prepared (after five runs on a connection) must not fall back to one
    generic plan: for the figures' queries over the summary, that plan read the whole table."""
    import os

    if os.environ.get("LOA_DB_PGBOUNCER") == "1":
        pytest.skip("behind PgBouncer nothing is prepared on the server")
    assert session.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_custom_plan"


def test_the_often_written_tables_are_vacuumed_after_a_small_share_of_changes(session):
    """The summary's rows are updated by every logged entry: with PostgreSQL's default (a fifth of
    the table) a large summary would pile up dead row versions that every writer steps over."""
    rows = session.execute(text("SELECT relname, reloptions FROM pg_class WHERE relname IN "
                                "('activity', 'activity_summary', 'activity_summary_province')")).all()
    options = {name: set(opts or []) for name, opts in rows}
    assert "autovacuum_vacuum_scale_factor=0.01" in options["activity_summary"]
    assert "autovacuum_vacuum_scale_factor=0.01" in options["activity_summary_province"]
    assert "autovacuum_vacuum_insert_scale_factor=0.01" in options["activity"]


def test_an_export_is_planned_for_all_its_rows_not_its_first_tenth(session):
    """PostgreSQL plans a cursor for the first tenth of its rows by default, a plan that streamed a
    province-year at 10 million activities three times slower than the same query read whole."""
    from app.accounts.models import Role, User
    from app.activities.queries import ActivityFilter
    from app.reports.columns import stream_rows

    admin = User(id=0, username="export", full_name="Export", role=Role.admin, unit_id=None, password_hash="x")
    assert session.execute(text("SHOW cursor_tuple_fraction")).scalar_one() == "0.1"
    _, rows = stream_rows(session, admin, ActivityFilter())
    assert session.execute(text("SHOW cursor_tuple_fraction")).scalar_one() == "1"
    list(rows)
    session.rollback()
    assert session.execute(text("SHOW cursor_tuple_fraction")).scalar_one() == "0.1"  # for that export alone


def test_waiting_for_older_transactions_holds_until_each_has_ended(database, session):
    """`loa units load` waits for the writers that may have read the units before it saved them,
    and says so when one is still open at the end of its wait."""
    from sqlmodel import Session

    from app.core.db import wait_for_older_transactions

    with Session(database) as older:
        older.execute(text("SELECT 1"))  # a transaction begun now and left open
        assert wait_for_older_transactions(session, timeout=0.3) == 1
        session.rollback()
        older.rollback()
        assert wait_for_older_transactions(session, timeout=5) == 0
        session.rollback()


def test_a_transaction_begun_during_the_wait_is_not_waited_for(database, session):
    import threading
    import time

    from sqlmodel import Session

    from app.core.db import wait_for_older_transactions

    result = []
    waiting = threading.Thread(target=lambda: result.append(wait_for_older_transactions(session, timeout=10)))
    with Session(database) as older, Session(database) as younger:
        older.execute(text("SELECT 1"))
        started = time.monotonic()
        waiting.start()
        time.sleep(0.5)
        younger.execute(text("SELECT 1"))  # begun after the wait's mark, and left open
        time.sleep(0.5)
        older.rollback()
        waiting.join(timeout=20)
        younger.rollback()
    session.rollback()
    assert result == [0] and time.monotonic() - started < 5
