"""JSON API for plans, tasks and targets, scoped by the access rules: plans out of scope answer
404, writes the role does not allow 403."""
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import ConfigDict
from sqlmodel import Field, SQLModel

from app.accounts.deps import ApiUser, DbSession
from app.core.db import UnitOfWork
from app.core.errors import Conflict, Invalid, field_error, stale_error
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from app.core.versions import StaleVersion
from app.plans import queries, services
from app.plans.models import Plan, PlanCreate, PlanPublic, PlanStatus, PlanUpdate, TaskCreate, TaskPublic, TaskUpdate

router = APIRouter(prefix="/api/v1", tags=["plans"], route_class=UnitOfWork)


class CascadeRequest(SQLModel):
    model_config = ConfigDict(extra="forbid")
    unit_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="Default: your unit")


def _invalid(exc: services.PlanInputError) -> Invalid:
    return Invalid([field_error(f"body.{path}", exc.codes.get(path, "invalid"), message)
                    for path, message in exc.errors.items()])


def _conflict(exc: services.PlanStateError) -> Conflict:
    return Conflict(exc.message, code="invalid_state", path="status")


def plan_public(session, plan: Plan, task_count: int | None = None) -> PlanPublic:
    if task_count is None:
        task_count = queries.task_counts(session, [plan.id]).get(plan.id, 0)
    return PlanPublic.model_validate(plan.model_dump() | {"task_count": task_count})


def task_public(session, task) -> TaskPublic:
    return queries.task_details(session, [task])[0]


# --- plans ---------------------------------------------------------------------------------------

@router.get("/plans", response_model=Page[PlanPublic])
def list_plans(session: DbSession, user: ApiUser, unit_id: int | None = None, status: PlanStatus | None = None,
               year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
               limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT, cursor: str | None = None):
    """Plans the user may see: of a unit in scope, or assigning tasks to one. `year` keeps the plans
    whose period overlaps that year; `unit_id` those of the unit, below it, or assigning tasks there."""
    rows, next_cursor = queries.list_plans(session, user, queries.PlanFilter(unit_id, status, year, limit, cursor))
    counts = queries.task_counts(session, [p.id for p in rows])
    return Page[PlanPublic](items=[plan_public(session, p, counts.get(p.id, 0)) for p in rows],
                            next_cursor=next_cursor)


@router.post("/plans", response_model=PlanPublic, status_code=201)
def create_plan(data: PlanCreate, session: DbSession, user: ApiUser):
    """Creates a plan (with its tasks, if `tasks` is given) in one transaction."""
    try:
        plan = services.create_plan(session, data, user=user)
    except services.PlanInputError as exc:
        raise _invalid(exc)
    return plan_public(session, plan)


@router.get("/plans/{plan_id:int}", response_model=PlanPublic)
def get_plan(plan_id: int, session: DbSession, user: ApiUser):
    return plan_public(session, queries.get_plan(session, user, plan_id))


@router.patch("/plans/{plan_id:int}", response_model=PlanPublic)
def update_plan(plan_id: int, data: PlanUpdate, session: DbSession, user: ApiUser):
    """Change some fields. Send the `version` you last read: an older one answers 409 with the
    current plan."""
    plan = queries.get_plan(session, user, plan_id)
    try:
        services.update_plan(session, plan, data, user=user)
    except services.PlanInputError as exc:
        raise _invalid(exc)
    except StaleVersion as exc:
        raise stale_error(exc, lambda p: plan_public(session, p))
    return plan_public(session, plan)


@router.delete("/plans/{plan_id:int}", status_code=204)
def delete_plan(plan_id: int, session: DbSession, user: ApiUser):
    plan = queries.get_plan(session, user, plan_id)
    try:
        services.delete_plan(session, plan, user=user)
    except services.PlanStateError as exc:
        raise _conflict(exc)
    return Response(status_code=204)


# --- tasks ---------------------------------------------------------------------------------------

@router.get("/plans/{plan_id:int}/tasks", response_model=Page[TaskPublic])
def list_tasks(plan_id: int, session: DbSession, user: ApiUser):
    plan = queries.get_plan(session, user, plan_id)
    return Page[TaskPublic](items=queries.task_details(session, queries.tasks_of(session, plan)))


@router.post("/plans/{plan_id:int}/tasks", response_model=TaskPublic, status_code=201)
def create_task(plan_id: int, data: TaskCreate, session: DbSession, user: ApiUser):
    """`assignment` is {"every": "commune", "of_unit_id": X} (every commune of X valid during the
    plan, before and after 1/7/2025) or {"unit_ids": [...]}."""
    plan = queries.get_plan(session, user, plan_id)
    try:
        task = services.create_task(session, plan, data, user=user)
    except services.PlanInputError as exc:
        raise _invalid(exc)
    return task_public(session, task)


@router.get("/tasks/{task_id:int}", response_model=TaskPublic)
def get_task(task_id: int, session: DbSession, user: ApiUser):
    task, _ = queries.get_task(session, user, task_id)
    return task_public(session, task)


@router.patch("/tasks/{task_id:int}", response_model=TaskPublic)
def update_task(task_id: int, data: TaskUpdate, session: DbSession, user: ApiUser):
    """Change some fields. Send the `version` you last read: an older one answers 409 with the
    current task."""
    task, _ = queries.get_task(session, user, task_id)
    try:
        services.update_task(session, task, data, user=user)
    except services.PlanInputError as exc:
        raise _invalid(exc)
    except StaleVersion as exc:
        raise stale_error(exc, lambda t: task_public(session, t))
    return task_public(session, task)


@router.delete("/tasks/{task_id:int}", status_code=204)
def delete_task(task_id: int, session: DbSession, user: ApiUser):
    task, _ = queries.get_task(session, user, task_id)
    try:
        services.delete_task(session, task, user=user)
    except services.PlanStateError as exc:
        raise _conflict(exc)
    return Response(status_code=204)


@router.post("/tasks/{task_id:int}/cascade", response_model=PlanPublic, status_code=201)
def cascade_task(task_id: int, session: DbSession, user: ApiUser, response: Response,
                 data: CascadeRequest | None = None):
    """Creates the plan of `unit_id` (default: the user's unit) implementing this task; answers 200
    with the existing plan when there is one."""
    task, _ = queries.get_task(session, user, task_id)
    unit_id = (data.unit_id if data else None) or user.unit_id
    if unit_id is None:
        raise Invalid([field_error("body.unit_id", "missing", "Cần chọn đơn vị.")], "Cần chọn đơn vị.")
    if queries.find_cascaded_plan(session, task.id, unit_id) is not None:
        response.status_code = 200
    try:
        plan = services.cascade_plan(session, task, unit_id, user=user)
    except services.PlanInputError as exc:
        raise _invalid(exc)
    return plan_public(session, plan)
