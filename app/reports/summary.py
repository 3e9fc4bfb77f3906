"""Totals by activity type for the exports' summary sheet, summed in SQL with the figures' definitions."""
from calendar import monthrange

from sqlalchemy import and_, case, false, func, select
from sqlmodel import Session

from app import access
from app.accounts.models import User
from app.activities.queries import ActivityFilter
from app.plans.models import Plan, Task
from app.progress import figures
from app.progress import summary as activity_summary
from app.progress.periods import Span
from app.reports import progress
from app.reports.columns import export_query
from app.units.models import Unit

TOTAL_COLUMNS = (
    ("participants", "Số người tham gia"),
    ("participants_poor", "Người thuộc hộ nghèo"),
    ("participants_near_poor", "Người thuộc hộ cận nghèo"),
    ("participants_women", "Nữ"),
    ("participants_ethnic", "Người dân tộc thiểu số"),
    ("sessions", "Số buổi/lớp"),
    ("copies", "Số bản in"),
    ("airings", "Số lần phát sóng"),
    ("minutes", "Số phút phát sóng"),
    ("items", "Số tin, bài, sản phẩm"),
    ("cost_central_vnd", "Kinh phí NSTW (đồng)"),
    ("cost_local_vnd", "Kinh phí NSĐP (đồng)"),
    ("cost_mobilised_vnd", "Kinh phí xã hội hóa (đồng)"),
    ("cost_vnd", "Tổng kinh phí (đồng)"),
)


# Activities counted by status, so that the summary reconciles with the listed sheets.
STATUS_COLUMNS = (
    ("approved", "Đã duyệt"), ("submitted", "Đã gửi, chờ duyệt"), ("returned", "Bị trả lại"), ("draft", "Nháp"),
)
FIGURES_NOTE = ("Số hoạt động: mọi trạng thái trong bộ lọc, ghi riêng từng trạng thái. Các cột số liệu (người tham gia, "
                "số bản, lần phát, kinh phí…) " + figures.SCOPE_LABELS[figures.APPROVED] + ", như báo cáo kết quả.")


def totals_by_type(session: Session, user: User, f: ActivityFilter,
                   boundaries: str = "current") -> dict[str, dict[str, int]]:
    """Per type: `activities` (every status in the filter), the count of each status, and the sums
    of the approved activities only (the report's definition, `figures.APPROVED`)."""
    columns = [name for name, _ in TOTAL_COLUMNS]
    condition = _summary_condition(session, user, f)
    if condition is None:
        base = export_query(session, user, f, boundaries).subquery()
        query = (select(base.c.type, func.count().label("activities"), *figures.status_counts(base),
                        *figures.approved_sums(columns, base))
                 .group_by(base.c.type).order_by(base.c.type))
    else:
        s = activity_summary.SUMMARY
        query = (select(s.c.type, func.sum(s.c.activities).label("activities"),
                        *[func.coalesce(func.sum(case((s.c.status == status, s.c.activities), else_=0)), 0).label(status)
                          for status in figures.STATUSES],
                        *[func.coalesce(func.sum(case((s.c.status == "approved", s.c[c]), else_=0)), 0).label(c)
                          for c in columns])
                 .where(condition).group_by(s.c.type).order_by(s.c.type))
    return {row.type: {k: int(v) for k, v in row._mapping.items() if k != "type"} for row in session.execute(query)}


def _summary_condition(session: Session, user: User, f: ActivityFilter):
    """The summary rows of the activities the list filter selects, or None when the summary cannot
    answer and the sheet is summed from the rows: a filter by author (`created_by_id`) or by update
    time (`updated_since`), which the summary does not hold, dates that cut a month, or a task of
    another plan than the one filtered."""
    if f.created_by_id or f.updated_since:
        return None
    s = activity_summary.SUMMARY
    conditions = [activity_summary.scope_condition(session, user)]
    if f.date_from:
        if f.date_from.day != 1:
            return None
        conditions.append(s.c.month >= activity_summary.month_of(f.date_from))
    if f.date_to:
        if f.date_to.day != monthrange(f.date_to.year, f.date_to.month)[1]:
            return None
        conditions.append(s.c.month <= activity_summary.month_of(f.date_to))
    if f.unit_id is not None:
        root = access.require_visible_unit(session, user, f.unit_id)
        conditions.append(s.c.unit_id.in_(select(Unit.id).where(access.unit_subtree_condition(root))))
    if f.type:
        conditions.append(s.c.type == f.type)
    if f.status:
        conditions.append(s.c.status == f.status)
    if f.agency_id:
        conditions.append(s.c.agency_id == f.agency_id)
    if f.task_id:
        task = session.get(Task, f.task_id)
        if task is None:
            conditions.append(false())
        elif f.plan_id and task.plan_id != f.plan_id:
            return None  # a task and another plan: entries linked to both, which only the rows tell
        else:
            conditions += [s.c.plan_id == task.plan_id, s.c.task_id == f.task_id]
    elif f.plan_id:
        conditions += [s.c.plan_id == f.plan_id, s.c.task_id == activity_summary.NO_TASK]
    else:
        conditions += [s.c.plan_id == activity_summary.NO_PLAN, s.c.task_id == activity_summary.NO_TASK]
    return and_(*conditions)


def grand_total(by_type: dict[str, dict[str, int]]) -> dict[str, int]:
    keys = ["activities"] + [name for name, _ in STATUS_COLUMNS] + [name for name, _ in TOTAL_COLUMNS]
    return {k: sum(row[k] for row in by_type.values()) for k in keys}


PROGRESS_HEADERS = ("Nhiệm vụ", "Chỉ tiêu", "Kế hoạch", "Kết quả (đã duyệt)", "Tỷ lệ (%)", "Đánh giá")


def progress_rows(session: Session, user: User, f: ActivityFilter, *, boundaries: str, at) -> list[tuple]:
    """The plan's targets table over its whole period, when the export is filtered by a plan."""
    if not f.plan_id:
        return []

    plan = session.get(Plan, f.plan_id)
    if plan is None:
        return []
    unit_id = f.unit_id or user.unit_id or plan.unit_id
    unit = access.require_visible_unit(session, user, unit_id)
    if not progress.plan_visible(session, user, plan):
        return []
    span = Span("plan", plan.period_start, plan.period_end, "")
    return [(r.task, r.metric, r.target, r.result, r.percent, r.status)
            for r in progress.target_progress(session, user, plan, unit, span, boundaries, at)]
