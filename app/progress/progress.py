"""Progress against targets: for each per-unit target of each task and each assigned unit in view,
the target for the period, the approved and submitted amounts, the percentage and the status;
and targets set for a task as a whole.

Every number is an SQL aggregate; Python only joins the aggregated groups to their targets.
"""
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import String, and_, func, literal, select
from sqlmodel import Session

from app import access
from app.accounts.models import User
from app.activities.models import Activity, ActivityTask
from app.core.clock import today
from app.plans.models import METRIC_LABELS, Plan, Target, Task, TaskUnit
from app.progress import figures, summary
from app.progress.boundaries import (ASSIGNED_LEVEL, activity_key, assigned_key, boundary_notes, check_boundaries,
                                     province_key, subtree, unit_labels)
from app.progress.periods import Span, months_between
from app.progress.periods import parse as parse_period
from app.progress.schemas import ProgressReport, ProgressRow, TaskProgress
from app.progress.selection import root_unit, tasks_in_view, the_plan
from app.units.models import Unit

STATUS_LABELS = {"done": "Hoàn thành", "on_track": "Đúng tiến độ", "behind": "Chậm tiến độ"}
SUMMED_METRICS = ("sessions", "participants", "copies", "airings", "minutes", "items", "cost_vnd")
METRICS = ("activities",) + SUMMED_METRICS


class UnitAmount(NamedTuple):
    """A target of one assigned unit (or key) in view: its target row, target for the period,
    approved and submitted amounts and status."""
    row: Any
    target: int
    approved: int
    submitted: int
    status: str


def _status(achieved: int, target: int, elapsed: float) -> str:
    if achieved >= target:
        return "done"
    return "on_track" if achieved / target >= elapsed else "behind"


def _percent(achieved: int, target: int) -> float | None:
    return round(100 * achieved / target, 1) if target else None


def scaled_target(quantity: int, period: str, span: Span, plan) -> int:
    """A target for the months of the view that lie inside the plan (anything with its
    `period_start` and `period_end`), pro rata to its own period (a yearly 12 viewed over one
    quarter is 3; a monthly 2 over a year is 24)."""
    start, end = max(span.start, plan.period_start), min(span.end, plan.period_end)
    if start > end:
        return 0
    months = months_between(start, end)
    per = {"year": 12, "quarter": 3, "month": 1}.get(period) or months_between(plan.period_start, plan.period_end)
    return (quantity * months * 2 + per) // (2 * per)


