"""Every list and feed page is read from an index at any depth (PostgreSQL's EXPLAIN).

The lists are requested through the app as a reviewer or an admin would, first page and a deep
page (a cursor from the middle of 20,000 rows); the SQL they run is captured and explained. Each
must scan the index that holds its order, with the keyset (a row comparison) inside the Index
Cond, never in a Filter, and with no Sort over the whole table. On SQLite the same pages are
checked to come in one stable order (tests/test_list_order.py); plans are PostgreSQL's.
"""
import json
import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, insert, or_, select, text
from sqlmodel import Session, SQLModel

from app.accounts.models import User
from app.activities.generate import generate_activities
from app.activities.models import Activity
from app.audit.models import AuditEntry
from app.core.pagination import encode_cursor
from app.plans.models import Plan
from app.units.models import Unit
from tests.conftest import KEEP_TABLES, TEST_DATABASE_URL
from tests.factories import HAI_PHONG, login, make_user, token

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"),
    reason="EXPLAIN plans are PostgreSQL's: set TEST_DATABASE_URL=postgresql://… to check that every list page "
           "is read from its index")

ROWS = 200_000
DEEP = 50_000  # a deep page's cursor points this far down the order (page 1,000 of 50), or halfway


@pytest.fixture
def clean_tables():
    """The rows below are made once for the module and emptied at its end (not after each test)."""
    yield


# ANALYZE samples 300 rows per unit of the statistics target: 1,000 covers the 200,000 rows.
STATISTICS = 1000
SAMPLE_EVERY_ROW = ", ".join(f"ALTER COLUMN {c} SET STATISTICS {STATISTICS}"
                             for c in ("unit_id", "province_id", "status", "updated_at", "start_date",
                                       "submitted_at"))


@pytest.fixture(scope="module")
def filled(database):
    """200,000 activities over every commune of both eras, 200,000 audit rows (a quarter of them
    deletions, one in fifty by the reviewer), 20,000 users and 5,000 plans, analysed."""
    rng = random.Random(19)
    with Session(database, expire_on_commit=False) as s:
        admin = make_user(s, "admin", None, username="quantri")
        reviewer = make_user(s, "reviewer", HAI_PHONG, username="duyet_hp")
        generate_activities(s, ROWS)
        at = datetime(2025, 1, 1, tzinfo=timezone.utc)
        for start in range(0, ROWS, 50_000):
            s.execute(insert(AuditEntry), [
                {"at": at + timedelta(minutes=i), "user_id": reviewer.id if i % 50 == 0 else admin.id,
                 "entity": "activity", "entity_id": str(uuid.UUID(int=rng.getrandbits(128))),
                 "action": "delete" if i % 4 == 0 else rng.choice(("create", "update", "submit", "approve")),
                 "unit_id": HAI_PHONG if i % 5 == 0 else None, "changes": {}}
                for i in range(start, start + 50_000)])
        s.execute(insert(User), [{"username": f"canbo{i:05d}", "full_name": f"Cán bộ {i}", "role": "reporter",
                                  "unit_id": HAI_PHONG, "password_hash": "x", "is_active": True,
                                  "created_at": at, "updated_at": at} for i in range(20_000)])
        s.execute(insert(Plan), [{"title": f"Kế hoạch {i}", "unit_id": HAI_PHONG, "status": "active",
                                  "legal_bases": [], "created_at": at, "updated_at": at,
                                  "period_start": (at + timedelta(days=i % 2000)).date(),
                                  "period_end": (at + timedelta(days=i % 2000 + 365)).date()}
                                 for i in range(5_000)])
        s.commit()
    with database.connect() as conn:
        # As a running database is (autovacuum): its pages marked all-visible, so that a page's ids
        # are read from an index alone, and its statistics up to date. The activities' statistics
        # are read from every row rather than from a random sample, so that the plans checked here
        # are the same from one run to the next (a sample once tipped the reviewer's deep feed page
        # to a bitmap scan and a sort).
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text(f"ALTER TABLE activity {SAMPLE_EVERY_ROW}"))
        conn.execute(text("VACUUM ANALYZE"))
    yield {"admin": admin, "reviewer": reviewer}
    with database.begin() as conn:
        conn.execute(text(f"ALTER TABLE activity {SAMPLE_EVERY_ROW.replace(str(STATISTICS), '-1')}"))
    # Emptied at once: deleting 200,000 rows one statement per table checks every foreign key.
    tables = [t.name for t in SQLModel.metadata.sorted_tables if t.name not in KEEP_TABLES]
    with database.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(f'"{name}"' for name in tables) + " CASCADE"))


