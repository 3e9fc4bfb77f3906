"""The review queue: submitted entries the reviewer may approve or return, a page at a time, in
the order the reviewer chose (by submission time or by the activity's date, oldest first)."""
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ARRAY, Date, Integer, bindparam, func, select, true
from sqlalchemy.orm import load_only
from sqlmodel import Session

from app import access
from app.accounts.models import User
from app.activities.models import Activity, Evidence
from app.activities.queries import ActivityFilter, activity_query
from app.core.pagination import after_key, decode_cursor, encode_cursor
from app.units.models import Unit

PAGE_SIZE = 50
BULK_LIMIT = 1000
COUNT_LIMIT = 10_000  # the queue's size is counted up to here ("more than 10,000" beyond)
# Sort choice → (what the page says, the sort key).
SORTS = {
    "submitted": "thời điểm gửi, cũ nhất trước",
    "date": "ngày thực hiện, cũ nhất trước",
}
DEFAULT_SORT = "submitted"
# What a queue row shows (templates/reviews/_row.html) and its cursor: a page loads these columns
# only, not the entries' notes and lists (JSON) it does not show.
ROW_COLUMNS = (Activity.id, Activity.title, Activity.type, Activity.status, Activity.start_date, Activity.unit_id,
               Activity.submitted_at, Activity.participants, Activity.participants_poor, Activity.airings,
               Activity.minutes_per_airing, Activity.minutes, Activity.copies, Activity.cost_vnd)


@dataclass
class QueueRow:
    activity: Activity
    unit_name: str
    author: str | None
    thumbnail_id: uuid.UUID | None = None   # the first photo, shown in the row
    evidence_count: int = 0


def sort_key(sort: str):
    """The column a queue page is ordered by (then the id). A submitted entry always has its
    submission time; ix_activity_review_queue (status, submitted_at, id) and ix_activity_status_date
    (status, start_date, id) hold these orders, and for a scope within one province
    ix_activity_province_queue and ix_activity_province_status_date (the same behind the province),
    so any page is read from an index."""
    if sort == "date":
        return Activity.start_date
    return Activity.submitted_at


def _key_value(activity: Activity, sort: str):
    if sort == "date":
        return activity.start_date.isoformat()
    return activity.submitted_at.isoformat()


def _decode(sort: str, cursor: str | None) -> list | None:
    return decode_cursor(cursor, date.fromisoformat if sort == "date" else datetime.fromisoformat, uuid.UUID)


def _cursor(row: "QueueRow", sort: str) -> str:
    return encode_cursor([_key_value(row.activity, sort), str(row.activity.id)])


def queue_query(session: Session, user: User, f: ActivityFilter):
    f.status = "submitted"
    # activity_query holds the user's scope; the queue adds what narrows it to the reviewable.
    return activity_query(session, user, f).where(access.reviewable_within_scope_condition(session, user))


def queue_total(session: Session, user: User, f: ActivityFilter) -> int:
    """The queue's size, counted up to COUNT_LIMIT + 1 so that a long queue costs no more to show."""
    return _bounded_count(session, queue_query(session, user, f))


def _bounded_count(session: Session, waiting) -> int:
    base = waiting.with_only_columns(Activity.id).limit(COUNT_LIMIT + 1)
    return session.execute(select(func.count()).select_from(base.subquery())).scalar_one()


@dataclass
class Pager:
    """The keyset links of a queue page: the cursor after its last entry (None on the last page)
    and the one before its first (None on the first page)."""
    next: str | None = None
    previous: str | None = None


