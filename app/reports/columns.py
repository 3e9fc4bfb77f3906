"""The columns of an activity export and the one streamed row query behind XLSX and CSV.

Every column is read straight from SQL: unit, agency, author and task names joined in, each detail
of `details` as its own text column, topics and audiences as their JSON text (joined in Python,
once per distinct list: on PostgreSQL joining them in SQL cost more than the rest of the row). So
an export of any size is one pass over a server-side cursor, and its rows hold plain text, numbers,
dates and times.
"""
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import DateTime, String, Text, case, cast, func, select, text, type_coerce
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.accounts.models import User
from app.activities.models import ActivityTask
from app.activities.queries import ActivityFilter, activity_query
from app.activities.types import COST_COLUMNS, PARTICIPANT_COLUMNS, STATUS_LABELS, TYPES, ActivityType
from app.agencies.models import Agency
from app.core.clock import VN_TZ
from app.core.text import format_date
from app.plans.models import METRIC_LABELS, Plan, Task
from app.units.models import Unit

CHUNK = 250  # rows per fetch from the server-side cursor: a few hundred kB in memory
# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """A text cell no spreadsheet will run: text starting like a formula gets a leading single
    quote, as OWASP recommends, in the XLSX and the CSV alike. Numbers and dates are not text and
    stay typed (a negative number is a number, not the text "-5")."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    label: str
    key: str                      # a label of the row query
    kind: str = "text"            # text, int, date, datetime
    width: int = 14
    convert: Callable[[Any], Any] | None = None
    # Few distinct values (names, labels, dates, small numbers): a file writer may keep each value's
    # written form (a bounded number of them) instead of writing it again on every row.
    repeats: bool = True


# The day spreadsheets count from (openpyxl's WINDOWS_EPOCH), and that midnight in Vietnam at +07:00,
# Vietnam's offset since June 1975: from 1976 on, the distance of a moment from it is the moment's
# wall-clock time in Vietnam, without the zone database (a third of the time of `astimezone`).
EPOCH = datetime(1899, 12, 30)
VN_EPOCH = EPOCH.replace(tzinfo=timezone(timedelta(hours=7)))
VN_FIXED_SINCE_DAYS = (datetime(1976, 1, 1) - EPOCH).days


def local_elapsed(moment: datetime) -> timedelta:
    """A stored moment (aware, or naive UTC as SQLite gives it) as Vietnam's wall-clock time, counted
    from EPOCH: its days are the date, its seconds the time of day."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    elapsed = moment - VN_EPOCH
    if elapsed.days < VN_FIXED_SINCE_DAYS:
        elapsed = moment.astimezone(VN_TZ).replace(tzinfo=None) - EPOCH
    return elapsed


def _uuid_text(text: str) -> str:
    """An activity's id read as text (PostgreSQL gives it with hyphens, SQLite as 32 hex digits) in
    its usual form."""
    return text if len(text) == 36 else str(uuid.UUID(text))


def _joined(text: str | None) -> str:
    """A JSON list of text as one text, its items in their order joined with "; "."""
    return "; ".join(str(v) for v in json.loads(text) or []) if text else ""


def _labelled(choices: tuple[tuple[str, str], ...]) -> Callable[[Any], Any]:
    labels = dict(choices)
    return lambda value: labels.get(value, value)


def detail_key(name: str) -> str:
    """The label, in the row query, of one detail of `Activity.details`."""
    return f"detail_{name}"


COMMON_HEAD = (
    Column("Mã hoạt động", "id", width=36, convert=_uuid_text, repeats=False),
    Column("Loại hoạt động", "type", width=22, convert=lambda v: TYPES[v].label if v in TYPES else v),
    Column("Tên hoạt động", "title", width=48, repeats=False),
    Column("Ngày bắt đầu", "start_date", "date", 12),
    Column("Ngày kết thúc", "end_date", "date", 12),
    Column("Đơn vị", "unit_name", width=28),
    Column("Mã đơn vị", "unit_code", width=10),
    Column("Đơn vị theo địa giới hiện nay", "current_unit_name", width=28),
    Column("Cơ quan thực hiện", "agency_name", width=30),
    Column("Nhiệm vụ", "task_titles", width=40),
    Column("Chủ đề", "topics", width=24, convert=_joined),
    Column("Đối tượng", "audiences", width=24, convert=_joined),
)
PARTICIPANTS = tuple(Column(label, name, "int") for name, label in PARTICIPANT_COLUMNS)
COSTS = tuple(Column(label + " (đồng)", name, "int", 16) for name, label in COST_COLUMNS) + (
    Column("Tổng kinh phí (đồng)", "cost_vnd", "int", 16),
)
COMMON_TAIL = (
    Column("Trạng thái", "status", width=12, convert=lambda v: STATUS_LABELS.get(str(v), str(v))),
    Column("Người ghi", "created_by_name", width=22),
    Column("Thời điểm ghi", "created_at", "datetime", 17, repeats=False),
    Column("Thời điểm gửi", "submitted_at", "datetime", 17, repeats=False),
    Column("Thời điểm duyệt", "reviewed_at", "datetime", 17, repeats=False),
    Column("Nhận xét của người duyệt", "review_comment", width=30),
    Column("Ghi chú", "notes", width=30, repeats=False),
)


def _type_field_columns(activity_type: ActivityType) -> tuple[Column, ...]:
    out = []
    for f in activity_type.fields:
        if f.kind == "int":
            out.append(Column(f.label, f.name, "int"))
        else:
            convert = _labelled(f.choices) if f.choices else None
            out.append(Column(f.label, detail_key(f.name), width=24, convert=convert))
        if f.name == "minutes_per_airing":
            out.append(Column("Tổng số phút phát sóng", "minutes", "int"))
    return tuple(out)


def columns_for(type_code: str | None, boundaries: str = "current") -> tuple[Column, ...]:
    """A type's sheet has its own fields; the all-types list has the union of every type's fields."""
    if boundaries != "current":
        return tuple(c for c in columns_for(type_code) if c.key != "current_unit_name")
    if type_code in TYPES:
        activity_type = TYPES[type_code]
        middle = (PARTICIPANTS if activity_type.participants else ()) + _type_field_columns(activity_type)
        return COMMON_HEAD + middle + COSTS + COMMON_TAIL
    seen: dict[str, Column] = {}
    for activity_type in TYPES.values():
        for column in _type_field_columns(activity_type):
            name = column.key if column.kind == "int" else column.label
            if name in seen:
                if column.kind == "int" and column.key in METRIC_LABELS:
                    seen[name] = Column(METRIC_LABELS[column.key], column.key, "int")
                continue
            seen[name] = column
    return COMMON_HEAD + PARTICIPANTS + tuple(seen.values()) + COSTS + COMMON_TAIL


def export_query(session: Session, user: User, f: ActivityFilter, boundaries: str = "current"):
    """The list page's query. Boundaries never change which activities are in view (as on the
    dashboard); they decide whether the export also names each unit's successor of today."""
    return activity_query(session, user, f)


