"""The activity summary, kept exact in the same transaction as every write of an activity.

Grain
-----
One row per (plan_id, task_id, unit_id, month, type, status, agency_id), holding `activities` (how
many) and the sum of every summable column (`SUMMED_COLUMNS`: participants and their breakdown,
sessions, copies, airings, minutes, items, places, …, the three costs and their total). Each
activity counts in three kinds of rows:

- plan_id = task_id = 0: every activity, once. The dashboard (headline, by type, by month, child
  units), the exports' summary sheet and every figure not filtered by a plan read these.
- plan_id = P, task_id = 0: the activities linked to at least one task of plan P, once each. The
  dashboard and the report's headline filtered by a plan read these (an entry serving two tasks
  of the plan is one activity, not two, so the task rows cannot be added up for this).
- plan_id = P, task_id = T: the activities linked to task T. Progress against targets (per unit
  and for a whole task), completeness's logged / submitted / approved, and the report's per-task
  breakdown by type read these.

Why these columns: `unit_id` is where the entry was logged, so the boundary choice (today's units
or those of the day, villages into communes, a split commune into its default successor) is a
join of the summary's units to `unit`, exactly as it is a join of the activities' units today;
`month` (year × 100 + month) answers every period Loa offers (a month, quarter, half, year, or a
plan whose period starts on the 1st and ends on a month's last day); `type` answers the typed
targets and the breakdowns by type; `status` lets each figure choose its statuses (approved only,
or submitted and approved); `agency_id` (0 for none) answers an agency officer's scope, who sees
only the entries of their agency.

The province rows (`activity_summary_province`) add the summary up per province: the unit's
province of the day and today's province in place of the unit, every agency together. Their size
depends on the provinces, months, types and tasks, not on the number of activities. They answer
the figures of a whole province for a user who sees every agency's entries, and of the whole
country for the national admin (`app.progress.totals.province_rows_answer`); they are kept from the
same deltas, in the same transaction, right after the summary's rows.

What the summary cannot answer, so still read from the activity rows:
- a period that cuts a month (a plan from the 15th, `approve_period` over chosen days): the
  partial months come from the rows (`month_range` refuses such a span);
- completeness's `late` count: it compares each entry's `submitted_at` with a deadline that
  depends on the task and the period viewed;
- the exports' summary sheet when the list is filtered by anything but unit, period (whole
  months), type, status, plan or task (a text search, an author, a creation date).

How it stays exact
------------------
One mechanism, installed on every SQLAlchemy session when this module is imported (it is imported
with every table, see `app.models`):

- ORM writes (`session.add`, attribute changes, `session.delete` of an Activity or ActivityTask):
  `before_flush` reads the affected activities as stored (their columns, task links and the tasks'
  plans) locking their rows, `after_flush` reads them again, and the difference of their summary
  contributions is kept as pending deltas.
- Statements run through `session.execute` on `activity` or `activity_task` (INSERT with rows,
  UPDATE or DELETE with any WHERE, bulk UPDATE by primary key): `do_orm_execute` finds the ids the
  statement touches, reads them before (locked) and after, and keeps the difference. A raw SQL text
  that writes these tables is refused, since it cannot be followed.
- The pending deltas are applied when the transaction commits (`before_commit`, after a last
  flush), one upsert per summary row (`INSERT … ON CONFLICT DO UPDATE SET x = x + excluded.x`) in
  the order of the summary's key, so that concurrent writers on PostgreSQL lock summary rows in
  the same order and never deadlock on them, and hold those locks only for the commit. Rows whose
  count falls to zero are deleted, so that the summary is exactly the GROUP BY of the activities.
- A rollback (or a failed flush) drops the pending deltas; a rolled-back savepoint restores them
  as they were when it began.
- Writes that bypass the session (COPY in `app.activities.generate`) add the rows they wrote with
  `count_new_rows`; `suspended` turns maintenance off for a bulk load that ends with `rebuild`. The
  generator calls them through `generate.BULK`, which this module fills in at its end.

The writes this follows today, all without a line of their own: logging and bulk import (INSERT
of rows and of their task links), an edit (the versioned UPDATE, then the task links deleted and
added: a move between units, months, types, tasks or agencies is one delta out and one in),
submit, approve, return, reopen, bulk approve and `approve_period` (versioned UPDATEs), deleting a
draft (links deleted by a statement, then the row: a hard delete, Loa keeps no deleted rows),
attaching evidence (an UPDATE of `updated_at`: no delta), the demo data (`insert_rows`, whose COPY
is counted by `count_new_rows`, and `link_tasks`). Tasks with activities cannot be deleted and a
task never changes plan, so no write of the plans moves a summary row.

`rebuild` recomputes the summary from scratch with one INSERT … SELECT … GROUP BY; `check` compares
it with a recount, row by row, in one statement (one snapshot on PostgreSQL).
"""
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import chain
from typing import Any