def queue(session: Session, user: User, f: ActivityFilter, sort: str = DEFAULT_SORT, cursor: str | None = None,
          limit: int | None = None, *, before: str | None = None) -> tuple[list[QueueRow], int, Pager]:
    """One page of the queue (PAGE_SIZE entries), the size of the filtered queue (see queue_total)
    and the cursors of the pages around it. `cursor`: the page after that entry; `before`: the page
    before it, read backwards on the same index (the first page when less than a page is left
    before it)."""
    limit = limit or PAGE_SIZE
    sort = sort if sort in SORTS else DEFAULT_SORT
    waiting = queue_query(session, user, f)
    total = _bounded_count(session, waiting)
    key = (sort_key(sort), Activity.id)

    def page(keyset, order) -> list:
        """The page's ids first, read from the order's index alone (it holds every column they need,
        the unit included), then their rows by id. Asked for the rows at once, PostgreSQL, which
        expects few rows from the scope stated twice (its province and its units), would rather
        read the scope's whole queue from the table and sort it."""
        ids = waiting.with_only_columns(Activity.id).where(keyset).order_by(*order).limit(limit + 1).correlate(None)
        rows = (select(Activity).where(Activity.id.in_(ids)).join(Unit, Unit.id == Activity.unit_id)
                .outerjoin(User, User.id == Activity.created_by_id)
                .add_columns(Unit.name, User.full_name, User.username).options(load_only(*ROW_COLUMNS)))
        return session.execute(rows.order_by(*order)).all()

    found, has_previous, has_next = [], False, False
    if before_key := _decode(sort, before):
        found = page(after_key(key, before_key, descending=True), [column.desc() for column in key])
        if len(found) > limit:
            found, has_previous, has_next = found[:limit][::-1], True, True
        else:
            found = []  # less than a page before it: the first page
    if not has_previous:
        after = None if before_key else _decode(sort, cursor)
        found = page(after_key(key, after) if after else true(), key)
        found, has_previous, has_next = found[:limit], after is not None, len(found) > limit
    rows = [QueueRow(a, unit, full or username) for a, unit, full, username in found]
    attach_evidence(session, rows)
    pager = Pager(next=_cursor(rows[-1], sort) if rows and has_next else None,
                  previous=_cursor(rows[0], sort) if rows and has_previous else None)
    return rows, total, pager


def attach_evidence(session: Session, rows: list[QueueRow]) -> None:
    """Each row's evidence count and first photo (the thumbnail), in one query for the page that
    reads the ids and kinds only."""
    ids = [r.activity.id for r in rows]
    if not ids:
        return
    found: dict = {}
    query = (select(Evidence.activity_id, Evidence.id, Evidence.kind).where(Evidence.activity_id.in_(ids))
             .order_by(Evidence.created_at, Evidence.id))
    for activity_id, evidence_id, kind in session.execute(query):
        found.setdefault(activity_id, []).append((evidence_id, kind))
    for row in rows:
        files = found.get(row.activity.id, [])
        row.evidence_count = len(files)
        row.thumbnail_id = next((evidence_id for evidence_id, kind in files if kind == "photo"), None)


def next_in_queue(session: Session, user: User, f: ActivityFilter, sort: str = DEFAULT_SORT) -> Activity | None:
    """The entry a reviewer opens after deciding one: the first still waiting in the same order."""
    sort = sort if sort in SORTS else DEFAULT_SORT
    query = queue_query(session, user, f).order_by(sort_key(sort), Activity.id).limit(1)
    return session.execute(query).scalars().first()


def queue_ids(session: Session, user: User, f: ActivityFilter, limit: int = BULK_LIMIT) -> list:
    """The ids a "approve everything in this list" button approves (the same filter as the page)."""
    query = (queue_query(session, user, f).with_only_columns(Activity.id)
             .order_by(sort_key(DEFAULT_SORT), Activity.id))
    return list(session.execute(query.limit(limit)).scalars())


@dataclass
class PeriodGroup:
    unit: Unit
    month: str          # YYYY-MM
    count: int
    more: bool = False  # more than `count` wait (beyond what one period decision approves)

    @property
    def count_text(self) -> str:
        number = f"{self.count:,}".replace(",", ".")
        return f"hơn {number}" if self.more else number


