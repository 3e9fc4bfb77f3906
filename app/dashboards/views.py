"""Pages for reviewers: the dashboard of a scope, progress against targets, completeness."""
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from pydantic import BaseModel

from app.accounts.deps import DbSession, PageUser
from app.activities.types import TYPES
from app.core.clock import today
from app.core.db import UnitOfWork
from app.core.errors import ApiError, prefixed
from app.core.forms import M, form_date, form_errors, form_int
from app.core.templating import render
from app.dashboards import charts, queries
from app.dashboards.queries import CHILD_COLUMNS, DashboardFilter
from app.plans import queries as plan_queries
from app.plans.models import Task
from app.progress import completeness as completeness_queries
from app.progress import periods
from app.progress import progress as progress_queries
from app.progress.selection import root_unit

router = APIRouter(tags=["dashboards"], include_in_schema=False, route_class=UnitOfWork)

STATUS_CHOICES = (("", "Đã gửi và đã duyệt"), ("approved", "Đã duyệt"), ("submitted", "Chờ duyệt"),
                  ("returned", "Bị trả lại"), ("draft", "Nháp"))
BOUNDARY_CHOICES = (("current", "Địa giới hiện nay"), ("as_of", "Theo đơn vị nơi ghi nhận"))
FILTER_KEYS = ("unit_id", "period", "plan_id", "task_id", "type", "status", "boundaries", "at", "sort")


FilterId = form_int("Phải là số nguyên.", grouped=False)
IsoDay = form_date("Ngày có dạng YYYY-MM-DD.", day_first=False)


class FilterIds(BaseModel):
    """The ids of the dashboards' filter, as their links carry them."""
    unit_id: FilterId = None
    plan_id: FilterId = None
    task_id: FilterId = None


class ProgressDay(BaseModel):
    """The day whose units the progress page counts by (boundaries as_of)."""
    at: IsoDay = None


def _typed(request: Request, model: type[M]) -> M:
    """The query's values as `model`; one that cannot be read answers 422 with its message."""
    parsed, errors = form_errors(model, {k: request.query_params.get(k) for k in model.model_fields})
    if parsed is None:
        message = "Ngày không hợp lệ." if all(e["code"] == "date_parsing" for e in errors) else "Tham số không hợp lệ."
        raise ApiError(422, "validation_error", message, [prefixed(e, "query") for e in errors])
    return parsed


def _text(request: Request, name: str) -> str | None:
    return (request.query_params.get(name) or "").strip() or None


def filter_from(request: Request) -> DashboardFilter:
    typed = _typed(request, FilterIds)
    return DashboardFilter(unit_id=typed.unit_id, period=_text(request, "period"),
                           plan_id=typed.plan_id, task_id=typed.task_id,
                           type=_text(request, "type"), status=_text(request, "status"),
                           boundaries=_text(request, "boundaries") or "current", sort=_text(request, "sort"))


def _consistent(session, f: DashboardFilter) -> DashboardFilter:
    """A task left selected after switching to another plan is dropped (the form sends both)."""
    if f.task_id and f.plan_id:
        task = session.get(Task, f.task_id)
        if task is None or task.plan_id != f.plan_id:
            f.task_id = None
    return f


def _params(request: Request) -> dict[str, str]:
    return {k: v for k in FILTER_KEYS if (v := (request.query_params.get(k) or "").strip())}


def url_maker(path: str, params: dict[str, str]):
    """`url(sort="-minutes")`: this view's URL with some parameters changed (None removes one)."""
    def url(**changes) -> str:
        merged = {**params, **{k: v for k, v in changes.items()}}
        clean = {k: v for k, v in merged.items() if v not in (None, "")}
        return path + ("?" + urlencode(clean) if clean else "")
    return url


