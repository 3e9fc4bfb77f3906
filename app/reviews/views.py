"""The review pages: the queue (a page at a time, sorted as the reviewer chooses), approve or
return one entry there or on the entry's own page (then on to the next entry), approve a ticked
selection, everything a filter holds or a commune's month, the last two after a confirmation step
that works without JavaScript."""
import calendar
import uuid
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

from app import access
from app.accounts.deps import DbSession, PageUser
from app.activities import queries as activity_queries
from app.activities.queries import ActivityFilter
from app.activities.types import TYPES
from app.activities.views import render_detail
from app.core.db import UnitOfWork
from app.core.errors import ApiError, field_error
from app.core.forms import Form, M, form_date, form_int, parse_form
from app.core.templating import render, wants_fragment
from app.core.text import format_date
from app.plans import queries as plan_queries
from app.plans.models import Plan, Task
from app.reviews import queries, services
from app.units.models import Unit

router = APIRouter(tags=["reviews"], include_in_schema=False, route_class=UnitOfWork)
FILTER_KEYS = ("unit_id", "type", "plan_id", "task_id", "date_from", "date_to")
QUEUE_KEYS = FILTER_KEYS + ("sort",)


Id = form_int("Giá trị không hợp lệ.", grouped=False)
Day = form_date("Giá trị không hợp lệ.", day_first=False)
RequiredUnitId = form_int("Giá trị không hợp lệ.", required="Chọn đơn vị.", grouped=False)


class QueueFilter(BaseModel):
    """The queue's filter, as the links and the forms of the queue carry it."""
    unit_id: Id = None
    plan_id: Id = None
    task_id: Id = None
    date_from: Day = None
    date_to: Day = None


class PeriodForm(BaseModel):
    period_unit_id: RequiredUnitId


def _read(model: type[M], values) -> M:
    """The values (query or form) as `model`; a bad one answers 422 with its message."""
    parsed, errors = parse_form(model, {name: values.get(name) for name in model.model_fields})
    if parsed is None:
        raise ApiError(422, "validation_error", "Tham số không hợp lệ.",
                       [field_error(f"query.{path}", "invalid", message) for path, message in errors.items()])
    return parsed


def _filter(values) -> ActivityFilter:
    kind = (values.get("type") or "").strip() or None
    return ActivityFilter(type=kind if kind in TYPES else None, **_read(QueueFilter, values).model_dump())


def _sort(values) -> str:
    sort = (values.get("sort") or "").strip()
    return sort if sort in queries.SORTS else queries.DEFAULT_SORT


def _params(values, keys=FILTER_KEYS) -> dict[str, str]:
    return {k: v for k in keys if (v := (values.get(k) or "").strip())}


def _require_reviewer(user) -> None:
    if user.role not in ("admin", "reviewer"):
        raise access.Forbidden("Chỉ cán bộ thẩm định mới duyệt được hoạt động.")


def filter_words(session, f: ActivityFilter) -> str:
    """The filter as a reviewer would say it, for the confirmation of a bulk approval."""
    parts = []
    if f.unit_id and (unit := session.get(Unit, f.unit_id)):
        parts.append(f"đơn vị {unit.name}")
    if f.type:
        parts.append(f"loại “{TYPES[f.type].label}”")
    if f.plan_id and (plan := session.get(Plan, f.plan_id)):
        parts.append(f"kế hoạch “{plan.number + ' — ' if plan.number else ''}{plan.title}”")
    if f.task_id and (task := session.get(Task, f.task_id)):
        parts.append(f"nhiệm vụ “{task.title}”")
    if f.date_from:
        parts.append(f"thực hiện từ ngày {format_date(f.date_from)}")
    if f.date_to:
        parts.append(f"thực hiện đến ngày {format_date(f.date_to)}")
    return "; ".join(parts) if parts else "không lọc: mọi hoạt động chờ duyệt trong phạm vi của bạn"


