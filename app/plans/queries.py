"""Reading plans and tasks: the list filter shared by the HTML list and the JSON API, the scope
checks, and the units a task's assignment covers."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import Session

from app import access
from app.accounts.models import User
from app.core.pagination import DEFAULT_LIMIT, after_key, decode_cursor, fetch_page
from app.plans.models import Plan, Target, TargetPublic, Task, TaskPartner, TaskPublic, TaskUnit
from app.units.models import Unit, UnitSuccessor


@dataclass
class PlanFilter:
    unit_id: int | None = None    # plans of this unit or below it, or assigning tasks there
    status: str | None = None
    year: int | None = None       # plans whose period overlaps the year
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


def plan_query(session: Session, user: User, f: PlanFilter) -> Select:
    query = select(Plan).where(access.plan_scope_condition(session, user))
    if f.unit_id is not None:
        root = access.require_visible_unit(session, user, f.unit_id)
        inside = select(Unit.id).where(access.unit_subtree_condition(root))
        assigned = select(Task.plan_id).join(TaskUnit, TaskUnit.task_id == Task.id).where(TaskUnit.unit_id.in_(inside))
        query = query.where(or_(Plan.unit_id.in_(inside), Plan.id.in_(assigned)))
    if f.status:
        query = query.where(Plan.status == f.status)
    if f.year:
        query = query.where(Plan.period_start <= date(f.year, 12, 31), Plan.period_end >= date(f.year, 1, 1))
    return query


def list_plans(session: Session, user: User, f: PlanFilter) -> tuple[list[Plan], str | None]:
    query = plan_query(session, user, f)
    after = decode_cursor(f.cursor, date.fromisoformat, int)
    if after:
        query = query.where(after_key((Plan.period_start, Plan.id), after, descending=True))
    return fetch_page(session, query.order_by(Plan.period_start.desc(), Plan.id.desc()), f.limit,
                      lambda p: [p.period_start.isoformat(), p.id])


def get_plan(session: Session, user: User, plan_id: int) -> Plan:
    query = select(Plan).where(Plan.id == plan_id, access.plan_scope_condition(session, user))
    plan = session.execute(query).scalar_one_or_none()
    if plan is None:
        raise access.NotFound()
    return plan


def get_task(session: Session, user: User, task_id: int) -> tuple[Task, Plan]:
    task = session.get(Task, task_id)
    if task is None:
        raise access.NotFound()
    return task, get_plan(session, user, task.plan_id)


def tasks_of(session: Session, plan: Plan) -> list[Task]:
    query = select(Task).where(Task.plan_id == plan.id).order_by(Task.position, Task.id)
    return list(session.execute(query).scalars())


def plans_in_view(session: Session, user: User, limit: int = 200) -> list[Plan]:
    """The plans a filter offers: those the user may see, latest ending first."""
    query = (select(Plan).where(access.plan_scope_condition(session, user))
             .order_by(Plan.period_end.desc(), Plan.id.desc()).limit(limit))
    return list(session.execute(query).scalars())


def tasks_of_plan_id(session: Session, plan_id: int | None) -> list[Task]:
    """The tasks a filter offers once a plan is picked (none before, or for an unknown plan)."""
    plan = session.get(Plan, plan_id) if plan_id is not None else None
    return tasks_of(session, plan) if plan is not None else []


def task_counts(session: Session, plan_ids: list[int]) -> dict[int, int]:
    if not plan_ids:
        return {}
    query = select(Task.plan_id, func.count()).where(Task.plan_id.in_(plan_ids)).group_by(Task.plan_id)
    return dict(session.execute(query).all())


def task_details(session: Session, tasks: list[Task], *, with_unit_ids: bool = True) -> list[TaskPublic]:
    """Tasks with their partners, assigned units and targets, in four queries whatever the count."""
    ids = [t.id for t in tasks]
    partners: dict[int, list[int]] = {i: [] for i in ids}
    units: dict[int, list[int]] = {i: [] for i in ids}
    targets: dict[int, list[TargetPublic]] = {i: [] for i in ids}
    counts: dict[int, int] = {}
    if ids:
        for task_id, agency_id in session.execute(select(TaskPartner.task_id, TaskPartner.agency_id)
                                                  .where(TaskPartner.task_id.in_(ids)).order_by(TaskPartner.agency_id)):
            partners[task_id].append(agency_id)
        counts = dict(session.execute(select(TaskUnit.task_id, func.count()).where(TaskUnit.task_id.in_(ids))
                                      .group_by(TaskUnit.task_id)).all())
        if with_unit_ids:
            for task_id, unit_id in session.execute(select(TaskUnit.task_id, TaskUnit.unit_id)
                                                    .where(TaskUnit.task_id.in_(ids)).order_by(TaskUnit.unit_id)):
                units[task_id].append(unit_id)
        for target in session.execute(select(Target).where(Target.task_id.in_(ids)).order_by(Target.id)).scalars():
            targets[target.task_id].append(TargetPublic.model_validate(target, from_attributes=True))
    return [TaskPublic(**t.model_dump(), partner_agency_ids=partners[t.id], unit_ids=units[t.id],
                       unit_count=counts.get(t.id, 0), targets=targets[t.id]) for t in tasks]


def find_cascaded_plan(session: Session, task_id: int, unit_id: int) -> Plan | None:
    query = select(Plan).where(Plan.parent_task_id == task_id, Plan.unit_id == unit_id).order_by(Plan.id)
    return session.execute(query).scalars().first()


def descendant_task_ids(session: Session, task_ids: list[int]) -> set[int]:
    """The tasks and every task cascaded from them, at any depth: progress of a task rolls up
    what was logged for the tasks lower units created to implement it."""
    found = set(task_ids)
    frontier = set(task_ids)
    while frontier:
        children = set(session.execute(select(Task.id).where(Task.parent_task_id.in_(frontier))).scalars())
        frontier = children - found
        found |= frontier
    return found


# --- where a task is carried out -----------------------------------------------------------------

def in_period(start: date, end: date) -> ColumnElement[bool]:
    """Units valid at some point of the period."""
    return and_(or_(Unit.valid_from.is_(None), Unit.valid_from <= end),
                or_(Unit.valid_to.is_(None), Unit.valid_to >= start))


def territory_condition(root: Unit) -> ColumnElement[bool]:
    """A condition on `Unit`: at or below `root` in either era. For a legacy root this includes
    the current units its communes went into, so a plan spanning 1/7/2025 follows its units."""
    inside = access.unit_subtree_condition(root)
    if not root.is_legacy:
        return inside
    old = aliased(Unit)
    if root.level == "province":
        old_inside = old.province_id == root.id
    elif root.level == "district":
        old_inside = old.district_id == root.id
    else:
        old_inside = old.commune_id == root.id
    successors = (select(UnitSuccessor.successor_id).join(old, old.id == UnitSuccessor.predecessor_id)
                  .where(old_inside))
    return or_(inside, Unit.id.in_(successors))


def units_outside(session: Session, root: Unit, unit_ids: list[int]) -> list[int]:
    """The ids among `unit_ids` that are not in the territory of `root`."""
    if not unit_ids:
        return []
    wanted = set(unit_ids)
    inside = set(session.execute(select(Unit.id).where(Unit.id.in_(wanted), territory_condition(root))).scalars())
    return sorted(wanted - inside)


def every_unit_query(root: Unit, level: str, start: date, end: date) -> Select:
    """SELECT of the ids of every unit of `level` in the territory of `root` valid during the period."""
    return select(Unit.id).where(Unit.level == level, in_period(start, end), territory_condition(root))


def insert_task_units(session: Session, task_id: int, units: Select) -> None:
    """Expands an assignment with one INSERT ... SELECT, however many units it names."""
    from sqlalchemy import insert

    ids = units.subquery()
    statement = insert(TaskUnit).from_select(["task_id", "unit_id"], select(literal(task_id), ids.c.id))
    session.execute(statement)


def plan_task_unit_count(session: Session, plan: Plan) -> int:
    query = (select(func.count(func.distinct(TaskUnit.unit_id))).join(Task, Task.id == TaskUnit.task_id)
             .where(Task.plan_id == plan.id))
    return session.execute(query).scalar_one()
