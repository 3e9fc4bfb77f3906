"""Database engine and sessions. The same code runs on SQLite (default) and PostgreSQL."""
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import event
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
    connect_args = {"prepare_threshold": None} if settings.db_pgbouncer else {}
    return create_engine(url, pool_pre_ping=True, pool_size=settings.db_pool_size,
                         max_overflow=settings.db_max_overflow, connect_args=connect_args)


_SQLITE_WRITER = threading.Lock()


@contextmanager
def write_lock(session: Session) -> Iterator[None]:
    """Wrap a busy write (its inserts and commit) so that on SQLite, which takes one writer at a
    time, this process's threads queue on a lock and are woken the moment it is free, instead of
    sleeping on SQLite's busy timer (which lets some requests lose again and again). Nothing
    on PostgreSQL."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    with _SQLITE_WRITER:
        yield


@lru_cache
def get_engine() -> Engine:
    # Here, not on top: `loa` loads this module before `serve` prepares PROMETHEUS_MULTIPROC_DIR for metrics.
    from app.core.metrics import watch_pool

    engine = build_engine(get_settings().database_url)
    watch_pool(engine)
    return engine


async def get_session() -> AsyncIterator[Session]:
    """One session per request. Opening it does no I/O; closing it gives a connection back to the
    pool (a rollback) only when a transaction is still open, and only then leaves the event loop."""
    session = Session(get_engine(), expire_on_commit=False)
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()
