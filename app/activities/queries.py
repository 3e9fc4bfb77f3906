"""The activity list filter, shared by the HTML list, the JSON API and the exports."""
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.sql import Select
from sqlmodel import Session

from app import access
from app.accounts.models import User
from app.activities.models import Activity, ActivityTask, Evidence
from app.agencies.models import Agency
from app.audit.models import AuditEntry
from app.core.pagination import after_key, decode_cursor
from app.plans.models import Plan, Task, TaskUnit
from app.units.models import Unit, UnitSuccessor
from app.units.queries import valid_on


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
        tasks = select(Task.id).where(Task.plan_id == f.plan_id)
        query = query.where(Activity.id.in_(select(ActivityTask.activity_id).where(ActivityTask.task_id.in_(tasks))))
    if f.updated_since:
        query = query.where(Activity.updated_at > f.updated_since)
    return query


def decode_activity_cursor(cursor: str | None, *, by_update: bool = False) -> list | None:
    return decode_cursor(cursor, datetime.fromisoformat if by_update else date.fromisoformat, uuid.UUID)


def activity_cursor(activity: Activity, *, by_update: bool = False) -> list[str]:
    key = activity.updated_at if by_update else activity.start_date
    return [key.isoformat(), str(activity.id)]


# The two orders of the activity list, each matched by an index (see `Activity.__table_args__`):
# newest first for the list (ix_activity_date, or ix_activity_<filter>_date behind a type, status or
# unit filter), oldest change first for the change feed (ix_activity_updated).
LIST_KEY = (Activity.start_date, Activity.id)
FEED_KEY = (Activity.updated_at, Activity.id)


def list_order(*, by_update: bool = False) -> tuple:
    if by_update:
        return FEED_KEY
    return tuple(column.desc() for column in LIST_KEY)


def after_cursor(query: Select, values: list | None, *, by_update: bool = False) -> Select:
    """Keyset page after (start_date desc, id desc) — or (updated_at asc, id asc) for the change feed;
    `values` from `decode_activity_cursor`. One row comparison, answered inside the index."""
    if not values:
        return query
    if by_update:
        return query.where(after_key(FEED_KEY, values))
    return query.where(after_key(LIST_KEY, values, descending=True))


# --- what the logging form offers -------------------------------------------------------------

LEVEL_ORDER = {"province": 0, "district": 1, "commune": 2, "village": 3}


def covering_unit_ids(unit: Unit) -> set[int]:
    """The unit and every unit above it, in its own era and (for legacy units) today's."""
    ids = {unit.id, unit.province_id, unit.district_id, unit.commune_id, unit.current_province_id,
           unit.current_commune_id}
    return {i for i in ids if i is not None}


def unit_choices(session: Session, user: User, day: date, limit: int = 400) -> list[Unit]:
    """Units of the user's scope that exist on `day` (a 2024 entry goes to a legacy commune)."""
    query = (select(Unit).where(Unit.id.in_(access.visible_unit_ids(session, user)), valid_on(day),
                                Unit.level != "district")
             .order_by(Unit.search_name).limit(limit))
    units = list(session.execute(query).scalars())
    by_id = {u.id: u for u in units}

    def key(u: Unit):
        commune = by_id.get(u.commune_id) if u.level == "village" else u
        return (LEVEL_ORDER.get(u.level, 9) if u.level != "village" else 2,
                commune.search_name if commune else u.search_name, u.level == "village", u.search_name)

    return sorted(units, key=key)


def default_unit(session: Session, user: User, day: date, choices: list[Unit]) -> Unit | None:
    """The user's own unit, or before 1/7/2025 the legacy commune it succeeds (the default one), or
    for the officer of a legacy commune after 1/7/2025 the commune it went into."""
    if not choices:
        return None
    ids = {u.id: u for u in choices}
    if user.unit_id in ids:
        return ids[user.unit_id]
    own = session.get(Unit, user.unit_id) if user.unit_id is not None else None
    if own is not None:
        # Codes were carried over: the predecessor with the same code is usually the commune's seat.
        query = (select(UnitSuccessor.predecessor_id).join(Unit, Unit.id == UnitSuccessor.predecessor_id)
                 .where(UnitSuccessor.successor_id == own.id)
                 .order_by((Unit.code == own.code).desc(), UnitSuccessor.is_default.desc(), Unit.id))
        for predecessor_id in session.execute(query).scalars():
            if predecessor_id in ids:
                return ids[predecessor_id]
        # From 1/7/2025 the officer of a legacy commune logs at the commune it went into.
        query = (select(UnitSuccessor.successor_id).where(UnitSuccessor.predecessor_id == own.id)
                 .order_by(UnitSuccessor.is_default.desc(), UnitSuccessor.successor_id))
        for successor_id in session.execute(query).scalars():
            if successor_id in ids:
                return ids[successor_id]
    communes = [u for u in choices if u.level == "commune"]
    return (communes or choices)[0]