from sqlalchemy import (
    BigInteger, Integer, String, and_, bindparam, cast, delete, event, except_, extract, func, insert, inspect,
    literal, select, text, true, union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from app import access
from app.activities import generate
from app.activities.models import Activity, ActivityTask
from app.core.db import in_ids
from app.plans.models import Task
from app.progress.models import (
    KEY_COLUMNS, NO_AGENCY, NO_PLAN, NO_PROVINCE, NO_TASK, PROVINCE_KEY_COLUMNS, SUMMED_COLUMNS, VALUE_COLUMNS,
    ActivitySummary, ProvinceSummary,
)
from app.units.models import Unit

SUMMARY = ActivitySummary.__table__
PROVINCES = ProvinceSummary.__table__
UNIT = Unit.__table__
ACTIVITY = Activity.__table__
LINK = ActivityTask.__table__
TASK = Task.__table__
TABLES = (ACTIVITY.name, LINK.name)
# What an activity's contribution is made of: its key columns and the columns it sums.
ROW_COLUMNS = ("id", "unit_id", "agency_id", "start_date", "type", "status") + SUMMED_COLUMNS
CHUNK = 500  # ids per IN list

PENDING = "activity_summary.pending"
FLUSH = "activity_summary.flush"
SAVED = "activity_summary.saved"
SUSPENDED = "activity_summary.suspended"

Key = tuple  # (plan_id, task_id, unit_id, month, type, status, agency_id), as KEY_COLUMNS
Deltas = dict[Key, list[int]]  # key → [activities, *SUMMED_COLUMNS]


class Untraceable(RuntimeError):
    """A write of activities whose rows cannot be told from the statement."""


# --- contributions ---------------------------------------------------------------------------

def month_of(day: date) -> int:
    return day.year * 100 + day.month


def _add(into: Deltas, key: Key, values: Iterable[int], sign: int = 1) -> None:
    current = into.get(key)
    if current is None:
        into[key] = [sign * v for v in values]
    else:
        for i, v in enumerate(values):
            current[i] += sign * v


def contributions(rows: Iterable[Any], links: dict[Any, set[tuple[int, int]]] | None = None) -> Deltas:
    """The summary rows of activities (mappings with ROW_COLUMNS) linked to (plan, task) pairs."""
    out: Deltas = {}
    for row in rows:
        values = [1] + [int(row[c] or 0) for c in SUMMED_COLUMNS]
        base = (row["unit_id"], month_of(row["start_date"]), str(row["type"]), str(row["status"]),
                row["agency_id"] or NO_AGENCY)
        pairs = (links or {}).get(row["id"], set())
        _add(out, (NO_PLAN, NO_TASK) + base, values)
        for plan_id in sorted({p for p, _ in pairs}):
            _add(out, (plan_id, NO_TASK) + base, values)
        for plan_id, task_id in sorted(pairs):
            _add(out, (plan_id, task_id) + base, values)
    return out


def difference(after: Deltas, before: Deltas) -> Deltas:
    out: Deltas = {k: list(v) for k, v in after.items()}
    for key, values in before.items():
        _add(out, key, values, -1)
    return {k: v for k, v in out.items() if any(v)}


def _chunks(ids: list, size: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


# Built once: constructing these statements costs more than running them.
_SNAPSHOT = (select(*[ACTIVITY.c[c] for c in ROW_COLUMNS], TASK.c.plan_id, TASK.c.id.label("task_id"))
             .select_from(ACTIVITY.outerjoin(LINK, LINK.c.activity_id == ACTIVITY.c.id)
                          .outerjoin(TASK, TASK.c.id == LINK.c.task_id))
             .where(ACTIVITY.c.id.in_(bindparam("ids", expanding=True))).order_by(ACTIVITY.c.id))
_SNAPSHOT_LOCKED = _SNAPSHOT.with_for_update(of=ACTIVITY)


def snapshot(connection, ids: Iterable[Any], *, lock: bool = False) -> Deltas:
    """The summary contributions of the activities `ids` as stored now (locked when `lock`, on
    PostgreSQL, in id order, until the transaction ends)."""
    ids = sorted(set(ids), key=str)
    rows: dict[Any, Any] = {}
    links: dict[Any, set[tuple[int, int]]] = {}
    for chunk in _chunks(ids):
        query = _SNAPSHOT_LOCKED if lock else _SNAPSHOT
        for row in connection.execute(query, {"ids": chunk}).mappings():
            rows[row["id"]] = row
            if row["task_id"] is not None:
                links.setdefault(row["id"], set()).add((row["plan_id"], row["task_id"]))
    return contributions(rows.values(), links)


# --- pending deltas and their application ----------------------------------------------------

def _keep(session: Session, deltas: Deltas) -> None:
    if not deltas:
        return
    pending = session.info.setdefault(PENDING, {})
    for key, values in deltas.items():
        _add(pending, key, values)


def _upsert_statement(dialect: str, table, keys: tuple[str, ...]):
    if dialect == "postgresql":
        statement = pg_insert(table)
    elif dialect == "sqlite":
        statement = sqlite_insert(table)
    else:
        raise NotImplementedError(f"the activity summary has no upsert for {dialect}")
    return statement.on_conflict_do_update(index_elements=list(keys),
                                           set_={c: table.c[c] + statement.excluded[c] for c in VALUE_COLUMNS})


def _delete_emptied(table, keys: tuple[str, ...]):
    return delete(table).where(*[table.c[c] == bindparam(f"k_{c}") for c in keys], table.c.activities == 0)


_TABLES = ((SUMMARY, KEY_COLUMNS), (PROVINCES, PROVINCE_KEY_COLUMNS))
_UPSERTS = {(name, table.name): _upsert_statement(name, table, keys)
            for name in ("postgresql", "sqlite") for table, keys in _TABLES}
_DELETES = {table.name: _delete_emptied(table, keys) for table, keys in _TABLES}
_UNIT_PROVINCES = select(UNIT.c.id, UNIT.c.province_id, UNIT.c.current_province_id).where(
    UNIT.c.id.in_(bindparam("ids", expanding=True)))


def by_province(connection, deltas: Deltas) -> Deltas:
    """`deltas` of the summary added up per province row (each unit's province of the day and
    today's, as the unit table says now; every agency together)."""
    units = sorted({key[2] for key in deltas})
    provinces: dict[int, tuple[int, int]] = {}
    for chunk in _chunks(units):
        for r in connection.execute(_UNIT_PROVINCES, {"ids": chunk}):
            provinces[r.id] = (r.province_id or NO_PROVINCE, r.current_province_id or NO_PROVINCE)
    out: Deltas = {}
    for (plan_id, task_id, unit_id, month, kind, status, _agency), values in deltas.items():
        _add(out, (plan_id, task_id, *provinces.get(unit_id, (NO_PROVINCE, NO_PROVINCE)), month, kind, status), values)
    return {k: v for k, v in out.items() if any(v)}


def _apply_to(connection, table, keys: tuple[str, ...], deltas: Deltas) -> None:
    changed = sorted((k, v) for k, v in deltas.items() if any(v))
    if not changed:
        return
    statement = _UPSERTS.get((connection.dialect.name, table.name))
    if statement is None:
        statement = _upsert_statement(connection.dialect.name, table, keys)
    connection.execute(statement, [dict(zip(keys + VALUE_COLUMNS, key + tuple(values))) for key, values in changed])
    emptied = [{f"k_{c}": v for c, v in zip(keys, key)} for key, values in changed if values[0] < 0]
    if emptied:
        connection.execute(_DELETES[table.name], emptied)


def apply(connection, deltas: Deltas) -> None:
    """Adds `deltas` to the summary, then to the province rows, one row at a time in key order
    (the summary's rows before the provinces', so that writers lock rows in one order); rows left
    at zero go. The units' provinces are read first, before any row is locked: no round trip to
    the database lengthens the wait of other writers of the same rows."""
    provinces = by_province(connection, deltas)
    _apply_to(connection, SUMMARY, KEY_COLUMNS, deltas)
    _apply_to(connection, PROVINCES, PROVINCE_KEY_COLUMNS, provinces)


@contextmanager
def suspended(session: Session) -> Iterator[None]:
    """No maintenance inside (a bulk load that ends with `rebuild`)."""
    session.info[SUSPENDED] = True
    try:
        yield
    finally:
        session.info.pop(SUSPENDED, None)


def count_new_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """New activities written outside the session (COPY), without task links: counted at commit."""
    if not session.info.get(SUSPENDED):
        _keep(session, contributions(rows))


# --- the hooks -------------------------------------------------------------------------------

def _flushed_ids(session: Session) -> set:
    ids = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Activity):
            ids.add(obj.id)
        elif isinstance(obj, ActivityTask):
            ids.add(obj.activity_id)
            ids.update(inspect(obj).attrs.activity_id.history.deleted or ())
    ids.discard(None)
    return ids


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context, instances) -> None:
    session.info.pop(FLUSH, None)
    if session.info.get(SUSPENDED):
        return
    ids = _flushed_ids(session)
    if ids:
        session.info[FLUSH] = (ids, snapshot(session.connection(), ids, lock=True))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context) -> None:
    captured = session.info.pop(FLUSH, None)
    if captured is not None:
        ids, before = captured
        _keep(session, difference(snapshot(session.connection(), ids), before))


