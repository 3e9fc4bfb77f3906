"""The review queue: submitted entries the reviewer may approve or return, oldest first."""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from app.accounts import access
from app.accounts.models import User
from app.activities.models import Activity
from app.activities.queries import ActivityFilter, activity_query
from app.units.models import Unit

QUEUE_LIMIT = 200
BULK_LIMIT = 1000


@dataclass
class QueueRow:
    activity: Activity
    unit_name: str
    author: str | None


def queue_query(session: Session, user: User, f: ActivityFilter):
    f.status = "submitted"
    return activity_query(session, user, f).where(access.review_queue_condition(session, user))


def queue(session: Session, user: User, f: ActivityFilter, limit: int = QUEUE_LIMIT) -> tuple[list[QueueRow], int]:
    base = queue_query(session, user, f)
    total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    query = (base.join(Unit, Unit.id == Activity.unit_id).outerjoin(User, User.id == Activity.created_by_id)
             .add_columns(Unit.name, User.full_name, User.username)
             .order_by(Activity.submitted_at, Activity.start_date, Activity.id).limit(limit))
    rows = [QueueRow(a, unit, full or username) for a, unit, full, username in session.execute(query).all()]
    return rows, total


def queue_ids(session: Session, user: User, f: ActivityFilter, limit: int = BULK_LIMIT) -> list:
    """The ids a "approve everything in this list" button approves (the same filter as the page)."""
    query = queue_query(session, user, f).with_only_columns(Activity.id).order_by(Activity.submitted_at, Activity.id)
    return list(session.execute(query.limit(limit)).scalars())
