"""The activity list filter, shared by the HTML list, the JSON API and the exports."""
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.sql import Select
from sqlmodel import Session

from app.accounts import access
from app.accounts.models import User
from app.activities.models import Activity, ActivityTask
from app.units.models import Unit


@dataclass
class ActivityFilter:
    unit_id: int | None = None          # this unit and every unit below it (legacy predecessors included)
    type: str | None = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    task_id: int | None = None
    plan_id: int | None = None
    agency_id: int | None = None
    created_by_id: int | None = None
    updated_since: datetime | None = None


def activity_query(session: Session, user: User, f: ActivityFilter) -> Select:
    """SELECT of the activities the user may see that match the filter (no ordering)."""
    query = select(Activity).where(access.activity_scope_condition(session, user))
    if f.unit_id is not None:
        root = access.require_visible_unit(session, user, f.unit_id)
        query = query.where(Activity.unit_id.in_(select(Unit.id).where(access.unit_subtree_condition(root))))
    if f.type:
        query = query.where(Activity.type == f.type)
    if f.status:
        query = query.where(Activity.status == f.status)
    if f.date_from:
        query = query.where(Activity.start_date >= f.date_from)
    if f.date_to:
        query = query.where(Activity.start_date <= f.date_to)
    if f.agency_id:
        query = query.where(Activity.agency_id == f.agency_id)
    if f.created_by_id:
        query = query.where(Activity.created_by_id == f.created_by_id)
    if f.task_id:
        query = query.where(Activity.id.in_(select(ActivityTask.activity_id).where(ActivityTask.task_id == f.task_id)))
    if f.plan_id:
        from app.plans.models import Task

        tasks = select(Task.id).where(Task.plan_id == f.plan_id)
        query = query.where(Activity.id.in_(select(ActivityTask.activity_id).where(ActivityTask.task_id.in_(tasks))))
    if f.updated_since:
        query = query.where(Activity.updated_at > f.updated_since)
    return query


def after_cursor(query: Select, values: list | None, *, by_update: bool = False) -> Select:
    """Keyset page after (start_date desc, id desc) — or (updated_at asc, id asc) for the change feed."""
    if not values:
        return query
    if by_update:
        at, last_id = datetime.fromisoformat(values[0]), uuid.UUID(values[1])
        return query.where(or_(Activity.updated_at > at, and_(Activity.updated_at == at, Activity.id > last_id)))
    day, last_id = date.fromisoformat(values[0]), uuid.UUID(values[1])
    return query.where(or_(Activity.start_date < day, and_(Activity.start_date == day, Activity.id < last_id)))