_RAW_WRITE = re.compile(r"^\s*(insert\s+into|update|delete\s+from)\s+\"?(activity|activity_task)\"?[\s(]",
                        re.IGNORECASE)


def _target(statement) -> str | None:
    table = getattr(statement, "table", None)
    return getattr(table, "name", None)


def _written_ids(state, table: str) -> list:
    """The ids of the activities a statement writes."""
    column = "id" if table == ACTIVITY.name else "activity_id"
    statement, params = state.statement, state.parameters
    rows = params if isinstance(params, list) else [params] if params else []
    if state.is_insert or (state.is_update and statement.whereclause is None and rows):
        if not rows or any(column not in row for row in rows):
            raise Untraceable(f"an INSERT into {table} must pass its rows (with `{column}`) as parameters")
        return [row[column] for row in rows]
    source = ACTIVITY.c.id if table == ACTIVITY.name else LINK.c.activity_id
    query = select(source).where(statement.whereclause) if statement.whereclause is not None else select(source)
    connection = state.session.connection()
    return [i for params in (rows or [{}]) for i in connection.execute(query, params).scalars()]


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state):
    session = state.session
    if session.info.get(SUSPENDED):
        return None
    statement = state.statement
    if not (state.is_insert or state.is_update or state.is_delete):
        if isinstance(statement, TextClause) and _RAW_WRITE.search(statement.text):
            raise Untraceable("raw SQL writing activities bypasses the activity summary: use a statement on the table")
        return None
    table = _target(statement)
    if table not in TABLES:
        return None
    ids = _written_ids(state, table)
    connection = session.connection()
    new_rows = state.is_insert and table == ACTIVITY.name
    if new_rows and all(set(ROW_COLUMNS) <= set(row) for row in state.parameters):
        result = state.invoke_statement()
        _keep(session, contributions(state.parameters))
        return result
    before = {} if new_rows else snapshot(connection, ids, lock=True)
    result = state.invoke_statement()
    _keep(session, difference(snapshot(connection, ids), before))
    return result


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.flush()
    pending = session.info.pop(PENDING, None)
    if pending:
        apply(session.connection(), pending)