def _queue_context(request: Request, session, user, values, **extra) -> dict:
    # The reviewer's unit, held while the page is built: each query's scope reads it from the
    # session instead of the database (the session keeps only the objects someone holds).
    scope = access.scope_unit(session, user)  # noqa: F841
    f = _filter(values)
    sort = _sort(values)
    cursor = (values.get("cursor") or "").strip() or None
    before = (values.get("before") or "").strip() or None
    rows, total, pager = queries.queue(session, user, f, sort, cursor, before=before)
    params = _params(values)
    queue_params = _params(values, QUEUE_KEYS)
    ctx = {"title": "Duyệt hoạt động", "rows": rows, "total": total, "f": f, "params": params,
           "query": urlencode(params), "queue_query": urlencode(queue_params), "types": TYPES,
           "plans": plan_queries.plans_in_view(session, user),
           "tasks": plan_queries.tasks_of_plan_id(session, f.plan_id),
           "unit": session.get(Unit, f.unit_id) if f.unit_id else None, "sort": sort, "sorts": queries.SORTS,
           "cursor": cursor or before, "count_limit": queries.COUNT_LIMIT,
           "next_query": urlencode({**queue_params, "cursor": pager.next}) if pager.next else None,
           "previous_query": urlencode({**queue_params, "before": pager.previous}) if pager.previous else None,
           "groups": queries.period_groups(session, user, f, rows),
           "approved": values.get("approved"), "refused": values.get("refused"), "decided": values.get("decided"),
           "comment": "", "errors": {}}
    ctx.update(extra)
    return ctx


@router.get("/reviews")
def review_queue(request: Request, session: DbSession, user: PageUser):
    _require_reviewer(user)
    ctx = _queue_context(request, session, user, request.query_params)
    return render(request, "reviews/queue.html", ctx, fragment="reviews/_queue.html")


@router.post("/reviews/approve")
def approve_selected(request: Request, session: DbSession, user: PageUser, form: Form):
    """Approve the ticked entries, or (with `all`, after a confirmation step) every entry of the
    filtered list."""
    _require_reviewer(user)
    f = _filter(form)
    if form.get("all") and not form.get("confirm"):
        total = queries.queue_total(session, user, f)
        ctx = {"title": "Xác nhận duyệt", "count": min(total, queries.BULK_LIMIT), "total": total,
               "limit": queries.BULK_LIMIT, "words": filter_words(session, f), "params": _params(form, QUEUE_KEYS),
               "action": "/reviews/approve", "fields": {"all": "1"}, "back": "/reviews?" + urlencode(_params(form, QUEUE_KEYS))}
        return render(request, "reviews/confirm.html", ctx)
    ids = queries.queue_ids(session, user, f) if form.get("all") else form.getlist("ids")
    results = services.approve_many(session, ids[:queries.BULK_LIMIT], user=user) if ids else []
    ok = sum(1 for r in results if r["ok"])
    query = urlencode({**_params(form, QUEUE_KEYS), "approved": ok, "refused": len(results) - ok})
    return RedirectResponse(f"/reviews?{query}", status_code=303)


def _month(value: str | None) -> tuple[date, date]:
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    except ValueError:
        raise ApiError(422, "validation_error", "Tham số không hợp lệ.",
                       [field_error("month", "invalid", "Tháng không hợp lệ (YYYY-MM).")])


@router.post("/reviews/period")
def approve_period(request: Request, session: DbSession, user: PageUser, form: Form):
    """Approve everything one commune submitted for one month, after a confirmation step."""
    _require_reviewer(user)
    unit_id = _read(PeriodForm, form).period_unit_id
    start, end = _month(form.get("month"))
    unit = access.require_visible_unit(session, user, unit_id)
    back = "/reviews?" + urlencode(_params(form, QUEUE_KEYS))
    if not form.get("confirm"):
        f = ActivityFilter(unit_id=unit.id, date_from=start, date_to=end)
        count = queries.queue_total(session, user, f)
        ctx = {"title": "Xác nhận duyệt theo kỳ", "count": count, "total": count, "limit": services.BULK_LIMIT,
               "words": f"{unit.name}, tháng {start:%m/%Y} (thực hiện từ {format_date(start)} đến {format_date(end)})",
               "params": _params(form, QUEUE_KEYS), "action": "/reviews/period",
               "fields": {"period_unit_id": str(unit.id), "month": f"{start:%Y-%m}"}, "back": back, "period": True}
        return render(request, "reviews/confirm.html", ctx)
    try:
        approved = services.approve_period(session, unit.id, start, end, user=user)
    except services.Invalid as exc:
        session.rollback()
        return render(request, "error.html", {"status": 422, "message": exc.errors[0]["message"]}, status_code=422)
    query = urlencode({**_params(form, QUEUE_KEYS), "approved": len(approved), "refused": 0})
    return RedirectResponse(f"/reviews?{query}", status_code=303)


def _row_response(request: Request, session, activity, *, state: str, comment: str = "", errors=None,
                  status_code: int = 200):
    unit = session.get(Unit, activity.unit_id)
    row = queries.QueueRow(activity, unit.name if unit else "", None)
    queries.attach_evidence(session, [row])
    ctx = {"row": row, "state": state, "types": TYPES, "comment": comment, "errors": errors or {},
           "queue_query": ""}
    return render(request, "reviews/_row.html", ctx, status_code=status_code)


