"""The review queue page: approve in bulk, approve or return one entry (with htmx, one row at a time)."""
import uuid
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from app.accounts import access
from app.accounts.deps import DbSession, PageUser
from app.activities import queries as activity_queries
from app.activities.queries import ActivityFilter
from app.activities.types import TYPES
from app.core.errors import ApiError, field_error
from app.core.forms import Form
from app.core.templating import render, wants_fragment
from app.dashboards.queries import plans_in_view, tasks_of
from app.reviews import queries, services
from app.units.models import Unit

router = APIRouter(tags=["reviews"], include_in_schema=False)
FILTER_KEYS = ("unit_id", "type", "plan_id", "task_id", "date_from", "date_to")


def _parse(values, name: str, kind):
    raw = (values.get(name) or "").strip()
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        raise ApiError(422, "validation_error", "Tham số không hợp lệ.",
                       [field_error(f"query.{name}", "invalid", "Giá trị không hợp lệ.")])


def _filter(values) -> ActivityFilter:
    kind = (values.get("type") or "").strip() or None
    return ActivityFilter(unit_id=_parse(values, "unit_id", int), type=kind if kind in TYPES else None,
                          plan_id=_parse(values, "plan_id", int), task_id=_parse(values, "task_id", int),
                          date_from=_parse(values, "date_from", date.fromisoformat),
                          date_to=_parse(values, "date_to", date.fromisoformat))


def _params(values) -> dict[str, str]:
    return {k: v for k in FILTER_KEYS if (v := (values.get(k) or "").strip())}


def _require_reviewer(user) -> None:
    if user.role not in ("admin", "reviewer"):
        raise access.Forbidden("Chỉ cán bộ thẩm định mới duyệt được hoạt động.")


@router.get("/reviews")
def review_queue(request: Request, session: DbSession, user: PageUser):
    _require_reviewer(user)
    f = _filter(request.query_params)
    cursor = request.query_params.get("cursor") or None
    rows, total, next_cursor = queries.queue(session, user, f, cursor=cursor)
    params = _params(request.query_params)
    unit = session.get(Unit, f.unit_id) if f.unit_id else None
    ctx = {"title": "Duyệt hoạt động", "rows": rows, "total": total, "f": f, "params": params,
           "cursor": cursor, "next_cursor": next_cursor, "count_limit": queries.COUNT_LIMIT,
           "query": urlencode(params), "types": TYPES, "plans": plans_in_view(session, user),
           "tasks": tasks_of(session, f.plan_id), "unit": unit,
           "approved": request.query_params.get("approved"), "refused": request.query_params.get("refused"),
           "limit": queries.QUEUE_LIMIT}
    return render(request, "reviews/queue.html", ctx, fragment="reviews/_queue.html")


@router.post("/reviews/approve")
def approve_selected(request: Request, session: DbSession, user: PageUser, form: Form):
    """Approve the ticked entries, or (with `all`) every entry of the filtered list."""
    _require_reviewer(user)
    f = _filter(form)
    ids = queries.queue_ids(session, user, f) if form.get("all") else form.getlist("ids")
    results = services.approve_many(session, ids[:queries.BULK_LIMIT], user=user) if ids else []
    ok = sum(1 for r in results if r["ok"])
    query = urlencode({**_params(form), "approved": ok, "refused": len(results) - ok})
    return RedirectResponse(f"/reviews?{query}", status_code=303)


def _row_response(request: Request, session, activity, *, state: str, comment: str = "", errors=None,
                  status_code: int = 200):
    unit = session.get(Unit, activity.unit_id)
    ctx = {"row": queries.QueueRow(activity, unit.name if unit else "", None), "state": state, "types": TYPES,
           "comment": comment, "errors": errors or {}}
    return render(request, "reviews/_row.html", ctx, status_code=status_code)


@router.post("/reviews/{activity_id}/approve")
def approve_one(activity_id: uuid.UUID, request: Request, session: DbSession, user: PageUser, form: Form):
    activity = activity_queries.get_visible(session, user, activity_id)
    try:
        services.approve_activity(session, activity, user=user)
    except services.WrongState as exc:
        session.rollback()
        if wants_fragment(request):
            return _row_response(request, session, activity, state="gone", errors={"state": exc.message})
        raise ApiError(409, "conflict", exc.message)
    if wants_fragment(request):
        return _row_response(request, session, activity, state="approved")
    return RedirectResponse(f"/reviews?{urlencode(_params(form))}", status_code=303)


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
        return _queue_with_error(request, session, user, activity, comment, errors)
    except services.WrongState as exc:
        session.rollback()
        if wants_fragment(request):
            return _row_response(request, session, activity, state="gone", errors={"state": exc.message})
        raise ApiError(409, "conflict", exc.message)
    if wants_fragment(request):
        return _row_response(request, session, activity, state="returned", comment=activity.review_comment)
    return RedirectResponse(f"/reviews?{urlencode(_params(form))}", status_code=303)


def _queue_with_error(request: Request, session, user, activity, comment: str, errors: dict):
    """Without JavaScript: the whole queue again (422), the typed comment and its error in the row."""
    f = _filter(request.query_params)
    rows, total, next_cursor = queries.queue(session, user, f)
    params = _params(request.query_params)
    ctx = {"title": "Duyệt hoạt động", "rows": rows, "total": total, "f": f, "params": params,
           "cursor": None, "next_cursor": next_cursor, "count_limit": queries.COUNT_LIMIT,
           "query": urlencode(params), "types": TYPES, "plans": plans_in_view(session, user),
           "tasks": tasks_of(session, f.plan_id), "unit": None, "approved": None, "refused": None,
           "limit": queries.QUEUE_LIMIT, "error_id": activity.id, "comment": comment, "errors": errors}
    return render(request, "reviews/queue.html", ctx, status_code=422)