@event.listens_for(Session, "after_transaction_create")
def _savepoint_begins(session: Session, transaction) -> None:
    if transaction.nested:
        saved = session.info.setdefault(SAVED, {})
        saved[id(transaction)] = {k: list(v) for k, v in session.info.get(PENDING, {}).items()}


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction) -> None:
    session.info.pop(FLUSH, None)
    if previous_transaction.nested:
        saved = session.info.get(SAVED, {}).pop(id(previous_transaction), None)
        if saved is not None:
            session.info[PENDING] = saved
    else:
        session.info.pop(PENDING, None)


@event.listens_for(Session, "after_transaction_end")
def _transaction_ends(session: Session, transaction) -> None:
    if not transaction.nested and transaction.parent is None:
        session.info.pop(PENDING, None)
        session.info.pop(FLUSH, None)
        session.info.pop(SAVED, None)


# --- recount, rebuild, check -----------------------------------------------------------------

def _month_expression(day):
    return cast(extract("year", day), Integer) * literal(100, Integer) + cast(extract("month", day), Integer)


def recount_select():
    """The summary recomputed from the activity rows: every activity, per plan, per task."""
    base = select(ACTIVITY.c.id, ACTIVITY.c.unit_id, _month_expression(ACTIVITY.c.start_date).label("month"),
                  ACTIVITY.c.type, cast(ACTIVITY.c.status, String).label("status"),
                  func.coalesce(ACTIVITY.c.agency_id, NO_AGENCY).label("agency_id"),
                  *[ACTIVITY.c[c] for c in SUMMED_COLUMNS]).subquery("a")
    plans = (select(LINK.c.activity_id, TASK.c.plan_id).join(TASK, TASK.c.id == LINK.c.task_id)
             .distinct().subquery("p"))
    tasks = select(LINK.c.activity_id, TASK.c.plan_id, TASK.c.id.label("task_id")).join(
        TASK, TASK.c.id == LINK.c.task_id).subquery("t")
    keys = [base.c[c] for c in KEY_COLUMNS[2:]]
    values = [func.count().label("activities")] + [cast(func.sum(base.c[c]), BigInteger).label(c)
                                                  for c in SUMMED_COLUMNS]
    every = (select(literal(NO_PLAN, Integer).label("plan_id"), literal(NO_TASK, Integer).label("task_id"),
                    *keys, *values).select_from(base).group_by(*keys))
    per_plan = (select(plans.c.plan_id, literal(NO_TASK, Integer).label("task_id"), *keys, *values)
                .select_from(base.join(plans, plans.c.activity_id == base.c.id)).group_by(plans.c.plan_id, *keys))
    per_task = (select(tasks.c.plan_id, tasks.c.task_id, *keys, *values)
                .select_from(base.join(tasks, tasks.c.activity_id == base.c.id))
                .group_by(tasks.c.plan_id, tasks.c.task_id, *keys))
    return union_all(every, per_plan, per_task)