def task_choices_query(unit: Unit, day: date):
    """Tasks of plans covering `day` that are assigned to the unit (or a unit above it); a task
    without assigned units covers the units under its plan's unit."""
    ids = covering_unit_ids(unit)
    assigned = select(TaskUnit.task_id).where(TaskUnit.unit_id.in_(ids))
    unassigned = ~exists(select(TaskUnit.task_id).where(TaskUnit.task_id == Task.id))
    return (select(Task).join(Plan, Plan.id == Task.plan_id)
            .where(Plan.period_start <= day, Plan.period_end >= day,
                   or_(Task.id.in_(assigned), and_(unassigned, Plan.unit_id.in_(ids)))))


def task_choices(session: Session, unit: Unit | None, day: date, type_code: str | None = None,
                 limit: int = 100) -> list:
    """Tasks the entry may serve: those expecting the entry's type first, then the rest."""
    if unit is None:
        return []

    query = task_choices_query(unit, day).order_by(Task.plan_id.desc(), Task.position, Task.id).limit(limit)
    tasks = list(session.execute(query).scalars())
    return sorted(tasks, key=lambda t: not task_expects(t, type_code))


def task_expects(task, type_code: str | None) -> bool:
    return bool(type_code) and type_code in (task.activity_types or [])


def agency_choices(session: Session, user: User, unit: Unit | None, day: date) -> list:
    """Agencies existing on `day`: the commune's own bodies (UBND, officers, Mặt trận, đoàn thể)
    first, then those of the province (either era) and the user's own."""
    unit_ids = covering_unit_ids(unit) if unit is not None else set()
    conditions = [Agency.unit_id.in_(unit_ids)] if unit_ids else []
    if user.agency_id is not None:
        conditions.append(Agency.id == user.agency_id)
    if not conditions:
        return []
    query = (select(Agency).where(or_(*conditions),
                                  or_(Agency.valid_from.is_(None), Agency.valid_from <= day),
                                  or_(Agency.valid_to.is_(None), Agency.valid_to >= day))
             .order_by(Agency.name).limit(200))
    local = local_unit_ids(unit)
    return sorted(session.execute(query).scalars(),
                  key=lambda a: (a.unit_id not in local, LOCAL_KIND_ORDER.get(a.kind, 9) if a.unit_id in local else 0))


# The commune's bodies in the order a commune plan names them: the People's Committee, its
# officials or offices, then the Fatherland Front and the mass organisations.
LOCAL_KIND_ORDER = {"people_committee": 0, "other": 1, "mass_organisation": 2}


def local_unit_ids(unit: Unit | None) -> set[int]:
    """The commune (and village) an entry happens in: whose bodies count as the commune's own."""
    if unit is None or unit.level not in ("commune", "village"):
        return set()
    return {i for i in (unit.id, unit.commune_id) if i is not None}


def last_logged(session: Session, user: User, type_code: str) -> Activity | None:
    """The user's most recent entry of this type: its task, channel and minutes become defaults."""
    query = (select(Activity).where(Activity.created_by_id == user.id, Activity.type == type_code)
             .order_by(Activity.created_at.desc()).limit(1))
    return session.execute(query).scalars().first()


def task_ids_by_activity(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[int]]:
    out: dict[uuid.UUID, list[int]] = {i: [] for i in ids}
    if ids:
        query = select(ActivityTask).where(ActivityTask.activity_id.in_(ids)).order_by(ActivityTask.task_id)
        for row in session.execute(query).scalars():
            out[row.activity_id].append(row.task_id)
    return out


def evidence_by_activity(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list]:
    out: dict[uuid.UUID, list] = {i: [] for i in ids}
    if ids:
        query = select(Evidence).where(Evidence.activity_id.in_(ids)).order_by(Evidence.created_at, Evidence.id)
        for row in session.execute(query).scalars():
            out[row.activity_id].append(row)
    return out


def get_visible(session: Session, user: User, activity_id: uuid.UUID) -> Activity:
    """One activity the user may see, or NotFound."""
    query = select(Activity).where(Activity.id == activity_id, access.activity_scope_condition(session, user))
    activity = session.execute(query).scalars().first()
    if activity is None:
        raise access.NotFound()
    return activity


def deleted_query(session: Session, user: User, since: datetime, after: list | None) -> Select:
    """Deletions of entries in the user's scope after `since`, oldest first (keyset on at, id)."""
    query = (select(AuditEntry).where(AuditEntry.entity == "activity", AuditEntry.action == "delete",
                                      AuditEntry.at > since, access.deleted_activity_scope_condition(session, user)))
    if after:
        query = query.where(after_key((AuditEntry.at, AuditEntry.id), after))
    return query.order_by(AuditEntry.at, AuditEntry.id)