def _common(session, user, request: Request, path: str, f: DashboardFilter, span) -> dict:
    params = _params(request)
    if f.task_id is None:
        params.pop("task_id", None)
    plans = plan_queries.plans_in_view(session, user)
    root = root_unit(session, user, f.unit_id)
    return {"f": f, "span": span, "params": params, "url": url_maker(path, params), "plans": plans,
            "tasks": plan_queries.tasks_of_plan_id(session, f.plan_id),
            "root": root, "crumbs": queries.crumbs(session, user, root),
            "period_choices": periods.choices(today()), "types": TYPES, "statuses": STATUS_CHOICES,
            "boundary_choices": BOUNDARY_CHOICES, "path": path}


@router.get("/dashboard")
def dashboard(request: Request, session: DbSession, user: PageUser):
    f = _consistent(session, filter_from(request))
    board = queries.dashboard(session, user, f)
    span = periods.Span(board.period, board.start, board.end, board.period_label)
    progress = progress_queries.progress(session, user, plan_id=f.plan_id, task_id=f.task_id, unit_id=f.unit_id,
                                         period=span.key, boundaries=f.boundaries, unit_rows=False)
    headline, months, types, children = board.headline, board.over_time, board.by_type, board.child_units
    ctx = _common(session, user, request, "/dashboard", f, span)
    scope = ctx["root"].name if ctx["root"] else "toàn quốc"
    ctx.update(
        title="Tổng hợp", headline=headline, progress=progress, children=children, columns=CHILD_COLUMNS,
        sort=f.sort or "-activities",
        month_chart=charts.columns([(_month_label(m, months), m.activities, m.label) for m in months],
                                   title=f"Số hoạt động theo tháng — {scope}, {span.label.lower()}",
                                   desc="; ".join(f"{m.label}: {m.activities}" for m in months), chart_id="months"),
        type_chart=charts.bars([(t.label, t.activities) for t in types],
                               title=f"Số hoạt động theo loại — {scope}, {span.label.lower()}",
                               desc="; ".join(f"{t.label}: {t.activities}" for t in types) or "Chưa có hoạt động.",
                               chart_id="types"),
        has_types=bool(types))
    return render(request, "dashboards/dashboard.html", ctx, fragment="dashboards/_dashboard.html")


def _month_label(m, months) -> str:
    """"T3" when the chart covers one year (the title says which), "T3/2026" otherwise."""
    one_year = months and months[0].month[:4] == months[-1].month[:4]
    return f"T{int(m.month[5:])}" if one_year else m.label


@router.get("/progress")
def progress_page(request: Request, session: DbSession, user: PageUser):
    f = _consistent(session, filter_from(request))
    at = _typed(request, ProgressDay).at
    report = progress_queries.progress(session, user, plan_id=f.plan_id, task_id=f.task_id, unit_id=f.unit_id,
                                       period=f.period, boundaries=f.boundaries, at=at,
                                       include_submitted=request.query_params.get("approved_only") != "1")
    span = periods.Span(report.period, report.start, report.end, report.period_label)
    ctx = _common(session, user, request, "/progress", f, span)
    only = _text(request, "show")
    rows = [r for r in report.rows if only != "behind" or r.status == "behind"]
    ctx.update(title="Tiến độ thực hiện", report=report, rows=rows, show=only, at=at,
               approved_only=request.query_params.get("approved_only") == "1")
    return render(request, "dashboards/progress.html", ctx, fragment="dashboards/_progress.html")


@router.get("/completeness")
def completeness_page(request: Request, session: DbSession, user: PageUser):
    f = _consistent(session, filter_from(request))
    report = completeness_queries.completeness(session, user, plan_id=f.plan_id, task_id=f.task_id,
                                               unit_id=f.unit_id, period=f.period or "", boundaries=f.boundaries)
    span = periods.Span(report.period, report.start, report.end, report.period_label)
    ctx = _common(session, user, request, "/completeness", f, span)
    ctx.update(title="Đơn vị chưa báo cáo", report=report,
               late=[r for r in report.rows if r.late], state_labels=completeness_queries.STATE_LABELS)
    return render(request, "dashboards/completeness.html", ctx, fragment="dashboards/_completeness.html")