def by_province_select(rows):
    """Rows shaped like the summary (`rows`: a subquery) added up per province row."""
    keyed = (select(rows.c.plan_id, rows.c.task_id,
                    func.coalesce(UNIT.c.province_id, NO_PROVINCE).label("province_id"),
                    func.coalesce(UNIT.c.current_province_id, NO_PROVINCE).label("current_province_id"),
                    rows.c.month, rows.c.type, rows.c.status, *[rows.c[c] for c in VALUE_COLUMNS])
             .select_from(rows.join(UNIT, UNIT.c.id == rows.c.unit_id)).subquery("k"))
    return (select(*[keyed.c[c] for c in PROVINCE_KEY_COLUMNS],
                   *[cast(func.sum(keyed.c[c]), BigInteger).label(c) for c in VALUE_COLUMNS])
            .group_by(*[keyed.c[c] for c in PROVINCE_KEY_COLUMNS]))


def rebuild(session: Session) -> int:
    """Recomputes the summary and its province rows from scratch (no commit); returns the number
    of summary rows. On PostgreSQL both are locked against writers meanwhile, so that writes in
    flight land on the rebuilt rows (their deltas are applied when they commit, after this)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE activity_summary, activity_summary_province IN EXCLUSIVE MODE"))
    connection.execute(delete(SUMMARY))
    connection.execute(insert(SUMMARY).from_select(list(KEY_COLUMNS + VALUE_COLUMNS), recount_select()))
    rebuild_provinces(session)
    session.info.pop(PENDING, None)
    return connection.execute(select(func.count()).select_from(SUMMARY)).scalar_one()


def rebuild_provinces(session: Session) -> int:
    """Recomputes the province rows from the summary (after the units changed province, as a new
    load of the units may do); returns their number. On PostgreSQL they are locked against writers
    meanwhile: a writer's deltas wait and are added to the rebuilt rows. A writer takes its
    activity rows before its province rows, so a caller that also updates activities (as
    `loa units load` does) does so before this, in the same order."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE activity_summary_province IN EXCLUSIVE MODE"))
    connection.execute(delete(PROVINCES))
    connection.execute(insert(PROVINCES).from_select(list(PROVINCE_KEY_COLUMNS + VALUE_COLUMNS),
                                                     by_province_select(SUMMARY)))
    return connection.execute(select(func.count()).select_from(PROVINCES)).scalar_one()


