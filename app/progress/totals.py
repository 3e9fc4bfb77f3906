"""The totals of the activities in view (a unit's scope, a period, a plan or task, a type and a
status): the dashboard's headline with the working figures, the plan report's with approved ones."""
from dataclasses import dataclass

from sqlalchemy import and_, false, func, or_, select
from sqlmodel import Session

from app import access
from app.accounts.models import Role, User
from app.activities.models import Activity, ActivityTask
from app.activities.types import TYPES
from app.core.clock import today
from app.core.errors import ApiError, field_error
from app.plans import queries as plan_queries
from app.plans.models import Task
from app.progress import figures, summary
from app.progress.boundaries import check_boundaries, subtree
from app.progress.periods import Span
from app.progress.periods import parse as parse_period
from app.progress.schemas import Headline
from app.progress.selection import root_unit, the_plan
from app.units.models import Unit

HEADLINE_SUMS = ("participants", "participants_poor", "copies", "airings", "minutes",
                 "cost_central_vnd", "cost_local_vnd", "cost_mobilised_vnd", "cost_vnd")


@dataclass
class FigureFilter:
    """Which activities a total counts."""

    unit_id: int | None = None   # the unit in view (default: the user's own); children are drilled into
    period: str | None = None    # "2026", "2026-H1", "2026-Q1", "2026-03"; default this year
    plan_id: int | None = None
    task_id: int | None = None
    type: str | None = None
    status: str | None = None    # default: submitted and approved
    boundaries: str = "current"


def check_filter(f: FigureFilter) -> None:
    check_boundaries(f.boundaries)
    if f.status and f.status not in ("draft", "submitted", "approved", "returned"):
        raise ApiError(422, "validation_error", "Tham số không hợp lệ.", [field_error(
            "query.status", "invalid", "Trạng thái là draft, submitted, approved hoặc returned.")])
    if f.type and f.type not in TYPES:
        raise ApiError(422, "validation_error", "Tham số không hợp lệ.", [field_error(
            "query.type", "invalid", "Loại hoạt động không có trong danh mục.")])


def span_of(session: Session, f: FigureFilter) -> Span:
    return parse_period(f.period, today=today(), plan=the_plan(session, f.plan_id, f.task_id))


def in_view(session: Session, user: User, f: FigureFilter) -> tuple[Unit | None, Span, object]:
    """The unit in view, the period and the condition on `Activity` for the activities counted;
    a plan or unit outside the user's view answers 404."""
    check_filter(f)
    if f.task_id or f.plan_id:
        plan = the_plan(session, f.plan_id, f.task_id)
        if plan is None:
            raise access.NotFound()
        plan_queries.get_plan(session, user, plan.id)
    root = root_unit(session, user, f.unit_id)
    span = span_of(session, f)
    return root, span, _activity_condition(session, user, f, root, span)


def _activity_condition(session: Session, user: User, f: FigureFilter, root: Unit | None, span: Span):
    conditions = [access.activity_scope_condition(session, user), Activity.start_date >= span.start,
                  Activity.start_date <= span.end]
    if root is not None:
        conditions.append(Activity.unit_id.in_(select(Unit.id).where(subtree(root, f.boundaries))))
    conditions.append(Activity.status == f.status if f.status else Activity.status.in_(figures.SUBMITTED_AND_APPROVED))
    if f.type:
        conditions.append(Activity.type == f.type)
    if f.task_id:
        conditions.append(Activity.id.in_(select(ActivityTask.activity_id).where(ActivityTask.task_id == f.task_id)))
    elif f.plan_id:
        tasks = select(Task.id).where(Task.plan_id == f.plan_id)
        conditions.append(Activity.id.in_(select(ActivityTask.activity_id).where(ActivityTask.task_id.in_(tasks))))
    return and_(*conditions)


def summary_condition(session: Session, user: User, f: FigureFilter, root: Unit | None, span: Span):
    """The summary rows of the activities `in_view` selects, or None when the summary cannot answer
    (see `Counted.from_rows`)."""
    if not summary.covers(span.start, span.end):
        return None
    s = summary.SUMMARY
    conditions = [summary.scope_condition(session, user)]
    if root is not None:
        conditions.append(s.c.unit_id.in_(select(Unit.id).where(subtree(root, f.boundaries))))
    return and_(*conditions, *_figure_conditions(session, s, f, span))