def _key(database, sql: str) -> list:
    """The sort key of the row DEEP rows down an order, or halfway down a shorter one (the cursor a
    client holds after paging that far)."""
    with database.connect() as conn:
        count = conn.execute(text(f"SELECT count(*) FROM ({sql}) AS listed")).scalar_one()
        row = conn.execute(text(sql + f" OFFSET {min(DEEP, count // 2)} LIMIT 1")).one()
    return [v.isoformat() if hasattr(v, "isoformat") else v for v in row]


class Captured:
    """The SQL statements (with parameters) run while a request is served."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[tuple[str, object]] = []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append((statement, parameters))

    def the_one(self, table: str) -> tuple[str, object]:
        """The paging statement: the one reading `table` in an order with a LIMIT (bounded counts
        beside it, such as the queue's commune-months, have no order)."""
        found = [(s, p) for s, p in self.statements
                 if s.lstrip().upper().startswith("SELECT") and f"FROM {table}" in s and "LIMIT" in s
                 and "ORDER BY" in s]
        assert found, f"no paged query on {table} among {[s[:80] for s, _ in self.statements]}"
        return found[-1]


def _plan(engine, statement: str, parameters) -> dict:
    with engine.connect() as conn:
        raw = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar_one()
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]


def _nodes(node: dict, above: tuple = ()):
    yield node, above
    for child in node.get("Plans", ()):
        yield from _nodes(child, above + (node,))


def check_plan(engine, captured: Captured, table: str, index: str | tuple[str, ...], *, deep: bool,
               per_unit: str | None = None, by_id: bool = False) -> dict:
    """`index`: the index holding the order (or any of several, each ending with the order's columns).
    `per_unit`: an index PostgreSQL may probe once per unit of the reviewer's scope instead, when the
    scope holds few matching rows; it then sorts those rows (bounded by the scope, not the table).
    `by_id`: the page's ids are read from `index` alone, then their rows by primary key; PostgreSQL
    may sort the ids of the scope's rows when it expects few (bounded by the scope, read from the
    index without the table, not by the table)."""
    indexes = (index,) if isinstance(index, str) else index
    statement, parameters = captured.the_one(table)
    plan = _plan(engine, statement, parameters)
    with engine.connect() as conn:
        text_plan = statement + "\n" + "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
    scans = [(n, above) for n, above in _nodes(plan) if n.get("Relation Name") == table]
    assert scans, f"{table} is not read:\n{text_plan}"
    for node, above in scans:
        if per_unit is not None and node.get("Index Name") == per_unit:
            assert "unit_id = " in node.get("Index Cond", ""), f"{per_unit} not probed per unit:\n{text_plan}"
            continue
        if by_id and node.get("Index Name") == f"{table}_pkey" and node.get("Index Cond", "").startswith("(id = "):
            continue
        if by_id:
            assert node["Node Type"] == "Index Only Scan", f"the page's ids are not read from {index} alone:\n{text_plan}"
        assert node["Node Type"] in ("Index Scan", "Index Only Scan"), \
            f"{table} read by {node['Node Type']}, not by {index}:\n{text_plan}"
        assert node["Index Name"] in indexes, f"{table} read through {node['Index Name']}, not {index}:\n{text_plan}"
        assert "ROW(" not in node.get("Filter", ""), f"the keyset is filtered outside the index:\n{text_plan}"
        if deep:
            assert "ROW(" in node.get("Index Cond", ""), f"the keyset is not an Index Cond:\n{text_plan}"
        if by_id:
            continue
        # A Sort is harmless only over one page: a Limit between it and the table.
        for i, parent in enumerate(above):
            if parent["Node Type"] in ("Sort", "Incremental Sort"):
                assert any(p["Node Type"] == "Limit" for p in above[i + 1:]), \
                    f"{table} is sorted whole before the page is cut:\n{text_plan}"
    assert any(n["Node Type"] == "Limit" for n, _ in _nodes(plan)), text_plan
    return plan