def _as_dict(rows, keys: tuple[str, ...] = KEY_COLUMNS) -> dict[Key, tuple[int, ...]]:
    return {tuple(r[c] for c in keys): tuple(int(r[c]) for c in VALUE_COLUMNS) for r in rows}


def recount(session: Session) -> dict[Key, tuple[int, ...]]:
    """The summary as the activity rows say it should be."""
    return _as_dict(session.connection().execute(select(recount_select().subquery())).mappings())


def stored(session: Session) -> dict[Key, tuple[int, ...]]:
    """The summary as stored."""
    return _as_dict(session.connection().execute(select(SUMMARY)).mappings())


def recount_provinces(session: Session) -> dict[Key, tuple[int, ...]]:
    """The province rows as the activity rows say they should be."""
    query = by_province_select(recount_select().subquery("r"))
    return _as_dict(session.connection().execute(query).mappings(), PROVINCE_KEY_COLUMNS)


def stored_provinces(session: Session) -> dict[Key, tuple[int, ...]]:
    return _as_dict(session.connection().execute(select(PROVINCES)).mappings(), PROVINCE_KEY_COLUMNS)


@dataclass
class Drift:
    key: dict[str, Any]
    expected: dict[str, int] | None   # from the activity rows; None: the row should not exist
    found: dict[str, int] | None      # in the summary; None: the row is missing
    table: str = SUMMARY.name

    def describe(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self.key.items())
        kind = "" if self.table == SUMMARY.name else " of the province rows"
        if self.found is None:
            return f"missing row{kind} ({where}): expected {self.expected}"
        if self.expected is None:
            return f"extra row{kind} ({where}): found {self.found}"
        wrong = {c: (self.expected[c], self.found[c]) for c in VALUE_COLUMNS if self.expected[c] != self.found[c]}
        return f"wrong row{kind} ({where}): " + ", ".join(f"{c} expected {e}, found {f}" for c, (e, f) in wrong.items())


def check(session: Session) -> list[Drift]:
    """Every row of the summary, then of its province rows, that differs from a recount (one
    statement each; on PostgreSQL run them in a REPEATABLE READ transaction for one snapshot)."""
    return (_drift(session, SUMMARY, KEY_COLUMNS, recount_select().subquery().select())
            + _drift(session, PROVINCES, PROVINCE_KEY_COLUMNS, by_province_select(recount_select().subquery("r"))))