def _after_decision(session, user, form, activity, decided: str) -> RedirectResponse:
    """From the entry's own page: on to the next entry waiting in the same queue order, or back to the
    queue when none is left; from the queue: back to the queue."""
    params = _params(form, QUEUE_KEYS)
    if form.get("from") == "detail":
        following = queries.next_in_queue(session, user, _filter(form), _sort(form))
        if following is not None:
            query = urlencode({**params, "queue": "1", "decided": decided, "previous": str(activity.id)})
            return RedirectResponse(f"/activities/{following.id}?{query}", status_code=303)
        return RedirectResponse(f"/reviews?{urlencode({**params, 'decided': decided})}", status_code=303)
    return RedirectResponse(f"/reviews?{urlencode(params)}", status_code=303)


@router.post("/reviews/{activity_id}/approve")
def approve_one(activity_id: uuid.UUID, request: Request, session: DbSession, user: PageUser, form: Form):
    activity = activity_queries.get_visible(session, user, activity_id)
    try:
        services.approve_activity(session, activity, user=user)
    except services.WrongState as exc:
        session.rollback()
        if wants_fragment(request):
            return _row_response(request, session, activity, state="gone", errors={"state": exc.message})
        if form.get("from") == "detail":
            return _detail_with_conflict(request, session, user, activity_id, exc.message)
        raise ApiError(409, "conflict", exc.message)
    if wants_fragment(request):
        return _row_response(request, session, activity, state="approved")
    return _after_decision(session, user, form, activity, "approved")


@router.post("/reviews/{activity_id}/return")
def return_one(activity_id: uuid.UUID, request: Request, session: DbSession, user: PageUser, form: Form):
    activity = activity_queries.get_visible(session, user, activity_id)
    comment = str(form.get("comment") or "")
    try:
        services.return_activity(session, activity, comment, user=user)
    except services.Invalid as exc:
        errors = {e["path"]: e["message"] for e in exc.errors}
        if wants_fragment(request):
            return _row_response(request, session, activity, state="open", comment=comment, errors=errors,
                                 status_code=422)
        if form.get("from") == "detail":
            return render_detail(request, session, user, activity, errors=errors, review_comment=comment,
                                 status_code=422)
        return _queue_with_error(request, session, user, activity, comment, errors)
    except services.WrongState as exc:
        session.rollback()
        if wants_fragment(request):
            return _row_response(request, session, activity, state="gone", errors={"state": exc.message})
        if form.get("from") == "detail":
            return _detail_with_conflict(request, session, user, activity_id, exc.message)
        raise ApiError(409, "conflict", exc.message)
    if wants_fragment(request):
        return _row_response(request, session, activity, state="returned", comment=activity.review_comment)
    return _after_decision(session, user, form, activity, "returned")


@router.post("/reviews/{activity_id}/reopen")
def reopen_one(activity_id: uuid.UUID, request: Request, session: DbSession, user: PageUser, form: Form):
    """Unlock an approved entry with a reason (from its own page)."""
    activity = activity_queries.get_visible(session, user, activity_id)
    reason = str(form.get("reason") or "")
    try:
        services.reopen_activity(session, activity, reason, user=user)
    except services.Invalid as exc:
        errors = {e["path"]: e["message"] for e in exc.errors}
        return render_detail(request, session, user, activity, errors=errors, review_comment=reason,
                             status_code=422)
    except services.WrongState as exc:
        session.rollback()
        return _detail_with_conflict(request, session, user, activity_id, exc.message)
    return RedirectResponse(f"/activities/{activity.id}?decided=reopened", status_code=303)


def _detail_with_conflict(request: Request, session, user, activity_id: uuid.UUID, message: str):
    """Without JavaScript, from the entry's own page: the entry as it is now (another reviewer may
    have decided it meanwhile), with why nothing was done (409)."""
    activity = activity_queries.get_visible(session, user, activity_id)
    return render_detail(request, session, user, activity, errors={"state": message}, status_code=409)


def _queue_with_error(request: Request, session, user, activity, comment: str, errors: dict):
    """Without JavaScript: the whole queue again (422), the typed comment and its error in the row."""
    ctx = _queue_context(request, session, user, request.query_params, error_id=activity.id, comment=comment,
                         errors=errors)
    return render(request, "reviews/queue.html", ctx, status_code=422)