def _get(client, database, url: str, headers=None) -> Captured:
    with Captured(database) as captured:
        response = client.get(url, headers=headers or {})
    assert response.status_code == 200, response.text[:500]
    return captured


ACTIVITY_LISTS = (
    # (who, extra filter, index): the list, newest first, alone and behind its usual filters
    ("admin", "", "ix_activity_date"),
    ("reviewer", "", "ix_activity_province_date"),  # the reviewer's province only
    ("admin", "&status=approved", "ix_activity_status_date"),
    ("admin", "&type=training", "ix_activity_type_date"),
)


@pytest.mark.parametrize("who,extra,index", ACTIVITY_LISTS)
def test_the_activity_list_reads_one_page_from_its_index_at_any_depth(filled, client, database, who, extra, index):
    headers = token(client, filled[who])
    where = {"": "", "&status=approved": "WHERE status = 'approved'", "&type=training": "WHERE type = 'training'"}[extra]
    first = _get(client, database, f"/api/v1/activities?limit=50{extra}", headers)
    check_plan(database, first, "activity", index, deep=False)
    cursor = encode_cursor(_key(database, f"SELECT start_date, id FROM activity {where} ORDER BY start_date DESC, id DESC"))
    deep = _get(client, database, f"/api/v1/activities?limit=50{extra}&cursor={cursor}", headers)
    check_plan(database, deep, "activity", index, deep=True)


@pytest.mark.parametrize("who,index", (("admin", "ix_activity_updated"), ("reviewer", "ix_activity_province_updated")))
def test_the_change_feed_reads_one_page_from_its_index_at_any_depth(filled, client, database, who, index):
    headers = token(client, filled[who])
    since = "2022-01-01T00:00:00Z"
    first = _get(client, database, f"/api/v1/activities?updated_since={since}&limit=100", headers)
    check_plan(database, first, "activity", index, deep=False)
    cursor = encode_cursor(_key(database, "SELECT updated_at, id FROM activity ORDER BY updated_at, id"))
    deep = _get(client, database, f"/api/v1/activities?updated_since={since}&limit=100&cursor={cursor}", headers)
    check_plan(database, deep, "activity", index, deep=True)