def province_rows_answer(user: User, root: Unit | None) -> bool:
    """Whether the summary per province holds exactly what `user` sees under `root`: the whole
    country for the national admin, or a whole province (which only someone who sees all of it may
    open) for a user who sees the entries of every agency."""
    if root is None:
        return access.is_national_admin(user)
    return root.level == "province" and (user.role == Role.admin or user.agency_id is None)


def province_condition(session: Session, user: User, f: FigureFilter, root: Unit | None, span: Span):
    """The province rows of the activities `in_view` selects, or None when they cannot answer."""
    if not summary.covers(span.start, span.end) or not province_rows_answer(user, root):
        return None
    p = summary.PROVINCES
    conditions = []
    if root is not None:  # the province's subtree (`access.unit_subtree_condition`) on the province rows
        conditions.append(or_(p.c.province_id == root.id, p.c.current_province_id == root.id))
    return and_(*conditions, *_figure_conditions(session, p, f, span))


def _figure_conditions(session: Session, s, f: FigureFilter, span: Span) -> list:
    """The period, status, type, plan and task of a figure, on the summary or its province rows."""
    low, high = summary.month_range(span.start, span.end)
    conditions = [s.c.month.between(low, high),
                  s.c.status == f.status if f.status else s.c.status.in_(figures.SUBMITTED_AND_APPROVED)]
    if f.type:
        conditions.append(s.c.type == f.type)
    if f.task_id:
        # The task's rows: an activity once per task it serves.
        task = session.get(Task, f.task_id)
        conditions += [s.c.plan_id == task.plan_id, s.c.task_id == f.task_id] if task else [false()]
    elif f.plan_id:
        # The plan's rows: an activity linked to two tasks of the plan counts once.
        conditions += [s.c.plan_id == f.plan_id, s.c.task_id == summary.NO_TASK]
    else:
        conditions += [s.c.plan_id == summary.NO_PLAN, s.c.task_id == summary.NO_TASK]
    return conditions


@dataclass
class Counted:
    """The activities a figure counts, as a condition on the rows (`where`, on `Activity`), on the
    summary (`summary`, None when the summary cannot answer) and on its province rows
    (`by_province`, None unless they hold exactly these activities: `province_rows_answer`)."""

    root: Unit | None
    span: Span
    where: object
    summary: object | None
    by_province: object | None = None

    @property
    def from_rows(self) -> bool:
        """The one place a figure of the dashboard or the reports falls back to the activity rows:
        when its period cuts a month (a plan's whole period starting on the 15th), since the
        summary holds whole months only. Every other filter these figures offer (unit, period,
        plan, task, type, status, boundaries) is a column of the summary."""
        return self.summary is None

    def totals(self) -> tuple[object, object]:
        """The table and condition for figures that need no unit (headline, by type, by month):
        the province rows when they answer (a few per month and type), else the summary."""
        if self.by_province is not None:
            return summary.PROVINCES, self.by_province
        return summary.SUMMARY, self.summary


def counted(session: Session, user: User, f: FigureFilter) -> Counted:
    """`in_view` with the summary's conditions for the same activities."""
    root, span, where = in_view(session, user, f)
    return Counted(root, span, where, summary_condition(session, user, f, root, span),
                   province_condition(session, user, f, root, span))


def headline(session: Session, user: User, f: FigureFilter) -> Headline:
    return headline_of(session, counted(session, user, f))


def headline_of(session: Session, view: Counted) -> Headline:
    """The headline numbers of the activities counted by `view` (from `counted`)."""
    if view.from_rows:
        row = figures.totals(session, view.where, columns=HEADLINE_SUMS)[0]
    else:
        s, condition = view.totals()
        row = session.execute(select(func.coalesce(func.sum(s.c.activities), 0).label("activities"),
                                     *[func.coalesce(func.sum(s.c[c]), 0).label(c) for c in HEADLINE_SUMS])
                              .where(condition)).one()
    return Headline(**{k: int(v) for k, v in row._mapping.items()})
