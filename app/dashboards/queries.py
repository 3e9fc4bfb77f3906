"""Progress against targets, completeness of reporting and the dashboard's numbers.

Every number is an SQL aggregate; Python only joins the aggregated groups to their targets.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from pydantic import BaseModel
from sqlalchemy import String, and_, case, cast, extract, func, literal, select, true
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select
from sqlmodel import Session

from app import access
from app.accounts.models import User
from app.activities.models import Activity, ActivityTask
from app.activities.types import TYPES
from app.core.clock import VN_TZ, today
from app.core.errors import ApiError, field_error
from app.core.text import search_key
from app.core.types import UTCDateTime
from app.dashboards import figures
from app.dashboards.periods import Span, month_end, months_between
from app.dashboards.periods import parse as parse_period
from app.plans.models import METRIC_LABELS, Plan, Target, Task, TaskUnit
from app.units.models import CURRENT_START, Unit, UnitSuccessor

STATUS_LABELS = {"done": "Hoàn thành", "on_track": "Đúng tiến độ", "behind": "Chậm tiến độ"}


class ProgressRow(BaseModel):
    """One target of one task for one assigned unit (villages rolled into their commune; legacy
    units into their current successor when looking through today's boundaries)."""

    plan_id: int
    task_id: int
    task_title: str
    unit_id: int
    unit_name: str
    unit_level: str
    assigned_units: int          # assigned units counted in this row (several legacy communes may merge)
    target_id: int
    metric: str
    metric_label: str
    target_period: str           # plan, year, quarter, month
    activity_type: str | None
    target: int | None           # for the viewed period; None when the target is a total, not per unit
    approved: int
    submitted: int
    percent: float | None        # (approved [+ submitted]) / target × 100
    status: str                  # on_track, behind, done
    status_label: str


class TaskProgress(BaseModel):
    """A task's target summed over every assigned unit in view (the dashboard's progress bar)."""

    plan_id: int
    task_id: int
    task_title: str
    target_id: int
    metric: str
    metric_label: str
    activity_type: str | None
    target: int
    approved: int
    submitted: int
    percent: float | None
    status: str
    status_label: str
    units_total: int
    units_behind: int


class ProgressReport(BaseModel):
    plan_id: int | None
    task_id: int | None
    unit_id: int | None
    unit_name: str | None
    period: str
    period_label: str
    start: date
    end: date
    boundaries: str              # current, as_of
    at: date | None
    elapsed: float               # share of the period elapsed today (0..1)
    include_submitted: bool
    rows: list[ProgressRow]
    tasks: list[TaskProgress]
    notes: list[str]


class Contact(BaseModel):
    user_id: int
    full_name: str
    phone: str | None
    email: str | None
    role: str


class CompletenessRow(BaseModel):
    plan_id: int
    task_id: int
    task_title: str
    unit_id: int
    unit_name: str
    unit_level: str
    logged: int                  # any status, drafts included
    submitted: int               # submitted or approved
    approved: int
    late: int                    # submitted after the report deadline
    state: str                   # nothing_logged, nothing_submitted, nothing_approved, ok
    state_label: str
    deadline: date | None        # when the report covering the period was due
    contacts: list[Contact]


class CompletenessReport(BaseModel):
    plan_id: int | None
    task_id: int | None
    unit_id: int | None
    period: str
    period_label: str
    start: date
    end: date
    boundaries: str
    rows: list[CompletenessRow]  # every assigned unit in view
    lagging: list[CompletenessRow]  # rows whose state is not ok
    late_total: int
    counts: dict[str, int]       # state → number of units
    notes: list[str]


@dataclass
class DashboardFilter:
    unit_id: int | None = None   # the unit in view (default: the user's own); children are drilled into
    period: str | None = None    # "2026", "2026-H1", "2026-Q1", "2026-03"; default this year
    plan_id: int | None = None
    task_id: int | None = None
    type: str | None = None
    status: str | None = None    # default: submitted and approved
    boundaries: str = "current"
    sort: str | None = None      # child-units column, "-" prefix for descending


class Headline(BaseModel):
    activities: int
    participants: int
    participants_poor: int
    copies: int
    airings: int
    minutes: int
    cost_central_vnd: int
    cost_local_vnd: int
    cost_mobilised_vnd: int
    cost_vnd: int


class TypeCount(BaseModel):
    type: str
    label: str
    activities: int
    participants: int


class MonthCount(BaseModel):
    month: str                   # "2026-03"
    label: str                   # "T3/2026"
    activities: int
    participants: int


class ChildUnitRow(BaseModel):
    unit_id: int
    unit_name: str
    unit_level: str
    is_root: bool = False        # entries logged at the unit in view itself, not at a child
    activities: int
    submitted: int
    approved: int
    participants: int
    participants_poor: int
    copies: int
    airings: int
    minutes: int
    cost_vnd: int


# --- shared pieces ----------------------------------------------------------------------------

COUNTED = figures.SUBMITTED_AND_APPROVED  # the working figures; reports count figures.APPROVED
SUMMED_METRICS = ("sessions", "participants", "copies", "airings", "minutes", "items", "cost_vnd")
HEADLINE_SUMS = ("participants", "participants_poor", "copies", "airings", "minutes",
                 "cost_central_vnd", "cost_local_vnd", "cost_mobilised_vnd", "cost_vnd")
BOUNDARIES = ("current", "as_of")
LEGACY_SUFFIX = " (trước 1/7/2025)"


def check_boundaries(boundaries: str) -> str:
    if boundaries not in BOUNDARIES:
        raise ApiError(422, "validation_error", "Tham số không hợp lệ.", [field_error(
            "query.boundaries", "invalid", "Địa giới là current (hiện nay) hoặc as_of (theo ngày).")])
    return boundaries


def root_unit(session: Session, user: User, unit_id: int | None) -> Unit | None:
    """The unit in view: the one asked for (inside the user's scope) or the user's own."""
    if unit_id is not None:
        return access.require_visible_unit(session, user, unit_id)
    if user.unit_id is None:
        return None
    return session.get(Unit, user.unit_id)


def subtree(root: Unit | None, boundaries: str):
    """Units counted under `root`: its scope, which for a current unit includes the legacy units
    that went into it. The boundaries decide only which row an entry counts toward (`assigned_key`,
    `activity_key`, `child_key`), never whether it is in view."""
    if root is None:
        return true()
    return access.unit_subtree_condition(root)


def assigned_key(boundaries: str):
    """The row an assigned unit falls in: villages in their commune, legacy units (through today's
    boundaries) in their default successor; districts have none and stay themselves."""
    if boundaries == "current":
        return case((Unit.level == "province", Unit.current_province_id), (Unit.level == "district", Unit.id),
                    else_=Unit.current_commune_id)
    return case((Unit.level.in_(("province", "district")), Unit.id), else_=Unit.commune_id)


# `level` is an enum type on PostgreSQL: compared as text so that both branches have one type.
ASSIGNED_LEVEL = case((cast(Unit.level, String) == "village", "commune"), else_=cast(Unit.level, String))


def activity_key(level: str, boundaries: str):
    """The row an activity's unit counts toward when tasks are assigned at `level`."""
    current = boundaries == "current"
    if level == "province":
        return Unit.current_province_id if current else Unit.province_id
    if level == "district":
        return Unit.district_id
    return Unit.current_commune_id if current else Unit.commune_id


def unit_labels(session: Session, ids) -> dict[int, tuple[str, str]]:
    ids = [i for i in set(ids) if i is not None]
    if not ids:
        return {}
    rows = session.execute(select(Unit.id, Unit.name, Unit.level, Unit.valid_to).where(Unit.id.in_(ids))).all()
    return {r.id: (r.name + (LEGACY_SUFFIX if r.valid_to is not None and r.valid_to < CURRENT_START else ""),
                   str(r.level)) for r in rows}


def _tasks_in_view(session: Session, user: User, plan_id, task_id, span: Span) -> Select:
    if task_id is not None:
        task = session.get(Task, task_id)
        if task is None:
            raise access.NotFound()
        _require_plan(session, user, task.plan_id)
        return select(Task.id).where(Task.id == task_id)
    if plan_id is not None:
        _require_plan(session, user, plan_id)
        return select(Task.id).where(Task.plan_id == plan_id)
    plans = select(Plan.id).where(Plan.period_start <= span.end, Plan.period_end >= span.start)
    return select(Task.id).where(Task.plan_id.in_(plans))


def _require_plan(session: Session, user: User, plan_id: int) -> Plan:
    """A plan is visible from its unit's scope, and to the units it assigns tasks to."""
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise access.NotFound()
    if access.can_see_unit(session, user, plan.unit_id):
        return plan
    assigned = (select(TaskUnit.unit_id).join(Task, Task.id == TaskUnit.task_id)
                .where(Task.plan_id == plan_id, TaskUnit.unit_id.in_(access.visible_unit_ids(session, user))))
    if session.execute(assigned.limit(1)).first() is None:
        raise access.NotFound()
    return plan


def _the_plan(session: Session, plan_id, task_id) -> Plan | None:
    if task_id is not None:
        task = session.get(Task, task_id)
        return session.get(Plan, task.plan_id) if task is not None else None
    return session.get(Plan, plan_id) if plan_id is not None else None


def _status(achieved: int, target: int, elapsed: float) -> str:
    if achieved >= target:
        return "done"
    return "on_track" if achieved / target >= elapsed else "behind"


def _percent(achieved: int, target: int) -> float | None:
    return round(100 * achieved / target, 1) if target else None


def scaled_target(quantity: int, period: str, span: Span, plan: Plan) -> int:
    """A target for the months of the view that lie inside the plan, pro rata to its own period
    (a yearly 12 viewed over one quarter is 3; a monthly 2 over a year is 24)."""
    start, end = max(span.start, plan.period_start), min(span.end, plan.period_end)
    if start > end:
        return 0
    months = months_between(start, end)
    per = {"year": 12, "quarter": 3, "month": 1}.get(period) or months_between(plan.period_start, plan.period_end)
    return (quantity * months * 2 + per) // (2 * per)


# --- progress ---------------------------------------------------------------------------------

def progress(session: Session, user: User, *, plan_id: int | None = None, task_id: int | None = None,
             unit_id: int | None = None, period: str | None = None, boundaries: str = "current",
             at: date | None = None, include_submitted: bool = True) -> ProgressReport:
    """Each per-unit target of each task for each assigned unit in view: target for the period,
    approved and submitted amounts of the activities linked to the task, percentage and status.

    Through today's boundaries (the default) activities logged at a legacy unit count toward its
    default successor; `boundaries="as_of"` keeps them with the unit where they were logged.
    """
    check_boundaries(boundaries)
    now = today()
    plan = _the_plan(session, plan_id, task_id)
    span = parse_period(period, today=now, plan=plan)
    root = root_unit(session, user, unit_id)
    tasks = _tasks_in_view(session, user, plan_id, task_id, span)
    elapsed = span.elapsed(now)
    in_view = and_(subtree(root, boundaries), Unit.id.in_(access.visible_unit_ids(session, user)))

    # Keys are computed in a subquery so that GROUP BY names plain columns (PostgreSQL refuses to
    # match a CASE holding bound parameters against its copy in the select list).
    assigned = (select(TaskUnit.task_id, assigned_key(boundaries).label("key"), ASSIGNED_LEVEL.label("level"))
                .join(Unit, Unit.id == TaskUnit.unit_id).where(TaskUnit.task_id.in_(tasks), in_view).subquery())
    target_rows = session.execute(
        select(Task.id.label("task_id"), Task.plan_id, Task.title, Task.position, Target.id.label("target_id"),
               Target.metric, Target.quantity, Target.period, Target.activity_type, assigned.c.key,
               assigned.c.level, func.count().label("n"))
        .select_from(assigned).join(Task, Task.id == assigned.c.task_id).join(Target, Target.task_id == Task.id)
        .where(Target.per_unit.is_(True))
        .group_by(Task.id, Task.plan_id, Task.title, Task.position, Target.id, Target.metric, Target.quantity,
                  Target.period, Target.activity_type, assigned.c.key, assigned.c.level)).all()
    target_rows = [r for r in target_rows if r.key is not None]

    typed = any(r.activity_type for r in target_rows)
    actual: dict[tuple, dict[str, int]] = {}
    for lvl in sorted({r.level for r in target_rows}):
        task_ids = sorted({r.task_id for r in target_rows if r.level == lvl})
        for row in _actuals(session, user, task_ids, lvl, boundaries, span, root, typed):
            for type_key in ((None, row.type) if typed else (None,)):
                bucket = actual.setdefault((row.task_id, row.key, row.status, type_key), dict.fromkeys(METRICS, 0))
                for m in METRICS:
                    bucket[m] += int(getattr(row, m))

    plans = {p.id: p for p in session.execute(
        select(Plan).where(Plan.id.in_({r.plan_id for r in target_rows}))).scalars()} if target_rows else {}
    labels = unit_labels(session, [r.key for r in target_rows])
    rows = []
    for r in sorted(target_rows, key=lambda r: (r.plan_id, r.position, r.task_id, labels.get(r.key, ("",))[0],
                                                  r.target_id)):
        target = scaled_target(r.quantity, str(r.period), span, plans[r.plan_id]) * r.n
        approved = actual.get((r.task_id, r.key, "approved", r.activity_type), {}).get(str(r.metric), 0)
        submitted = actual.get((r.task_id, r.key, "submitted", r.activity_type), {}).get(str(r.metric), 0)
        achieved = approved + (submitted if include_submitted else 0)
        status = _status(achieved, target, elapsed)
        name, unit_level = labels.get(r.key, (str(r.key), r.level))
        rows.append(ProgressRow(
            plan_id=r.plan_id, task_id=r.task_id, task_title=r.title, unit_id=r.key, unit_name=name,
            unit_level=unit_level, assigned_units=r.n, target_id=r.target_id, metric=str(r.metric),
            metric_label=METRIC_LABELS.get(str(r.metric), str(r.metric)), target_period=str(r.period),
            activity_type=r.activity_type, target=target, approved=approved, submitted=submitted,
            percent=_percent(achieved, target), status=status, status_label=STATUS_LABELS[status]))

    notes = _boundary_notes(session, user, tasks, boundaries, span, root, at)
    return ProgressReport(
        plan_id=plan.id if plan else None, task_id=task_id, unit_id=root.id if root else None,
        unit_name=root.name if root else "Toàn quốc", period=span.key, period_label=span.label, start=span.start,
        end=span.end, boundaries=boundaries, at=at, elapsed=round(elapsed, 4), include_submitted=include_submitted,
        rows=rows, notes=notes,
        tasks=_task_totals(rows, elapsed, include_submitted)
        + _whole_task_targets(session, user, tasks, span, root, boundaries, in_view, elapsed, include_submitted))


METRICS = ("activities",) + SUMMED_METRICS


def _actuals(session, user, task_ids, level, boundaries, span, root, typed):
    key = activity_key(level, boundaries)
    group = [ActivityTask.task_id, key.label("key"), Activity.status] + ([Activity.type] if typed else [])
    sums = figures.sums(SUMMED_METRICS)
    query = (select(*group, func.count().label("activities"), *sums)
             .select_from(Activity).join(ActivityTask, ActivityTask.activity_id == Activity.id)
             .join(Unit, Unit.id == Activity.unit_id)
             .where(ActivityTask.task_id.in_(task_ids), Activity.status.in_(COUNTED),
                    Activity.start_date >= span.start, Activity.start_date <= span.end, key.is_not(None),
                    subtree(root, boundaries), access.activity_scope_condition(session, user))
             .group_by(ActivityTask.task_id, key, Activity.status, *([Activity.type] if typed else [])))
    return session.execute(query).all()


def _whole_task_targets(session, user, tasks, span, root, boundaries, in_view, elapsed,
                        include_submitted) -> list[TaskProgress]:
    """Targets set for a task as a whole (not per unit): what every unit in view did adds up."""
    targets = session.execute(select(Target, Task.plan_id, Task.title).join(Task, Task.id == Target.task_id)
                              .where(Target.task_id.in_(tasks), Target.per_unit.is_(False))
                              .order_by(Task.plan_id, Task.position, Task.id, Target.id)).all()
    if not targets:
        return []
    task_ids = sorted({t.task_id for t, _, _ in targets})
    sums = figures.sums(SUMMED_METRICS)
    done = session.execute(
        select(ActivityTask.task_id, Activity.status, Activity.type, func.count().label("activities"), *sums)
        .select_from(Activity).join(ActivityTask, ActivityTask.activity_id == Activity.id)
        .join(Unit, Unit.id == Activity.unit_id)
        .where(ActivityTask.task_id.in_(task_ids), Activity.status.in_(COUNTED),
               Activity.start_date >= span.start, Activity.start_date <= span.end,
               subtree(root, boundaries), access.activity_scope_condition(session, user))
        .group_by(ActivityTask.task_id, Activity.status, Activity.type)).all()
    units = dict(session.execute(
        select(TaskUnit.task_id, func.count()).join(Unit, Unit.id == TaskUnit.unit_id)
        .where(TaskUnit.task_id.in_(task_ids), in_view).group_by(TaskUnit.task_id)).all())
    plans = {p.id: p for p in session.execute(
        select(Plan).where(Plan.id.in_({plan_id for _, plan_id, _ in targets}))).scalars()}
    out = []
    for target, plan_id, title in targets:
        metric = str(target.metric)

        def total(status: str) -> int:
            return sum(int(getattr(r, metric)) for r in done if r.task_id == target.task_id and r.status == status
                       and (target.activity_type is None or r.type == target.activity_type))

        quantity = scaled_target(target.quantity, str(target.period), span, plans[plan_id])
        approved, submitted = total("approved"), total("submitted")
        achieved = approved + (submitted if include_submitted else 0)
        status = _status(achieved, quantity, elapsed)
        out.append(TaskProgress(
            plan_id=plan_id, task_id=target.task_id, task_title=title, target_id=target.id, metric=metric,
            metric_label=METRIC_LABELS.get(metric, metric), activity_type=target.activity_type, target=quantity,
            approved=approved, submitted=submitted, percent=_percent(achieved, quantity), status=status,
            status_label=STATUS_LABELS[status], units_total=units.get(target.task_id, 0), units_behind=0))
    return out


def _task_totals(rows: list[ProgressRow], elapsed: float, include_submitted: bool) -> list[TaskProgress]:
    """Per task and target, the rows summed (a few thousand at most, already aggregated in SQL)."""
    totals: dict[tuple[int, int], TaskProgress] = {}
    for r in rows:
        t = totals.get((r.task_id, r.target_id))
        if t is None:
            t = totals[(r.task_id, r.target_id)] = TaskProgress(
                plan_id=r.plan_id, task_id=r.task_id, task_title=r.task_title, target_id=r.target_id,
                metric=r.metric, metric_label=r.metric_label, activity_type=r.activity_type, target=0, approved=0,
                submitted=0, percent=None, status="done", status_label="", units_total=0, units_behind=0)
        t.target += r.target or 0
        t.approved += r.approved
        t.submitted += r.submitted
        t.units_total += 1
        t.units_behind += r.status == "behind"
    for t in totals.values():
        achieved = t.approved + (t.submitted if include_submitted else 0)
        t.status = _status(achieved, t.target, elapsed)
        t.status_label = STATUS_LABELS[t.status]
        t.percent = _percent(achieved, t.target)
    return list(totals.values())


def _boundary_notes(session, user, tasks, boundaries, span, root, at) -> list[str]:
    if boundaries == "as_of":
        day = f" ngày {at:%d/%m/%Y}" if at else ""
        return [f"Theo địa giới hành chính{day}: mỗi hoạt động được tính cho đơn vị nơi ghi nhận, "
                "không cộng sang đơn vị mới sau sắp xếp ngày 1/7/2025."]
    notes = ["Theo địa giới hiện nay: hoạt động ghi tại đơn vị cũ (trước 1/7/2025) được cộng cho đơn vị "
             "mới kế thừa."]
    communes = select(Unit.id).where(Unit.level == "commune", subtree(root, boundaries))
    split = list(session.execute(
        select(UnitSuccessor.predecessor_id).where(UnitSuccessor.predecessor_id.in_(communes))
        .group_by(UnitSuccessor.predecessor_id).having(func.count() > 1)).scalars())
    if not split:
        return notes
    legacy = (select(Unit.commune_id).select_from(Activity).join(ActivityTask, ActivityTask.activity_id == Activity.id)
              .join(Unit, Unit.id == Activity.unit_id)
              .where(ActivityTask.task_id.in_(tasks), Activity.status.in_(COUNTED), Unit.commune_id.in_(split),
                     Activity.start_date >= span.start, Activity.start_date <= span.end,
                     access.activity_scope_condition(session, user))
              .distinct().limit(20))
    ids = list(session.execute(legacy).scalars())
    if ids:
        successor = aliased(Unit)
        pairs = session.execute(select(Unit.name, successor.name).join(successor, successor.id == Unit.current_commune_id)
                                .where(Unit.id.in_(ids)).order_by(Unit.name)).all()
        for old, new in pairs:
            notes.append(f"{old} (cũ) được chia cho nhiều xã mới; hoạt động ghi tại đây được tính cho {new}, "
                         "xã kế thừa mặc định theo bảng chuyển đổi.")
    return notes


# --- completeness -----------------------------------------------------------------------------

STATE_LABELS = {"nothing_logged": "Chưa ghi nhận hoạt động nào", "nothing_submitted": "Có hoạt động nhưng chưa gửi",
                "nothing_approved": "Đã gửi nhưng chưa có hoạt động được duyệt", "ok": "Đã có hoạt động được duyệt"}


def report_deadline(task: Task, span: Span) -> date | None:
    """When the report covering `span` was due: a yearly deadline (e.g. 20/11) in the span's last
    year; for monthly or quarterly reporting, that day of the month after the span; else the date."""
    d = task.report_deadline
    if d is None:
        return None
    frequency = task.report_frequency or "year"
    if frequency == "once":
        return d
    if frequency == "year":
        return _safe_date(span.end.year, d.month, d.day)
    nxt = span.end + timedelta(days=1)
    return _safe_date(nxt.year, nxt.month, d.day)


def _safe_date(year: int, month: int, day: int) -> date:
    return min(date(year, month, min(day, 28)) + timedelta(days=day - min(day, 28)), month_end(year, month))


def _deadline_utc(day: date) -> datetime:
    """The end of the deadline day in Vietnam, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=VN_TZ).astimezone(timezone.utc)


def completeness(session: Session, user: User, *, plan_id: int | None = None, task_id: int | None = None,
                 period: str, unit_id: int | None = None, boundaries: str = "current",
                 at: date | None = None) -> CompletenessReport:
    """For each task and assigned unit in view: how many activities were logged, submitted and
    approved in the period, and how many were submitted after the report deadline."""
    check_boundaries(boundaries)
    now = today()
    plan = _the_plan(session, plan_id, task_id)
    span = parse_period(period, today=now, plan=plan)
    root = root_unit(session, user, unit_id)
    tasks = _tasks_in_view(session, user, plan_id, task_id, span)
    in_view = and_(subtree(root, boundaries), Unit.id.in_(access.visible_unit_ids(session, user)))

    key, level = assigned_key(boundaries).label("key"), ASSIGNED_LEVEL.label("level")
    assigned = session.execute(
        select(Task.id.label("task_id"), key, level)
        .select_from(TaskUnit).join(Unit, Unit.id == TaskUnit.unit_id).join(Task, Task.id == TaskUnit.task_id)
        .where(Task.id.in_(tasks), in_view).distinct()).all()
    assigned = [r for r in assigned if r.key is not None]
    task_objs = {t.id: t for t in session.execute(
        select(Task).where(Task.id.in_({r.task_id for r in assigned}))).scalars()} if assigned else {}
    deadlines = {tid: report_deadline(t, span) for tid, t in task_objs.items()}

    counts: dict[tuple[int, int], Any] = {}
    for lvl in sorted({r.level for r in assigned}):
        task_ids = sorted({r.task_id for r in assigned if r.level == lvl})
        for row in _completeness_counts(session, user, task_ids, lvl, boundaries, span, root, deadlines):
            counts[(row.task_id, row.key)] = row

    labels = unit_labels(session, [r.key for r in assigned])
    contacts = _contacts(session, user, [r.key for r in assigned])
    rows = []
    for r in sorted(assigned, key=lambda r: (task_objs[r.task_id].plan_id, task_objs[r.task_id].position, r.task_id,
                                             labels.get(r.key, ("",))[0])):
        c = counts.get((r.task_id, r.key))
        logged, submitted, approved, late = (int(c.logged), int(c.submitted), int(c.approved), int(c.late)) if c else (0, 0, 0, 0)
        state = ("nothing_logged" if not logged else "nothing_submitted" if not submitted
                 else "nothing_approved" if not approved else "ok")
        name, unit_level = labels.get(r.key, (str(r.key), r.level))
        task = task_objs[r.task_id]
        rows.append(CompletenessRow(
            plan_id=task.plan_id, task_id=task.id, task_title=task.title, unit_id=r.key, unit_name=name,
            unit_level=unit_level, logged=logged, submitted=submitted, approved=approved, late=late, state=state,
            state_label=STATE_LABELS[state], deadline=deadlines.get(task.id), contacts=contacts.get(r.key, [])))
    states = {s: sum(1 for r in rows if r.state == s) for s in STATE_LABELS}
    return CompletenessReport(
        plan_id=plan.id if plan else None, task_id=task_id, unit_id=root.id if root else None, period=span.key,
        period_label=span.label, start=span.start, end=span.end, boundaries=boundaries, rows=rows,
        lagging=[r for r in rows if r.state != "ok"], late_total=sum(r.late for r in rows), counts=states,
        notes=_boundary_notes(session, user, tasks, boundaries, span, root, at))


def _completeness_counts(session, user, task_ids, level, boundaries, span, root, deadlines):
    key = activity_key(level, boundaries)
    due = {tid: _deadline_utc(d) for tid, d in deadlines.items() if tid in task_ids and d is not None}
    if due:
        deadline = case(*[(ActivityTask.task_id == tid, literal(dt, UTCDateTime)) for tid, dt in due.items()])
        late = func.sum(case((and_(Activity.status.in_(COUNTED), Activity.submitted_at > deadline), 1), else_=0))
    else:
        late = literal(0)
    query = (select(ActivityTask.task_id, key.label("key"), func.count().label("logged"),
                    func.sum(case((Activity.status.in_(COUNTED), 1), else_=0)).label("submitted"),
                    func.sum(case((Activity.status == "approved", 1), else_=0)).label("approved"),
                    late.label("late"))
             .select_from(Activity).join(ActivityTask, ActivityTask.activity_id == Activity.id)
             .join(Unit, Unit.id == Activity.unit_id)
             .where(ActivityTask.task_id.in_(task_ids), Activity.start_date >= span.start,
                    Activity.start_date <= span.end, key.is_not(None), subtree(root, boundaries),
                    access.activity_scope_condition(session, user))
             .group_by(ActivityTask.task_id, key))
    return session.execute(query).all()


def _contacts(session: Session, user: User, unit_ids) -> dict[int, list[Contact]]:
    """The officers to call: active reporters and reviewers of each unit."""
    ids = sorted({i for i in unit_ids if i is not None})
    if not ids:
        return {}
    query = (select(User).where(User.unit_id.in_(ids), User.is_active.is_(True),
                                User.role.in_(("reporter", "reviewer")))
             .order_by(User.unit_id, User.role, User.full_name))
    out: dict[int, list[Contact]] = {}
    for u in session.execute(query).scalars():
        out.setdefault(u.unit_id, []).append(Contact(user_id=u.id, full_name=u.full_name or u.username,
                                                     phone=u.phone, email=u.email, role=str(u.role)))
    return out


# --- dashboard --------------------------------------------------------------------------------

def _activity_filter(session: Session, user: User, f: DashboardFilter, root: Unit | None, span: Span):
    conditions = [access.activity_scope_condition(session, user), Activity.start_date >= span.start,
                  Activity.start_date <= span.end]
    if root is not None:
        conditions.append(Activity.unit_id.in_(select(Unit.id).where(subtree(root, f.boundaries))))
    conditions.append(Activity.status == f.status if f.status else Activity.status.in_(COUNTED))
    if f.type:
        conditions.append(Activity.type == f.type)
    if f.task_id:
        conditions.append(Activity.id.in_(select(ActivityTask.activity_id).where(ActivityTask.task_id == f.task_id)))
    elif f.plan_id:
        tasks = select(Task.id).where(Task.plan_id == f.plan_id)
        conditions.append(Activity.id.in_(select(ActivityTask.activity_id).where(ActivityTask.task_id.in_(tasks))))
    return and_(*conditions)


def dashboard_span(session: Session, f: DashboardFilter) -> Span:
    return parse_period(f.period, today=today(), plan=_the_plan(session, f.plan_id, f.task_id))


def check_filter(f: DashboardFilter) -> None:
    check_boundaries(f.boundaries)
    if f.status and f.status not in ("draft", "submitted", "approved", "returned"):
        raise ApiError(422, "validation_error", "Tham số không hợp lệ.", [field_error(
            "query.status", "invalid", "Trạng thái là draft, submitted, approved hoặc returned.")])
    if f.type and f.type not in TYPES:
        raise ApiError(422, "validation_error", "Tham số không hợp lệ.", [field_error(
            "query.type", "invalid", "Loại hoạt động không có trong danh mục.")])


def _context(session: Session, user: User, f: DashboardFilter):
    check_filter(f)
    if f.task_id or f.plan_id:
        plan = _the_plan(session, f.plan_id, f.task_id)
        if plan is None:
            raise access.NotFound()
        _require_plan(session, user, plan.id)
    root = root_unit(session, user, f.unit_id)
    span = dashboard_span(session, f)
    return root, span, _activity_filter(session, user, f, root, span)


def headline(session: Session, user: User, f: DashboardFilter) -> Headline:
    return _headline(session, _context(session, user, f)[2])


def by_type(session: Session, user: User, f: DashboardFilter) -> list[TypeCount]:
    return _by_type(session, _context(session, user, f)[2])


def over_time(session: Session, user: User, f: DashboardFilter) -> list[MonthCount]:
    """Every month of the period, months without activity included (a chart needs the gaps)."""
    _, span, where = _context(session, user, f)
    return _over_time(session, span, where)


def child_units(session: Session, user: User, f: DashboardFilter) -> list[ChildUnitRow]:
    """One row per child of the unit in view (and one for entries logged at the unit itself)."""
    root, _, where = _context(session, user, f)
    return _child_units(session, root, f, where)


class Dashboard(BaseModel):
    unit_id: int | None
    period: str
    period_label: str
    start: date
    end: date
    headline: Headline
    by_type: list[TypeCount]
    over_time: list[MonthCount]
    child_units: list[ChildUnitRow]


def dashboard(session: Session, user: User, f: DashboardFilter) -> Dashboard:
    """Everything the dashboard page shows but progress, checking access once."""
    root, span, where = _context(session, user, f)
    return Dashboard(unit_id=root.id if root else None, period=span.key, period_label=span.label, start=span.start,
                     end=span.end, headline=_headline(session, where), by_type=_by_type(session, where),
                     over_time=_over_time(session, span, where), child_units=_child_units(session, root, f, where))


def _headline(session: Session, where) -> Headline:
    row = figures.totals(session, where, columns=HEADLINE_SUMS)[0]
    return Headline(**{k: int(v) for k, v in row._mapping.items()})


def _by_type(session: Session, where) -> list[TypeCount]:
    rows = session.execute(select(Activity.type, func.count().label("n"),
                                  func.coalesce(func.sum(Activity.participants), 0).label("p"))
                           .where(where).group_by(Activity.type).order_by(func.count().desc(), Activity.type)).all()
    return [TypeCount(type=r.type, label=TYPES[r.type].label if r.type in TYPES else r.type, activities=r.n,
                      participants=int(r.p)) for r in rows]


def _over_time(session: Session, span: Span, where) -> list[MonthCount]:
    year, month = extract("year", Activity.start_date), extract("month", Activity.start_date)
    rows = session.execute(select(year.label("y"), month.label("m"), func.count().label("n"),
                                  func.coalesce(func.sum(Activity.participants), 0).label("p"))
                           .where(where).group_by(year, month)).all()
    found = {(int(r.y), int(r.m)): r for r in rows}
    out = []
    y, m = span.start.year, span.start.month
    while (y, m) <= (span.end.year, span.end.month):
        r = found.get((y, m))
        out.append(MonthCount(month=f"{y}-{m:02d}", label=f"T{m}/{y}", activities=r.n if r else 0,
                              participants=int(r.p) if r else 0))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


CHILD_COLUMNS = ("unit_name", "activities", "submitted", "approved", "participants", "participants_poor", "copies",
                 "airings", "minutes", "cost_vnd")


def child_key(root: Unit | None, boundaries: str):
    """The child of `root` each unit of its subtree belongs to (None: the root's own entries)."""
    current = boundaries == "current"
    if root is None:
        return Unit.current_province_id if current else Unit.province_id
    if root.level == "province":
        if root.valid_to is not None and root.valid_to < CURRENT_START:
            return Unit.district_id
        return Unit.current_commune_id if current else Unit.commune_id
    if root.level == "district":
        return Unit.commune_id
    if root.level == "commune":
        return case((Unit.level == "village", Unit.id), else_=None)
    return case((Unit.id != root.id, Unit.id), else_=None)


def _child_units(session: Session, root: Unit | None, f: DashboardFilter, where) -> list[ChildUnitRow]:
    key = child_key(root, f.boundaries)
    base = (select(key.label("key"), Activity.status, Activity.participants, Activity.participants_poor,
                   Activity.copies, Activity.airings, Activity.minutes, Activity.cost_vnd)
            .select_from(Activity).join(Unit, Unit.id == Activity.unit_id).where(where).subquery())
    sums = [func.coalesce(func.sum(getattr(base.c, n)), 0).label(n)
            for n in ("participants", "participants_poor", "copies", "airings", "minutes", "cost_vnd")]
    query = (select(base.c.key, func.count().label("activities"),
                    func.sum(case((base.c.status == "submitted", 1), else_=0)).label("submitted"),
                    func.sum(case((base.c.status == "approved", 1), else_=0)).label("approved"), *sums)
             .group_by(base.c.key))
    rows = session.execute(query).all()
    labels = unit_labels(session, [r.key for r in rows])
    out = []
    for r in rows:
        if r.key is None:
            name, level = ((root.name + " (trực tiếp)", str(root.level)) if root else ("Không xác định", ""))
            unit = root.id if root else 0
        else:
            (name, level), unit = labels.get(r.key, (str(r.key), "")), r.key
        out.append(ChildUnitRow(unit_id=unit, unit_name=name, unit_level=level, is_root=r.key is None,
                                **{k: int(v or 0) for k, v in r._mapping.items() if k != "key"}))
    return sort_children(out, f.sort)


def sort_children(rows: list[ChildUnitRow], sort: str | None) -> list[ChildUnitRow]:
    column = (sort or "-activities").lstrip("-")
    if column not in CHILD_COLUMNS:
        column = "activities"
    descending = (sort or "-activities").startswith("-")
    if column == "unit_name":
        return sorted(rows, key=lambda r: search_key(r.unit_name), reverse=descending)
    return sorted(rows, key=lambda r: (getattr(r, column), search_key(r.unit_name)), reverse=descending)


# --- filter choices ---------------------------------------------------------------------------

def plans_in_view(session: Session, user: User, limit: int = 200) -> list[Plan]:
    """Plans of the user's scope and plans that assign tasks to units of it, newest first."""
    visible = access.visible_unit_ids(session, user)
    assigned = select(Task.plan_id).join(TaskUnit, TaskUnit.task_id == Task.id).where(TaskUnit.unit_id.in_(visible))
    query = (select(Plan).where((Plan.unit_id.in_(visible)) | (Plan.id.in_(assigned)))
             .order_by(Plan.period_end.desc(), Plan.id.desc()).limit(limit))
    return list(session.execute(query).scalars())


def tasks_of(session: Session, plan_id: int | None) -> list[Task]:
    if plan_id is None:
        return []
    return list(session.execute(select(Task).where(Task.plan_id == plan_id).order_by(Task.position, Task.id)).scalars())


def crumbs(session: Session, user: User, root: Unit | None) -> list[Unit]:
    """The units above `root` that the user may open, top first."""
    if root is None:
        return []
    ids = [i for i in (root.province_id, root.district_id, root.commune_id) if i is not None and i != root.id]
    if root.is_legacy and root.current_province_id:
        ids.insert(0, root.current_province_id)
    units = [session.get(Unit, i) for i in ids]
    return [u for u in units if u is not None and access.can_see_unit(session, user, u.id)]