@pytest.mark.parametrize("who,sort,index", (
    ("admin", "submitted", "ix_activity_review_queue"),
    ("admin", "date", "ix_activity_status_date"),
    ("reviewer", "submitted", "ix_activity_province_queue"),  # the reviewer's province only
    ("reviewer", "date", "ix_activity_province_status_date"),
))
def test_the_review_queue_reads_one_page_from_its_index_at_any_depth(filled, client, database, who, sort, index):
    login(client, filled[who])
    first = _get(client, database, f"/reviews?sort={sort}")
    check_plan(database, first, "activity", index, deep=False, by_id=True)
    column = "submitted_at" if sort == "submitted" else "start_date"
    with database.connect() as conn:
        submitted = conn.execute(text("SELECT count(*) FROM activity WHERE status = 'submitted'")).scalar_one()
    assert submitted > 2_000, "too few submitted entries for a deep page"
    with database.connect() as conn:
        row = conn.execute(text(f"SELECT {column}, id FROM activity WHERE status = 'submitted' "
                                f"ORDER BY {column}, id OFFSET :n LIMIT 1"), {"n": submitted // 2}).one()
    cursor = encode_cursor([row[0].isoformat(), str(row[1])])
    deep = _get(client, database, f"/reviews?sort={sort}&cursor={cursor}")
    check_plan(database, deep, "activity", index, deep=True, by_id=True)


def test_the_deletions_feed_reads_one_page_from_its_index_at_any_depth(filled, client, database):
    headers = token(client, filled["admin"])
    first = _get(client, database, "/api/v1/activities/deleted?since=2024-01-01T00:00:00Z&limit=100", headers)
    check_plan(database, first, "audit_entry", "ix_audit_entity_action_at", deep=False)
    with database.connect() as conn:
        at, last_id = conn.execute(text("SELECT at, id FROM audit_entry WHERE entity = 'activity' AND action = 'delete' "
                                        "ORDER BY at, id OFFSET 2500 LIMIT 1")).one()
    cursor = encode_cursor([at.isoformat(), last_id])
    deep = _get(client, database, f"/api/v1/activities/deleted?since=2024-01-01T00:00:00Z&limit=100&cursor={cursor}",
                headers)
    check_plan(database, deep, "audit_entry", "ix_audit_entity_action_at", deep=True)


@pytest.mark.parametrize("extra,index", (("", "ix_audit_at"), ("user_id", "ix_audit_user_at")))
def test_the_audit_list_reads_one_page_from_its_index_at_any_depth(filled, client, database, extra, index):
    headers = token(client, filled["admin"])
    reviewer = filled["reviewer"]
    query = f"&user_id={reviewer.id}" if extra else ""
    where = f"WHERE user_id = {reviewer.id}" if extra else ""
    first = _get(client, database, f"/api/v1/audit?limit=50{query}", headers)
    check_plan(database, first, "audit_entry", index, deep=False)
    cursor = encode_cursor(_key(database, f"SELECT at, id FROM audit_entry {where} ORDER BY at DESC, id DESC"))
    deep = _get(client, database, f"/api/v1/audit?limit=50{query}&cursor={cursor}", headers)
    check_plan(database, deep, "audit_entry", index, deep=True)


def test_the_user_list_reads_one_page_from_its_index_at_any_depth(filled, client, database):
    headers = token(client, filled["admin"])
    first = _get(client, database, "/api/v1/users?limit=50", headers)
    check_plan(database, first, "user_account", "ix_user_account_username_id", deep=False)
    cursor = encode_cursor(_key(database, "SELECT username, id FROM user_account ORDER BY username, id"))
    deep = _get(client, database, f"/api/v1/users?limit=50&cursor={cursor}", headers)
    check_plan(database, deep, "user_account", "ix_user_account_username_id", deep=True)


def test_the_plan_list_reads_one_page_from_its_index_at_any_depth(filled, client, database):
    headers = token(client, filled["admin"])
    first = _get(client, database, "/api/v1/plans?limit=50", headers)
    check_plan(database, first, "plan", "ix_plan_start_id", deep=False)
    with database.connect() as conn:
        start, last_id = conn.execute(text("SELECT period_start, id FROM plan ORDER BY period_start DESC, id DESC "
                                           "OFFSET 2500 LIMIT 1")).one()
    cursor = encode_cursor([start.isoformat(), last_id])
    deep = _get(client, database, f"/api/v1/plans?limit=50&cursor={cursor}", headers)
    check_plan(database, deep, "plan", "ix_plan_start_id", deep=True)


def test_a_deep_page_of_the_list_follows_the_previous_one_exactly(filled, client, database):
    """The row comparison pages exactly: page N+1 starts right after page N's last row."""
    headers = token(client, filled["reviewer"])
    first = client.get("/api/v1/activities?limit=500", headers=headers).json()
    second = client.get(f"/api/v1/activities?limit=500&cursor={first['next_cursor']}", headers=headers).json()
    scope = select(Unit.id).where(or_(Unit.province_id == HAI_PHONG, Unit.current_province_id == HAI_PHONG))
    with database.connect() as conn:
        ids = [str(i) for i in conn.execute(select(Activity.id).where(Activity.unit_id.in_(scope))
                                            .order_by(Activity.start_date.desc(), Activity.id.desc()).limit(1000)).scalars()]
    assert [a["id"] for a in first["items"] + second["items"]] == ids