def _drift(session: Session, table, keys: tuple[str, ...], expected) -> list[Drift]:
    columns = list(keys + VALUE_COLUMNS)
    held = select(*[table.c[c] for c in columns])
    missing = except_(expected, held).subquery("missing")
    extra = except_(held, expected).subquery("extra")
    query = union_all(select(literal("expected").label("side"), *[missing.c[c] for c in columns]),
                      select(literal("found").label("side"), *[extra.c[c] for c in columns]))
    sides: dict[Key, dict[str, dict[str, int]]] = {}
    for row in session.connection().execute(query).mappings():
        key = tuple(row[c] for c in keys)
        sides.setdefault(key, {})[row["side"]] = {c: int(row[c]) for c in VALUE_COLUMNS}
    return [Drift(dict(zip(keys, key)), s.get("expected"), s.get("found"), table.name)
            for key, s in sorted(sides.items())]


# --- reading ---------------------------------------------------------------------------------

class CutMonth(ValueError):
    """A span that starts or ends inside a month: the summary holds whole months only."""


def month_range(start: date, end: date) -> tuple[int, int]:
    """The summary's months of a span of whole months (2026-01-01..2026-12-31 → 202601, 202612)."""
    if start.day != 1:
        raise CutMonth(f"{start} is not the first day of a month")
    if (end + timedelta(days=1)).day != 1:
        raise CutMonth(f"{end} is not the last day of a month")
    return month_of(start), month_of(end)


def scope_condition(session: Session, user) -> Any:
    """The summary rows of the entries `user` may see (the summary's `activity_scope_condition`)."""
    if access.is_national_admin(user):
        return true()
    conditions = [SUMMARY.c.unit_id.in_(access.visible_unit_ids(session, user))]
    if (agency_id := access.limited_to_agency(user)) is not None:
        conditions.append(SUMMARY.c.agency_id == agency_id)
    return and_(*conditions)


def units_in_view(session: Session, user, root: Unit | None) -> Any:
    """The summary rows of the units under `root` (its subtree, `access.unit_subtree_condition`; the
    whole country for None) that `user` may see, as a list of unit ids read once: a few hundred for
    a province. As a subquery, PostgreSQL looked each summary row's unit up twice (60 % of the time
    of the progress and completeness of a province at 10 million activities)."""
    if root is None and access.is_national_admin(user):
        return true()
    subtree = true() if root is None else access.unit_subtree_condition(root)
    ids = session.execute(select(Unit.id).where(subtree, access.unit_scope_condition(
        user, access.scope_unit(session, user)))).scalars().all()
    condition = in_ids(SUMMARY.c.unit_id, ids)
    if (agency_id := access.limited_to_agency(user)) is not None:
        condition = and_(condition, SUMMARY.c.agency_id == agency_id)
    return condition


def covers(start: date, end: date) -> bool:
    """Whether the summary answers a span: whole months only (see `month_range`)."""
    try:
        month_range(start, end)
    except CutMonth:
        return False
    return True


def plans_of_tasks(session: Session, task_ids) -> list[int]:
    """The plans of `task_ids`, read first and named as values in a read of the summary: behind a
    subquery PostgreSQL cannot tell how many rows they select, and read a province's task rows from
    the table rather than from the covering index alone (at 1 million activities, 45 ms of the
    dashboard's progress against 6)."""
    return sorted(session.execute(select(Task.plan_id).where(Task.id.in_(task_ids)).distinct()).scalars())


def plan_rows_of_tasks(session: Session, task_ids) -> Any:
    """The plans of `task_ids` as a condition on the summary: the key (and its index) starts with
    the plan, so naming it lets a read of some tasks' rows use the index."""
    return SUMMARY.c.plan_id.in_(plans_of_tasks(session, task_ids))