def progress(session: Session, user: User, *, plan_id: int | None = None, task_id: int | None = None,
             unit_id: int | None = None, period: str | None = None, boundaries: str = "current",
             at: date | None = None, include_submitted: bool = True, unit_rows: bool = True) -> ProgressReport:
    """Each per-unit target of each task for each assigned unit in view: target for the period,
    approved and submitted amounts of the activities linked to the task, percentage and status.

    Through today's boundaries (the default) activities logged at a legacy unit count toward its
    default successor; `boundaries="as_of"` keeps them with the unit where they were logged.
    `unit_rows=False` leaves the rows out of the report and keeps only their totals per task and
    target (`tasks`, the dashboard's bars): no unit names read, no row built per commune.
    """
    check_boundaries(boundaries)
    now = today()
    plan = the_plan(session, plan_id, task_id)
    span = parse_period(period, today=now, plan=plan)
    root = root_unit(session, user, unit_id)
    tasks = tasks_in_view(session, user, plan_id, task_id, span)
    elapsed = span.elapsed(now)
    in_view = and_(subtree(root, boundaries), Unit.id.in_(access.visible_unit_ids(session, user)))

    # Keys are computed in a subquery so that GROUP BY names plain columns (PostgreSQL refuses to
    # match a CASE holding bound parameters against its copy in the select list).
    # The whole country (a national admin with no unit in view) is one row per province and target,
    # its assigned units added up, not one per commune; the page drills down province → commune.
    if root is None:
        key, level = province_key(boundaries), literal("province", String)
    else:
        key, level = assigned_key(boundaries), ASSIGNED_LEVEL
    assigned = (select(TaskUnit.task_id, key.label("key"), level.label("level"))
                .join(Unit, Unit.id == TaskUnit.unit_id).where(TaskUnit.task_id.in_(tasks), in_view).subquery())
    target_rows = session.execute(
        select(Task.id.label("task_id"), Task.plan_id, Task.title, Task.position, Target.id.label("target_id"),
               Target.metric, Target.quantity, Target.period, Target.activity_type, Plan.period_start,
               Plan.period_end, assigned.c.key, assigned.c.level, func.count().label("n"))
        .select_from(assigned).join(Task, Task.id == assigned.c.task_id).join(Target, Target.task_id == Task.id)
        .join(Plan, Plan.id == Task.plan_id).where(Target.per_unit.is_(True))
        .group_by(Task.id, Task.plan_id, Task.title, Task.position, Target.id, Target.metric, Target.quantity,
                  Target.period, Target.activity_type, Plan.period_start, Plan.period_end, assigned.c.key,
                  assigned.c.level)).all()
    target_rows = [r for r in target_rows if r.key is not None]

    typed = any(r.activity_type for r in target_rows)
    metrics = [m for m in METRICS if m in {str(r.metric) for r in target_rows}]  # what the targets count
    actual: dict[tuple, dict[str, int]] = {}
    for lvl in sorted({r.level for r in target_rows}):
        task_ids = sorted({r.task_id for r in target_rows if r.level == lvl})
        for row in _actuals(session, user, task_ids, lvl, boundaries, span, root, typed):
            for type_key in ((None, row.type) if typed else (None,)):
                bucket = actual.setdefault((row.task_id, row.key, row.status, type_key), dict.fromkeys(metrics, 0))
                for m in metrics:
                    bucket[m] += int(getattr(row, m))

    labels = unit_labels(session, [r.key for r in target_rows]) if unit_rows else {}
    scaled: dict[int, int] = {}  # each target scaled to the period, for one assigned unit
    amounts, rows = [], []
    for r in sorted(target_rows, key=lambda r: (r.plan_id, r.position, r.task_id, labels.get(r.key, ("",))[0],
                                                  r.target_id)):
        if r.target_id not in scaled:
            scaled[r.target_id] = scaled_target(r.quantity, str(r.period), span, r)
        target = scaled[r.target_id] * r.n
        approved = actual.get((r.task_id, r.key, "approved", r.activity_type), {}).get(str(r.metric), 0)
        submitted = actual.get((r.task_id, r.key, "submitted", r.activity_type), {}).get(str(r.metric), 0)
        achieved = approved + (submitted if include_submitted else 0)
        status = _status(achieved, target, elapsed)
        amounts.append(UnitAmount(r, target, approved, submitted, status))
        if not unit_rows:
            continue
        name, unit_level = labels.get(r.key, (str(r.key), r.level))
        rows.append(ProgressRow(
            plan_id=r.plan_id, task_id=r.task_id, task_title=r.title, unit_id=r.key, unit_name=name,
            unit_level=unit_level, assigned_units=r.n, target_id=r.target_id, metric=str(r.metric),
            metric_label=METRIC_LABELS.get(str(r.metric), str(r.metric)), target_period=str(r.period),
            activity_type=r.activity_type, target=target, approved=approved, submitted=submitted,
            percent=_percent(achieved, target), status=status, status_label=STATUS_LABELS[status]))

    # The national view's rows are provinces: which commune a split commune's entries went to
    # changes none of them.
    notes = boundary_notes(session, user, tasks, boundaries, span, root, at, per_commune=root is not None)
    return ProgressReport(
        plan_id=plan.id if plan else None, task_id=task_id, unit_id=root.id if root else None,
        unit_name=root.name if root else "Toàn quốc", period=span.key, period_label=span.label, start=span.start,
        end=span.end, boundaries=boundaries, at=at, elapsed=round(elapsed, 4), include_submitted=include_submitted,
        rows=rows, notes=notes,
        tasks=_task_totals(amounts, elapsed, include_submitted)
        + _whole_task_targets(session, user, tasks, span, root, boundaries, in_view, elapsed, include_submitted))


def _actuals(session, user, task_ids, level, boundaries, span, root, typed):
    key = activity_key(level, boundaries)
    if not summary.covers(span.start, span.end):
        return _actuals_from_rows(session, user, task_ids, key, boundaries, span, root, typed)
    if root is None and access.is_national_admin(user):
        # The whole country, a row per province: the province rows of the summary.
        return summary.province_progress_amounts(
            session, task_ids=task_ids, current=boundaries == "current", start=span.start, end=span.end,
            statuses=figures.SUBMITTED_AND_APPROVED, metrics=METRICS, typed=typed)
    return summary.progress_amounts(
        session, task_ids=task_ids, key=key, start=span.start, end=span.end, statuses=figures.SUBMITTED_AND_APPROVED,
        metrics=METRICS, typed=typed,
        units=summary.units_in_view(session, user, root))


# Read from the activity rows only when the summary cannot answer: a span that cuts a month (a
# plan's period starting on the 15th, viewed as `period=plan`); the summary holds whole months.
def _actuals_from_rows(session, user, task_ids, key, boundaries, span, root, typed):
    group = [ActivityTask.task_id, key.label("key"), Activity.status] + ([Activity.type] if typed else [])
    sums = figures.sums(SUMMED_METRICS)
    query = (select(*group, func.count().label("activities"), *sums)
             .select_from(Activity).join(ActivityTask, ActivityTask.activity_id == Activity.id)
             .join(Unit, Unit.id == Activity.unit_id)
             .where(ActivityTask.task_id.in_(task_ids), Activity.status.in_(figures.SUBMITTED_AND_APPROVED),
                    Activity.start_date >= span.start, Activity.start_date <= span.end, key.is_not(None),
                    subtree(root, boundaries), access.activity_scope_condition(session, user))
             .group_by(ActivityTask.task_id, key, Activity.status, *([Activity.type] if typed else [])))
    return session.execute(query).all()


