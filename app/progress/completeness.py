"""Completeness and timeliness of reporting: for each task and assigned unit in view, whether it
logged, submitted and had approved any activity in the period, how many came after the report
deadline, and whom to call."""
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, NamedTuple

from sqlalchemy import and_, case, func, literal, select
from sqlmodel import Session

from app import access
from app.accounts.models import User
from app.activities.models import Activity, ActivityTask
from app.core.clock import VN_TZ, today
from app.core.text import search_key
from app.core.types import UTCDateTime
from app.plans.models import Task, TaskUnit
from app.progress import figures, summary
from app.progress.boundaries import (ASSIGNED_LEVEL, activity_key, assigned_key, boundary_notes, check_boundaries,
                                     province_key, subtree, unit_labels)
from app.progress.periods import Span, month_end
from app.progress.periods import parse as parse_period
from app.progress.schemas import CompletenessProvince, CompletenessReport, CompletenessRow, Contact
from app.progress.selection import root_unit, tasks_in_view, the_plan
from app.units.models import Unit

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
    plan = the_plan(session, plan_id, task_id)
    span = parse_period(period, today=now, plan=plan)
    root = root_unit(session, user, unit_id)
    tasks = tasks_in_view(session, user, plan_id, task_id, span)
    in_view = and_(subtree(root, boundaries), Unit.id.in_(access.visible_unit_ids(session, user)))

    key, level = assigned_key(boundaries).label("key"), ASSIGNED_LEVEL.label("level")
    # The whole country is also added up per province (`_by_province`): each assigned unit's.
    province = (province_key(boundaries) if root is None else literal(None)).label("province")
    assigned = session.execute(
        select(Task.id.label("task_id"), key, level, province)
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
        notes=boundary_notes(session, user, tasks, boundaries, span, root, at),
        provinces=_by_province(session, rows, {(r.task_id, r.key): r.province for r in assigned}))


def _by_province(session: Session, rows: list[CompletenessRow], province_of: dict) -> list[CompletenessProvince]:
    """The rows added up per province (of their unit), in the order of the provinces' names."""
    tally: dict[int, CompletenessProvince] = {}
    for r in rows:
        p = province_of.get((r.task_id, r.unit_id))
        if p is None:
            continue
        if p not in tally:
            tally[p] = CompletenessProvince(province_id=p, province_name=str(p), assigned=0,
                                            counts=dict.fromkeys(STATE_LABELS, 0), late=0)
        tally[p].assigned += 1
        tally[p].counts[r.state] += 1
        tally[p].late += r.late
    for p, (name, _) in unit_labels(session, tally).items():
        tally[p].province_name = name
    return sorted(tally.values(), key=lambda p: search_key(p.province_name))


def _completeness_counts(session, user, task_ids, level, boundaries, span, root, deadlines):
    """Per task and key: logged, submitted, approved (from the summary when the span is whole
    months) and late (always from the rows, see `_late_counts`)."""
    key = activity_key(level, boundaries)
    if not summary.covers(span.start, span.end):
        return _counts_from_rows(session, user, task_ids, key, boundaries, span, root, deadlines)
    low, high = summary.month_range(span.start, span.end)
    s = summary.SUMMARY
    # Added up per unit first (from the covering index alone, on PostgreSQL), then per key: each
    # unit is looked up once, not once per month and type.
    per_unit = (select(s.c.task_id, s.c.unit_id, s.c.status, func.sum(s.c.activities).label("activities"))
                .where(summary.plan_rows_of_tasks(session, task_ids), s.c.task_id.in_(task_ids),
                       s.c.month.between(low, high), summary.units_in_view(session, user, root))
                .group_by(s.c.task_id, s.c.unit_id, s.c.status).subquery("u"))
    rows = (select(per_unit.c.task_id, per_unit.c.status, per_unit.c.activities, key.label("key"))
            .select_from(per_unit.join(Unit, Unit.id == per_unit.c.unit_id)).where(key.is_not(None)).subquery())
    query = (select(rows.c.task_id, rows.c.key, func.sum(rows.c.activities).label("logged"),
                    func.sum(case((rows.c.status.in_(figures.SUBMITTED_AND_APPROVED), rows.c.activities), else_=0))
                    .label("submitted"),
                    func.sum(case((rows.c.status == "approved", rows.c.activities), else_=0)).label("approved"))
             .group_by(rows.c.task_id, rows.c.key))
    late = _late_counts(session, user, task_ids, key, boundaries, span, root, deadlines)
    return [Counts(r.task_id, r.key, r.logged, r.submitted, r.approved, late.get((r.task_id, r.key), 0))
            for r in session.execute(query)]


class Counts(NamedTuple):
    task_id: int
    key: int
    logged: int
    submitted: int
    approved: int
    late: int


# The late count is read from the activity rows: it compares each entry's `submitted_at` with a
# deadline that depends on the task and on the period viewed, which no summary row can hold. It
# reads only what can be late: entries of the tasks that have a deadline, submitted or approved,
# sent after the earliest of those deadlines (none at all when no task has a deadline).
def _late_counts(session, user, task_ids, key, boundaries, span, root, deadlines) -> dict[tuple[int, int], int]:
    due = {tid: _deadline_utc(d) for tid, d in deadlines.items() if tid in task_ids and d is not None}
    if not due:
        return {}
    deadline = case(*[(ActivityTask.task_id == tid, literal(dt, UTCDateTime)) for tid, dt in due.items()])
    query = (select(ActivityTask.task_id, key.label("key"), func.count().label("late"))
             .select_from(Activity).join(ActivityTask, ActivityTask.activity_id == Activity.id)
             .join(Unit, Unit.id == Activity.unit_id)
             .where(ActivityTask.task_id.in_(sorted(due)), Activity.status.in_(figures.SUBMITTED_AND_APPROVED),
                    Activity.submitted_at > literal(min(due.values()), UTCDateTime), Activity.submitted_at > deadline,
                    Activity.start_date >= span.start, Activity.start_date <= span.end, key.is_not(None),
                    subtree(root, boundaries), access.activity_scope_condition(session, user))
             .group_by(ActivityTask.task_id, key))
    return {(r.task_id, r.key): int(r.late) for r in session.execute(query)}


# Read from the activity rows only when the summary cannot answer: a span that cuts a month (a
# plan's period starting on the 15th, viewed as `period=plan`); the summary holds whole months.
def _counts_from_rows(session, user, task_ids, key, boundaries, span, root, deadlines):
    due = {tid: _deadline_utc(d) for tid, d in deadlines.items() if tid in task_ids and d is not None}
    if due:
        deadline = case(*[(ActivityTask.task_id == tid, literal(dt, UTCDateTime)) for tid, dt in due.items()])
        late = func.sum(case((and_(Activity.status.in_(figures.SUBMITTED_AND_APPROVED),
                                   Activity.submitted_at > deadline), 1), else_=0))
    else:
        late = literal(0)
    query = (select(ActivityTask.task_id, key.label("key"), func.count().label("logged"),
                    func.sum(case((Activity.status.in_(figures.SUBMITTED_AND_APPROVED), 1), else_=0))
                    .label("submitted"),
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