# Every detail any type has, each read as its own column.
DETAIL_NAMES = tuple(dict.fromkeys(f.name for t in TYPES.values() for f in t.fields if f.kind != "int"))
# The activity's own columns an export shows, as they are.
ACTIVITY_KEYS = tuple(dict.fromkeys(
    ["type", "title", "start_date", "end_date"] + [name for name, _ in PARTICIPANT_COLUMNS]
    + [f.name for t in TYPES.values() for f in t.fields if f.kind == "int"] + ["minutes"]
    + [name for name, _ in COST_COLUMNS] + ["cost_vnd", "review_comment", "notes"]))
# Read as the database gives them: `local_elapsed` takes either form (the column type's own conversion
# to aware UTC cost as much again per value).
MOMENT_KEYS = ("created_at", "submitted_at", "reviewed_at")


def row_query(session: Session, user: User, f: ActivityFilter, boundaries: str = "current", *,
              by_type: bool = False):
    """The filtered, scoped activities as flat rows with every exported value, oldest first (with
    `by_type`, grouped by type in the catalogue's order first: one pass fills every sheet)."""
    base = export_query(session, user, f, boundaries).subquery()
    current = aliased(Unit)
    author = aliased(User)
    # Each task's title by its key, not a join: PostgreSQL would scan the task table once per row.
    title = select(Task.title).where(Task.id == ActivityTask.task_id).scalar_subquery()
    tasks = (
        select(func.aggregate_strings(title, "; "))
        .where(ActivityTask.activity_id == base.c.id)
        .scalar_subquery()
    )
    order = (base.c.start_date, base.c.id)
    if by_type:
        order = (case(TYPE_POSITION, value=base.c.type, else_=len(TYPE_POSITION)),) + order
    return (
        select(cast(base.c.id, Text).label("id"), *[base.c[key] for key in ACTIVITY_KEYS],
               type_coerce(base.c.status, String).label("status"),  # its code, not the Enum's member
               *[type_coerce(base.c[key], DateTime(timezone=True)).label(key) for key in MOMENT_KEYS],
               cast(base.c.topics, Text).label("topics"), cast(base.c.audiences, Text).label("audiences"),
               *[base.c.details[name].as_string().label(detail_key(name)) for name in DETAIL_NAMES],
               Unit.name.label("unit_name"), Unit.code.label("unit_code"),
               current.name.label("current_unit_name"), Agency.name.label("agency_name"),
               author.full_name.label("created_by_name"), tasks.label("task_titles"))
        .select_from(base)
        .join(Unit, Unit.id == base.c.unit_id)
        .outerjoin(current, current.id == func.coalesce(Unit.current_commune_id, Unit.current_province_id))
        .outerjoin(Agency, Agency.id == base.c.agency_id)
        .outerjoin(author, author.id == base.c.created_by_id)
        .order_by(*order)
    )


