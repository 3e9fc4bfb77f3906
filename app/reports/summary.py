"""Totals by activity type for the exports' summary sheet, summed in SQL with the figures' definitions."""
from sqlalchemy import func, select
from sqlmodel import Session

from app import access
from app.accounts.models import User
from app.activities.queries import ActivityFilter
from app.plans.models import Plan
from app.progress import figures
from app.progress.periods import Span
from app.reports import progress
from app.reports.columns import export_query

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
    base = export_query(session, user, f, boundaries).subquery()
    columns = [name for name, _ in TOTAL_COLUMNS]
    query = (select(base.c.type, func.count().label("activities"), *figures.status_counts(base),
                    *figures.approved_sums(columns, base))
             .group_by(base.c.type).order_by(base.c.type))
    return {row.type: {k: int(v) for k, v in row._mapping.items() if k != "type"} for row in session.execute(query)}


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