def task_amounts(session: Session, *, task_ids, start: date, end: date, statuses: tuple[str, ...],
                 metrics: tuple[str, ...], where=true()) -> list:
    """What each task's activities amount to, per status and type, over every unit matching `where`
    (a condition on `Unit` and the summary): targets set for a task as a whole."""
    low, high = month_range(start, end)
    sums = [func.sum(SUMMARY.c[m]).label(m) for m in ("activities",) + tuple(m for m in metrics if m != "activities")]
    query = (select(SUMMARY.c.task_id, SUMMARY.c.status, SUMMARY.c.type, *sums)
             .select_from(SUMMARY.join(Unit, Unit.id == SUMMARY.c.unit_id))
             .where(plan_rows_of_tasks(session, task_ids), SUMMARY.c.task_id.in_(task_ids),
                    SUMMARY.c.status.in_(statuses), SUMMARY.c.month.between(low, high), where)
             .group_by(SUMMARY.c.task_id, SUMMARY.c.status, SUMMARY.c.type))
    return list(session.execute(query).all())


def progress_amounts(session: Session, *, task_ids: list[int], key, start: date, end: date,
                     statuses: tuple[str, ...], metrics: tuple[str, ...], typed: bool = False, units=None) -> list:
    """What each task's activities amount to, per unit key, status (and type when `typed`): the
    progress aggregate, read from the task rows of the summary instead of the activities.

    `key` is an expression on `Unit` naming the row an activity's unit counts toward (today's
    commune, the commune of the day, …: the boundary choice maps the summary's units); `units` is
    a condition on the summary's `unit_id` (the subtree in view, `scope_condition`). The span must
    be whole months. Each row has task_id, key, status, [type], activities and the sums of
    `metrics`, like the query over the activities it replaces. The rows are first added up per
    unit (from the covering index alone, on PostgreSQL), then per key: each unit is looked up once,
    not once per month and type.
    """
    low, high = month_range(start, end)
    values = ("activities",) + tuple(m for m in metrics if m != "activities")
    kinds = [SUMMARY.c.type] if typed else []
    per_unit = (select(SUMMARY.c.task_id, SUMMARY.c.unit_id, SUMMARY.c.status, *kinds,
                       *[func.sum(SUMMARY.c[m]).label(m) for m in values])
                .where(plan_rows_of_tasks(session, task_ids), SUMMARY.c.task_id.in_(task_ids),
                       SUMMARY.c.status.in_(statuses), SUMMARY.c.month.between(low, high),
                       true() if units is None else units)
                .group_by(SUMMARY.c.task_id, SUMMARY.c.unit_id, SUMMARY.c.status, *kinds).subquery("u"))
    rows = (select(per_unit, key.label("key")).select_from(per_unit.join(Unit, Unit.id == per_unit.c.unit_id))
            .where(key.is_not(None)).subquery("s"))
    group = [rows.c.task_id, rows.c.key, rows.c.status] + ([rows.c.type] if typed else [])
    return list(session.execute(select(*group, *[func.sum(rows.c[m]).label(m) for m in values]).group_by(*group)).all())


def province_progress_amounts(session: Session, *, task_ids: list[int], current: bool, start: date, end: date,
                              statuses: tuple[str, ...], metrics: tuple[str, ...], typed: bool = False) -> list:
    """`progress_amounts` of the whole country, one key per province (today's when `current`, else
    the province of the day), read from the province rows: a few rows per province, month and
    type, however many activities there are. For the national admin, who sees every entry."""
    low, high = month_range(start, end)
    p = PROVINCES
    key = (p.c.current_province_id if current else p.c.province_id).label("key")
    group = [p.c.task_id, key, p.c.status] + ([p.c.type] if typed else [])
    sums = [func.sum(p.c[m]).label(m) for m in ("activities",) + tuple(m for m in metrics if m != "activities")]
    query = (select(*group, *sums)
             .where(p.c.plan_id.in_(plans_of_tasks(session, task_ids)),
                    p.c.task_id.in_(task_ids), p.c.status.in_(statuses), p.c.month.between(low, high),
                    key != NO_PROVINCE)
             .group_by(*group))
    return list(session.execute(query).all())


# Bulk loads of the demo generator write by COPY, past the session's hooks: they report here.
generate.BULK.loading = suspended
generate.BULK.copied = count_new_rows
generate.BULK.loaded = rebuild
