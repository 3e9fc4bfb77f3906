"""The review queue: submitted entries the reviewer may approve or return, a page at a time, in
the order the reviewer chose (by submission time or by the activity's date, oldest first)."""
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
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


@dataclass
class QueueRow:
    activity: Activity
    unit_name: str
    author: str | None
    photos: list = field(default_factory=list)   # Evidence photos (the first is the row's thumbnail)
    evidence_count: int = 0


def sort_key(sort: str):
    """The column a queue page is ordered by (then the id). A submitted entry always has its
    submission time; ix_activity_review_queue (status, submitted_at, id) and ix_activity_status_date
    (status, start_date, id) hold these orders, so any page is read from an index."""
    if sort == "date":
        return Activity.start_date
    return Activity.submitted_at


def _key_value(activity: Activity, sort: str):
    if sort == "date":
        return activity.start_date.isoformat()
    return activity.submitted_at.isoformat()


def _after(query, sort: str, cursor: str | None):
    values = decode_cursor(cursor, date.fromisoformat if sort == "date" else datetime.fromisoformat, uuid.UUID)
    if not values:
        return query
    return query.where(after_key((sort_key(sort), Activity.id), values))


def queue_query(session: Session, user: User, f: ActivityFilter):
    f.status = "submitted"
    # activity_query holds the user's scope; the queue adds what narrows it to the reviewable.
    return activity_query(session, user, f).where(access.reviewable_within_scope_condition(session, user))


def queue_total(session: Session, user: User, f: ActivityFilter) -> int:
    """The queue's size, counted up to COUNT_LIMIT + 1 so that a long queue costs no more to show."""
    base = queue_query(session, user, f).with_only_columns(Activity.id).limit(COUNT_LIMIT + 1)
    return session.execute(select(func.count()).select_from(base.subquery())).scalar_one()


def queue(session: Session, user: User, f: ActivityFilter, sort: str = DEFAULT_SORT, cursor: str | None = None,
          limit: int | None = None) -> tuple[list[QueueRow], int, str | None]:
    """One page of the queue (PAGE_SIZE entries), the size of the filtered queue (see queue_total)
    and the cursor of the next page."""
    limit = limit or PAGE_SIZE
    sort = sort if sort in SORTS else DEFAULT_SORT
    total = queue_total(session, user, f)
    query = (_after(queue_query(session, user, f), sort, cursor)
             .join(Unit, Unit.id == Activity.unit_id).outerjoin(User, User.id == Activity.created_by_id)
             .add_columns(Unit.name, User.full_name, User.username)
             .order_by(sort_key(sort), Activity.id).limit(limit + 1))
    found = session.execute(query).all()
    rows = [QueueRow(a, unit, full or username) for a, unit, full, username in found[:limit]]
    attach_evidence(session, rows)
    next_cursor = (encode_cursor([_key_value(rows[-1].activity, sort), str(rows[-1].activity.id)])
                   if len(found) > limit else None)
    return rows, total, next_cursor


def attach_evidence(session: Session, rows: list[QueueRow]) -> None:
    """Each row's evidence count and first photo, in two queries for the page."""
    ids = [r.activity.id for r in rows]
    if not ids:
        return
    counts = dict(session.execute(select(Evidence.activity_id, func.count()).where(Evidence.activity_id.in_(ids))
                                  .group_by(Evidence.activity_id)).all())
    photos: dict = {}
    query = (select(Evidence).where(Evidence.activity_id.in_(ids), Evidence.kind == "photo")
             .order_by(Evidence.created_at, Evidence.id))
    for evidence in session.execute(query).scalars():
        photos.setdefault(evidence.activity_id, []).append(evidence)
    for row in rows:
        row.evidence_count = counts.get(row.activity.id, 0)
        row.photos = photos.get(row.activity.id, [])


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
    counts = []
    for month, commune in pairs:
        start, end = _month_bounds(month)
        in_commune = select(Unit.id).where((Unit.id == commune) | (Unit.commune_id == commune))
        ids = (queue_query(session, user, f).with_only_columns(Activity.id)
               .where(Activity.unit_id.in_(in_commune), Activity.start_date >= start, Activity.start_date <= end)
               .limit(count_limit + 1))
        counts.append(select(func.count()).select_from(ids.subquery()))
    found = [session.execute(query).scalar_one() for query in counts]
    return [PeriodGroup(units[commune], month, min(n, count_limit), n > count_limit)
            for (month, commune), n in zip(pairs, found) if commune in units and n]