def _task_amounts_from_rows(session, user, task_ids, span, root, boundaries):
    """`summary.task_amounts` from the activity rows, for a span that cuts a month (see above)."""
    sums = figures.sums(SUMMED_METRICS)
    return session.execute(
        select(ActivityTask.task_id, Activity.status, Activity.type, func.count().label("activities"), *sums)
        .select_from(Activity).join(ActivityTask, ActivityTask.activity_id == Activity.id)
        .join(Unit, Unit.id == Activity.unit_id)
        .where(ActivityTask.task_id.in_(task_ids), Activity.status.in_(figures.SUBMITTED_AND_APPROVED),
               Activity.start_date >= span.start, Activity.start_date <= span.end,
               subtree(root, boundaries), access.activity_scope_condition(session, user))
        .group_by(ActivityTask.task_id, Activity.status, Activity.type)).all()


def _whole_task_targets(session, user, tasks, span, root, boundaries, in_view, elapsed,
                        include_submitted) -> list[TaskProgress]:
    """Targets set for a task as a whole (not per unit): what every unit in view did adds up."""
    # Each target is read with its plan's period in one statement: a plan looked up by a later
    # statement may have been deleted meanwhile (each statement sees what was committed when it
    # began), which was a KeyError.
    targets = session.execute(select(Target, Task.plan_id, Task.title, Plan.period_start, Plan.period_end)
                              .join(Task, Task.id == Target.task_id).join(Plan, Plan.id == Task.plan_id)
                              .where(Target.task_id.in_(tasks), Target.per_unit.is_(False))
                              .order_by(Task.plan_id, Task.position, Task.id, Target.id)).all()
    if not targets:
        return []
    task_ids = sorted({t.Target.task_id for t in targets})
    if summary.covers(span.start, span.end):
        done = summary.task_amounts(
            session, task_ids=task_ids, start=span.start, end=span.end, statuses=figures.SUBMITTED_AND_APPROVED,
            metrics=METRICS, where=and_(subtree(root, boundaries), summary.scope_condition(session, user)))
    else:
        done = _task_amounts_from_rows(session, user, task_ids, span, root, boundaries)
    units = dict(session.execute(
        select(TaskUnit.task_id, func.count()).join(Unit, Unit.id == TaskUnit.unit_id)
        .where(TaskUnit.task_id.in_(task_ids), in_view).group_by(TaskUnit.task_id)).all())
    out = []
    for row in targets:
        target, plan_id, title = row.Target, row.plan_id, row.title
        metric = str(target.metric)

        def total(status: str) -> int:
            return sum(int(getattr(r, metric)) for r in done if r.task_id == target.task_id and r.status == status
                       and (target.activity_type is None or r.type == target.activity_type))

        quantity = scaled_target(target.quantity, str(target.period), span, row)
        approved, submitted = total("approved"), total("submitted")
        achieved = approved + (submitted if include_submitted else 0)
        status = _status(achieved, quantity, elapsed)
        out.append(TaskProgress(
            plan_id=plan_id, task_id=target.task_id, task_title=title, target_id=target.id, metric=metric,
            metric_label=METRIC_LABELS.get(metric, metric), activity_type=target.activity_type, target=quantity,
            approved=approved, submitted=submitted, percent=_percent(achieved, quantity), status=status,
            status_label=STATUS_LABELS[status], units_total=units.get(target.task_id, 0), units_behind=0))
    return out


def _task_totals(amounts: list[UnitAmount], elapsed: float, include_submitted: bool) -> list[TaskProgress]:
    """Per task and target, the units' amounts summed (a few thousand at most, already aggregated in
    SQL), in the order of the rows."""
    groups: dict[tuple[int, int], list[UnitAmount]] = {}
    for a in amounts:
        groups.setdefault((a.row.task_id, a.row.target_id), []).append(a)
    out = []
    for group in groups.values():
        r = group[0].row
        target, approved = sum(a.target for a in group), sum(a.approved for a in group)
        submitted = sum(a.submitted for a in group)
        achieved = approved + (submitted if include_submitted else 0)
        status = _status(achieved, target, elapsed)
        out.append(TaskProgress(
            plan_id=r.plan_id, task_id=r.task_id, task_title=r.title, target_id=r.target_id, metric=str(r.metric),
            metric_label=METRIC_LABELS.get(str(r.metric), str(r.metric)), activity_type=r.activity_type,
            target=target, approved=approved, submitted=submitted, percent=_percent(achieved, target),
            status=status, status_label=STATUS_LABELS[status], units_total=len(group),
            units_behind=sum(a.status == "behind" for a in group)))
    return out
