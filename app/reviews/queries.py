"""The review queue: submitted entries the reviewer may approve or return, oldest first."""
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.accounts import access
from app.accounts.models import User
from app.activities.models import Activity
from app.activities.queries import ActivityFilter, activity_query
from app.core.pagination import after_key, decode_cursor, encode_cursor
from app.units.models import Unit

QUEUE_LIMIT = 200
BULK_LIMIT = 1000
COUNT_LIMIT = 10_000  # the queue's size is counted up to here ("more than 10,000" beyond)
# Oldest submission first; ix_activity_review_queue (status, submitted_at, id) holds this order,
# so any page of the queue is read from the index (the keyset is a row comparison).
QUEUE_KEY = (Activity.submitted_at, Activity.id)


@dataclass
class QueueRow:
    activity: Activity
    unit_name: str
    author: str | None


def queue_query(session: Session, user: User, f: ActivityFilter):
    f.status = "submitted"
    # activity_query holds the user's scope; the queue adds what narrows it to the reviewable.
    return activity_query(session, user, f).where(access.reviewable_within_scope_condition(session, user))


def decode_queue_cursor(cursor: str | None) -> list | None:
    return decode_cursor(cursor, datetime.fromisoformat, uuid.UUID)


def queue_cursor(activity: Activity) -> list[str]:
    return [activity.submitted_at.isoformat(), str(activity.id)]


def queue_page_query(session: Session, user: User, f: ActivityFilter, after: list | None = None):
    """The queue's entries after the cursor `after`, oldest submission first (no limit)."""
    query = queue_query(session, user, f)
    if after:
        query = query.where(after_key(QUEUE_KEY, after))
    return query.order_by(*QUEUE_KEY)


def queue(session: Session, user: User, f: ActivityFilter, cursor: str | None = None) -> tuple[list[QueueRow], int, str | None]:
    """One page of the queue (QUEUE_LIMIT entries), the queue's size (counted up to COUNT_LIMIT + 1,
    so that a long queue costs no more to show than a short one) and the cursor of the next page."""
    limit = QUEUE_LIMIT
    after = decode_queue_cursor(cursor)
    base = queue_query(session, user, f)
    total = session.execute(select(func.count()).select_from(
        base.with_only_columns(Activity.id).limit(COUNT_LIMIT + 1).subquery())).scalar_one()
    page = queue_page_query(session, user, f, after).limit(limit + 1).subquery()
    entry = aliased(Activity, page)
    query = (select(entry, Unit.name, User.full_name, User.username)
             .join(Unit, Unit.id == entry.unit_id).outerjoin(User, User.id == entry.created_by_id)
             .order_by(entry.submitted_at, entry.id))
    rows = [QueueRow(a, unit, full or username) for a, unit, full, username in session.execute(query).all()]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(queue_cursor(rows[-1].activity))
    return rows, total, next_cursor


def queue_ids(session: Session, user: User, f: ActivityFilter, limit: int = BULK_LIMIT) -> list:
    """The ids a "approve everything in this list" button approves (the same filter as the page)."""
    query = queue_page_query(session, user, f).with_only_columns(Activity.id)
    return list(session.execute(query.limit(limit)).scalars())
