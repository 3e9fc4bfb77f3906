"""Test set-up: one database per run (SQLite file, or PostgreSQL when TEST_DATABASE_URL is set),
migrated with Alembic and loaded with the real administrative units once; every test then starts
from that state (rows other than units are deleted after each test).
"""
import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

_tmp = Path(tempfile.mkdtemp(prefix="loa-test-"))
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_tmp / 'test.db'}"
os.environ["DATABASE_URL"] = TEST_DATABASE_URL
os.environ["LOA_ENV"] = "test"
os.environ["LOA_MEDIA_DIR"] = str(_tmp / "media")

from sqlalchemy import delete, text  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

import app.models  # noqa: E402,F401
from app.core.db import get_engine  # noqa: E402
from app.progress import summary  # noqa: E402
from app.units.models import Unit, UnitSuccessor  # noqa: E402

KEEP_TABLES = {"unit", "unit_successor", "alembic_version"}


def _reset_schema(engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session", autouse=True)
def database():
    engine = get_engine()
    _reset_schema(engine)
    from app.migrate import upgrade
    from app.units.loader import load_units

    upgrade("head")
    with Session(engine) as session:
        load_units(session)
        session.commit()
    yield engine
    engine.dispose()
    shutil.rmtree(_tmp, ignore_errors=True)


@pytest.fixture(autouse=True)
def clean_tables(database):
    yield
    with Session(database) as session, summary.suspended(session):  # every table is emptied, the summary too
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name in KEEP_TABLES:
                continue
            session.execute(delete(table))
        # Villages added by tests have ids from the sequence, below the loaded units' ids.
        session.execute(delete(UnitSuccessor).where(UnitSuccessor.predecessor_id < 10_000_000))
        session.execute(delete(Unit).where(Unit.id < 10_000_000))
        session.commit()


@pytest.fixture
def session(database):
    with Session(database, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def client(database):
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app()) as c:
        yield c


# --- browser tests ---------------------------------------------------------------------------

CHROMIUM = os.environ.get("LOA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(database):
    """Loa served by uvicorn in a thread, on the test database."""
    import uvicorn

    from app.main import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 15
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"browser tests skipped: no Chromium at {CHROMIUM} (install it with `apt-get install chromium`)"
        if os.environ.get("CI"):
            pytest.fail(message.replace("skipped", "cannot run on CI"))
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests skipped: the playwright package is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="vi-VN", is_mobile=True,
                                  has_touch=True)
    yield context
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="vi-VN")
    yield context
    context.close()


ARTIFACTS = Path(os.environ.get("LOA_TEST_ARTIFACTS", "test-artifacts"))


def screenshot(page, name: str) -> Path:
    """Saves a full-page PNG under test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def pytest_collection_modifyitems(items):
    """Every test that drives Chromium carries the `browser` mark, so `-m 'not browser'` leaves them all out."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


def wait_until(page, expression: str, arg=None, timeout: float = 30.0) -> None:
    """Polls a JavaScript expression until it is true. Playwright's `wait_for_function` evaluates its
    predicate with `eval` inside the page, which Loa's Content-Security-Policy forbids; this asks
    from the test side instead."""
    deadline = time.time() + timeout
    while not (page.evaluate(expression) if arg is None else page.evaluate(expression, arg)):
        if time.time() > deadline:
            raise AssertionError(f"still false after {timeout:.0f} s: {expression}")
        time.sleep(0.1)