TYPE_POSITION = {code: i for i, code in enumerate(TYPES)}


def stream_rows(session: Session, user: User, f: ActivityFilter, boundaries: str = "current", *,
                by_type: bool = False) -> tuple[list[str], Iterator]:
    """The row query's labels and its rows, fetched in chunks through a server-side cursor as plain
    tuples (no ORM objects), so memory stays flat."""
    query = row_query(session, user, f, boundaries, by_type=by_type)
    if session.get_bind().dialect.name == "postgresql":
        # PostgreSQL plans a cursor for its first tenth of rows (`cursor_tuple_fraction`); an export
        # reads them all. Planned for all, a province-year at 10M activities streams in 2.9 s, not 9.6.
        session.execute(text("SET LOCAL cursor_tuple_fraction = 1.0"))
    # On the session's connection, not through the ORM: its result layer cost more than the rows.
    result = session.connection().execute(query.execution_options(stream_results=True, max_row_buffer=CHUNK))
    return list(result.keys()), (row for partition in result.partitions(CHUNK) for row in partition)


# Written forms kept per column of few distinct values: memory stays bounded at any size.
KEEP_FORMS = 1000


class CellForms:
    """What each column of an export writes for the values of one row, worked out once per export,
    not once per cell: `form_of(column, n)` gives the function from a raw value to its written form
    in the n-th column (from 1). Each column keeps the form of each value it has met (up to
    KEEP_FORMS if it has few distinct values, `Column.repeats`; else only the empty value's), so a
    row is mostly looked up in C (one `itemgetter`, one `map` of `dict.get`) and only the values not
    met before go through Python."""

    def __init__(self, keys: list[str], columns: tuple[Column, ...],
                 form_of: Callable[[Column, int], Callable[[Any], Any]]):
        position = {key: i for i, key in enumerate(keys)}
        self.pick = itemgetter(*[position[c.key] for c in columns])
        self.forms = [form_of(c, n) for n, c in enumerate(columns, 1)]
        self.kept: list[dict] = [{} for _ in columns]
        self.keep = [KEEP_FORMS if c.repeats else 0 for c in columns]

    def __call__(self, row) -> list:
        values = self.pick(row)
        written = list(map(dict.get, self.kept, values))
        n = -1
        for _ in range(written.count(None)):  # the values not met before (None is no written form)
            n = written.index(None, n + 1)
            value = values[n]
            form = written[n] = self.forms[n](value)
            kept = self.kept[n]
            if value is None or len(kept) < self.keep[n]:  # an empty value is kept in every column
                kept[value] = form
        return written


def describe_filter(session: Session, f: ActivityFilter, boundaries: str = "current", at: date | None = None) -> str:
    """The filters in words, for the first lines of every export."""
    parts = []
    if f.unit_id:
        unit = session.get(Unit, f.unit_id)
        parts.append(f"Đơn vị: {unit.name if unit else f.unit_id}")
    if f.plan_id:
        plan = session.get(Plan, f.plan_id)
        parts.append(f"Kế hoạch: {plan.title if plan else f.plan_id}")
    if f.task_id:
        task = session.get(Task, f.task_id)
        parts.append(f"Nhiệm vụ: {task.title if task else f.task_id}")
    if f.type:
        parts.append(f"Loại: {TYPES[f.type].label if f.type in TYPES else f.type}")
    if f.status:
        parts.append(f"Trạng thái: {STATUS_LABELS.get(f.status, f.status)}")
    if f.date_from:
        parts.append(f"Từ ngày: {format_date(f.date_from)}")
    if f.date_to:
        parts.append(f"Đến ngày: {format_date(f.date_to)}")
    if boundaries == "as_of":
        parts.append(f"Địa giới: tại ngày {format_date(at)}" if at else "Địa giới: tại thời điểm ghi")
    else:
        parts.append("Địa giới: hiện nay")
    return "; ".join(parts) if parts else "Không lọc"


def generated_line(now: datetime) -> str:
    return f"Thời điểm xuất: {now.astimezone(VN_TZ).strftime('%H:%M %d/%m/%Y')}"

