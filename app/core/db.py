"""Database engine, sessions and the unit of work. The same code runs on SQLite (default) and PostgreSQL.

One unit of work per request (and per CLI command): services take the session, write, record the
audit and flush when they need ids or must surface a conflict, but never commit. A request's
session is committed once by `UnitOfWork`, after the endpoint has answered and before the answer
is sent, so a commit that fails (a unique violation, a version conflict, a serialization error)
becomes the error answer; an error answer (4xx, 5xx) or an exception rolls everything back.
"""
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import bindparam, event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine
from starlette.concurrency import run_in_threadpool

from app.core.config import get_settings


def normalise_url(url: str) -> str:
    """Accept plain postgres:// URLs and use the psycopg 3 driver for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def in_ids(column, ids) -> Any:
    """`column IN (ids)` for a list of integer ids read from the database (a province's few hundred
    units), written into the statement: one parameter per id cost three times as much to build and
    send (2.4 ms of the dashboard's Python for the 518 units of Hải Phòng, now 0.8)."""
    return column.in_(bindparam(None, [int(i) for i in ids], expanding=True, literal_execute=True))


def build_engine(url: str) -> Engine:
    """The engine for `url`. On PostgreSQL a process opens at most `pool_size + max_overflow`
    connections (LOA_DB_POOL_SIZE, LOA_DB_MAX_OVERFLOW); a request that finds them all busy
    waits up to 30 s for one."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        # As many connections as the thread pool has workers (40), so no request waits on the pool.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=5, max_overflow=35, pool_use_lifo=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    settings = get_settings()
    # Behind PgBouncer in transaction mode a connection may change between transactions, so
    # psycopg must not prepare statements on the server (LOA_DB_PGBOUNCER).
    # Otherwise psycopg prepares a statement run five times on a connection, and PostgreSQL may
    # then plan it once for any parameters: for the figures' range and IN-list queries over the
    # activity summary that generic plan read the whole table (0.4 s became 10–13 s at 10 million
    # activities), so every execution is planned for its own parameters.
    connect_args = ({"prepare_threshold": None} if settings.db_pgbouncer
                    else {"options": "-c plan_cache_mode=force_custom_plan"})
    return create_engine(url, pool_pre_ping=True, pool_size=settings.db_pool_size,
                         max_overflow=settings.db_max_overflow, connect_args=connect_args)


log = logging.getLogger("loa.db")
_SQLITE_WRITER = threading.Lock()
WRITER_WAIT_SECONDS = 30  # then SQLite's own busy timer takes over


@contextmanager
def write_lock(session: Session) -> Iterator[None]:
    """Wrap a busy write so that on SQLite, which takes one writer at a time, this process's
    threads queue on a lock and are woken the moment it is free, instead of sleeping on SQLite's
    busy timer (which lets some requests lose again and again). Like SQLite's own lock, it is held
    until the session's transaction ends (the unit of work's commit or rollback). Nothing on
    PostgreSQL."""
    if session.get_bind().dialect.name != "sqlite" or session.info.get("holds_writer"):
        yield
        return
    session.info["holds_writer"] = _SQLITE_WRITER.acquire(timeout=WRITER_WAIT_SECONDS)
    try:
        yield
    finally:
        if not session.in_transaction():
            _release_writer(session)


def wait_for_older_transactions(session: Session, timeout: float) -> int:
    """On PostgreSQL, waits until every other client transaction of this database that began before
    this call has ended, as CREATE INDEX CONCURRENTLY does; returns how many are still open when
    `timeout` seconds have passed (0: none). A writer that read rows before a commit of ours and
    writes after it is done by then, and what it wrote can be corrected. Nothing on SQLite, which
    takes one writer at a time."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return 0
    mark = connection.execute(text("SELECT clock_timestamp()")).scalar_one()
    deadline = time.monotonic() + timeout
    while True:
        connection.execute(text("SELECT pg_stat_clear_snapshot()"))  # else the first reading stays
        # A session this role may not see (another role's, without pg_read_all_stats) shows no
        # times: it counts as open, since it may be a writer.
        still_open = connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid() "
            "AND (xact_start < :mark OR (xact_start IS NULL AND state IS DISTINCT FROM 'idle'))"),
            {"mark": mark}).scalar_one()
        if still_open == 0 or time.monotonic() >= deadline:
            return still_open
        time.sleep(0.1)


def _release_writer(session: Session) -> None:
    if session.info.pop("holds_writer", False):
        _SQLITE_WRITER.release()


def on_rollback(session: Session, undo: Callable[[], Any]) -> None:
    """Runs `undo` when the session's transaction ends without a commit (e.g. removes a file that
    was stored for a row the unit of work then rolled back)."""
    session.info.setdefault("on_rollback", []).append(undo)


def on_commit(session: Session, then: Callable[[], Any]) -> None:
    """Runs `then` once the session's transaction is committed (e.g. removes the files of a
    deleted row, which a rollback must still find)."""
    session.info.setdefault("on_commit", []).append(then)


@event.listens_for(Session, "after_commit")
def _committed(session) -> None:
    session.info.pop("on_rollback", None)
    for then in session.info.pop("on_commit", []):
        then()


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session, transaction) -> None:
    if transaction.parent is not None:
        return
    _release_writer(session)
    session.info.pop("on_commit", None)
    for undo in session.info.pop("on_rollback", []):
        try:
            undo()
        except Exception:  # a leftover file is harmless; hiding the error that rolled back is not
            log.exception("could not undo after a rollback")


@lru_cache
def get_engine() -> Engine:
    # Here, not on top: `loa` loads this module before `serve` prepares PROMETHEUS_MULTIPROC_DIR for metrics.
    from app.core.metrics import watch_pool

    engine = build_engine(get_settings().database_url)
    watch_pool(engine)
    return engine


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, committed by `UnitOfWork`. Opening it does no I/O; closing it gives
    a connection back to the pool (a rollback of whatever was not committed) only when a
    transaction is still open, and only then leaves the event loop."""
    session = Session(get_engine(), expire_on_commit=False)
    request.state.db_session = session
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


def finish(session: Session, status_code: int) -> None:
    """Ends a unit of work: commits what a successful answer (below 400) reports, rolls back
    everything behind an error answer. A failing commit is rolled back and raised."""
    if not session.in_transaction():
        return
    if status_code >= 400:
        session.rollback()
        return
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise


class UnitOfWork(APIRoute):
    """The route class of every router: the request's session (`get_session`) is committed once,
    after the endpoint has built its answer and before a byte of it is sent. Streaming answers
    read with sessions of their own, so no write transaction stays open while they are sent."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            response = await handler(request)
            session = getattr(request.state, "db_session", None)
            if session is not None and session.in_transaction():
                await run_in_threadpool(finish, session, response.status_code)
            return response

        return run
