"""Totals by activity type for the exports' summary sheet, summed in SQL."""
from sqlalchemy import func, select
from sqlmodel import Session

from app.accounts.models import User
from app.activities.queries import ActivityFilter

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


def totals_by_type(session: Session, user: User, f: ActivityFilter,
                   boundaries: str = "current") -> dict[str, dict[str, int]]:
    from app.reports.columns import export_query

    base = export_query(session, user, f, boundaries).subquery()
    sums = [func.coalesce(func.sum(base.c[name]), 0).label(name) for name, _ in TOTAL_COLUMNS]
    query = select(base.c.type, func.count().label("activities"), *sums).group_by(base.c.type).order_by(base.c.type)
    return {row.type: {k: int(v) for k, v in row._mapping.items() if k != "type"} for row in session.execute(query)}


def grand_total(by_type: dict[str, dict[str, int]]) -> dict[str, int]:
    keys = ["activities"] + [name for name, _ in TOTAL_COLUMNS]
    return {k: sum(row[k] for row in by_type.values()) for k in keys}


PROGRESS_HEADERS = ("Nhiệm vụ", "Chỉ tiêu", "Kế hoạch", "Kết quả (đã duyệt)", "Tỷ lệ (%)", "Đánh giá")


def progress_rows(session: Session, user: User, f: ActivityFilter, *, boundaries: str, at) -> list[tuple]:
    """The plan's targets table over its whole period, when the export is filtered by a plan."""
    if not f.plan_id:
        return []
    from app.accounts import access
    from app.dashboards.periods import Span
    from app.plans.models import Plan
    from app.reports import progress

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