def _month_bounds(month: str) -> tuple[date, date]:
    year, number = int(month[:4]), int(month[5:])
    following = date(year + number // 12, number % 12 + 1, 1)
    return date(year, number, 1), date.fromordinal(following.toordinal() - 1)


def period_groups(session: Session, user: User, f: ActivityFilter, rows: list[QueueRow], limit: int = 30,
                  count_limit: int = BULK_LIMIT) -> list[PeriodGroup]:
    """The communes and months of the page's entries, each with what it has waiting in the filtered
    queue (counted up to `count_limit`, the most one period decision approves): what a reviewer
    approves a month of at once. Its cost is bounded by the page, whatever the queue's length."""
    unit_ids = {r.activity.unit_id for r in rows}
    if not unit_ids:
        return []
    communes = dict(session.execute(select(Unit.id, func.coalesce(Unit.commune_id, Unit.id))
                                    .where(Unit.id.in_(unit_ids))).all())
    pairs = sorted({(r.activity.start_date.strftime("%Y-%m"), communes[r.activity.unit_id])
                    for r in rows if r.activity.unit_id in communes})[:limit]
    units = {u.id: u for u in session.execute(select(Unit).where(Unit.id.in_({c for _, c in pairs}))).scalars()}
    pairs = [(month, commune) for month, commune in pairs if commune in units]
    if not pairs:
        return []
    waiting = queue_query(session, user, f).with_only_columns(Activity.id)   # the scope, stated once
    bounds = [(*_month_bounds(month), commune) for month, commune in pairs]
    if session.get_bind().dialect.name == "postgresql":
        found = _period_counts_lateral(session, waiting, bounds, count_limit)
    else:
        found = [session.execute(_period_count(waiting, start, end, commune, count_limit)).scalar_one()
                 for start, end, commune in bounds]
    return [PeriodGroup(units[commune], month, min(n, count_limit), n > count_limit)
            for (month, commune), n in zip(pairs, found) if n]


def _in_period(waiting, start, end, commune, count_limit: int, months=None):
    """The ids of `waiting` one commune (with its villages) did in [start, end], at most count_limit + 1
    (`months`: the outer list of months the bounds are columns of, see `_period_counts_lateral`)."""
    in_commune = select(Unit.id).where((Unit.id == commune) | (Unit.commune_id == commune))
    if months is not None:
        in_commune = in_commune.correlate(months)
    return (waiting.where(Activity.unit_id.in_(in_commune), Activity.start_date >= start, Activity.start_date <= end)
            .limit(count_limit + 1))


def _period_count(waiting, start, end, commune, count_limit: int):
    return select(func.count()).select_from(_in_period(waiting, start, end, commune, count_limit).subquery())


def _period_counts_lateral(session: Session, waiting, bounds: list, count_limit: int) -> list[int]:
    """`_period_count` of every commune-month in one statement on PostgreSQL: the months as arrays
    (unnest), each joined to its bounded ids (LATERAL). Its text is the same whatever the months, so
    it is compiled once and planned as one small query: a page's 30 months cost one round trip of
    about 1 ms at 1,000,000 activities, where one statement per month (each building the queue's
    scope again) took 70 ms of the page, and 30 scalar subqueries in one statement 30 ms to plan."""
    starts, ends, communes = (list(column) for column in zip(*bounds))
    months = (func.unnest(bindparam("starts", starts, type_=ARRAY(Date)), bindparam("ends", ends, type_=ARRAY(Date)),
                          bindparam("communes", communes, type_=ARRAY(Integer)))
              .table_valued("start", "end", "commune", with_ordinality="n").render_derived("months"))
    ids = _in_period(waiting, months.c.start, months.c.end, months.c.commune, count_limit, months)
    ids = ids.correlate(months).lateral("ids")
    query = (select(months.c.n, func.count(ids.c.id)).select_from(months.outerjoin(ids, true()))
             .group_by(months.c.n))
    found = dict(session.execute(query).all())
    return [found.get(i + 1, 0) for i in range(len(bounds))]
