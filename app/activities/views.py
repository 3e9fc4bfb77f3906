"""HTML pages for logging activities, phone first: the reporter's home, one form per type, the
list with filters, the detail page, and evidence files (served only to those who see the entry).

The logging forms also answer JSON when asked (`Accept: application/json`), so that the offline
app posts the very same form and learns the outcome: 201/200 with the record, 422 with the errors
by field name, 409 with the server's current record.
"""
import re
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import or_, select
from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile

from app import access
from app.accounts.deps import DbSession, PageUser, run_as_user
from app.accounts.models import User
from app.activities import evidence as evidence_files
from app.activities import queries, services
from app.activities.api import conflict_response, invalid_response
from app.activities.evidence import MAX_BYTES
from app.activities.filters import ActivityQuery
from app.core.db import UnitOfWork
from app.core.storage import get_storage
from app.activities.models import Activity, ActivityCounts, ActivityStatus, Evidence
from app.activities.queries import activity_cursor, activity_query, after_cursor, decode_activity_cursor, list_order
from app.activities.types import (
    CHANNELS, COST_COLUMNS, PARTICIPANT_COLUMNS, QUICK_TYPES, STATUS_LABELS, TYPES, ActivityType,
)
from app.agencies.models import Agency
from app.core.clock import VN_TZ, today
from app.core.forms import Form, FormUuid, form_date, parse_value, read_form
from app.core.headers import uploaded_file_headers
from app.core.pagination import fetch_page
from app.core.templating import render
from app.plans.models import Plan, Task
from app.units import queries as unit_queries
from app.units.models import CURRENT_START, Unit

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=UnitOfWork)

INT_FIELDS = tuple(ActivityCounts.model_fields)
LIST_TYPES = ("topics", "audiences")
PAGE_SIZE = 30


# --- helpers ---------------------------------------------------------------------------------

def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


# The day the form's choices are for: as the date box sends it (the entry's model reads it again).
FormDay = form_date(day_first=False)


def _kind(code: str | None) -> ActivityType:
    return TYPES.get(code or "") or TYPES["broadcast"]


def _form_values(form: FormData) -> dict[str, Any]:
    """The typed values as strings (lists for task_ids), to re-render the form unchanged."""
    values: dict[str, Any] = {}
    for key in form.keys():
        if key in ("csrf_token", "evidence"):
            continue
        items = [v for v in form.getlist(key) if isinstance(v, str)]
        values[key] = items if key == "task_ids" else (items[-1] if items else "")
    return values


THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+|\d{1,3}(?:,\d{3})+")


def _form_integer(value: str) -> str:
    """A typed whole number without its thousand separators ("1.500.000", "1 500 000" or
    "1,500,000"); anything else (such as "150000,5", a decimal in Vietnamese) is left as typed,
    for validation to refuse."""
    text = re.sub(r"\s", "", value)
    return re.sub(r"[.,]", "", text) if THOUSANDS.fullmatch(text) else text


def _payload(values: dict[str, Any]) -> dict[str, Any]:
    """Form strings → the API's body: integers without thousand separators, details by name."""
    body: dict[str, Any] = {"details": {}}
    for key, value in values.items():
        if key == "task_ids":
            body[key] = [v for v in value if v]
        elif key.startswith("details."):
            body["details"][key.removeprefix("details.")] = value
        elif key in INT_FIELDS:
            cleaned = _form_integer(value)
            if cleaned:
                body[key] = cleaned
        elif key in LIST_TYPES:
            body[key] = [part.strip() for part in value.split(",") if part.strip()]
        elif key in ("end_date", "agency_id", "notes", "id", "unit_id") and not value.strip():
            continue
        else:
            body[key] = value.strip()
    return body


# A choice the form offers but that came back empty or garbled: say what to choose, never "not an integer".
CHOICE_MESSAGES = {"unit_id": "Chọn đơn vị thực hiện.", "agency_id": "Chọn lại cơ quan thực hiện trong danh sách.",
                   "task_ids": "Chọn lại nhiệm vụ trong danh sách."}


def _errors_by_field(errors: list[dict[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in errors:
        field = e["path"] if e["path"].startswith("details.") else e["path"].split(".")[0]
        message = e["message"]
        if field in CHOICE_MESSAGES and e["code"] in ("missing", "int_parsing", "int_type", "int_from_float"):
            message = CHOICE_MESSAGES[field]
        out.setdefault(field, message)
    return out


def _files(form: FormData) -> list[tuple[bytes, str]]:
    return [(value.file.read(MAX_BYTES + 1), value.filename or "")
            for value in form.getlist("evidence") if isinstance(value, UploadFile) and value.filename]


def _form_context(session: Session, user: User, kind: ActivityType, values: dict[str, Any],
                  errors: dict[str, str] | None = None, activity: Activity | None = None,
                  fresh: bool = False) -> dict[str, Any]:
    day = parse_value(FormDay, values.get("start_date")) or today()
    units = queries.unit_choices(session, user, day)
    unit = next((u for u in units if str(u.id) == str(values.get("unit_id"))), None)
    if unit is None and activity is not None and str(activity.unit_id) == str(values.get("unit_id")):
        # An entry's own unit stays offered (and flagged by validation) even when the date moved it out.
        unit = session.get(Unit, activity.unit_id)
        units = [unit] + units
    if unit is None and not values.get("unit_id"):
        unit = queries.default_unit(session, user, day, units)
        if unit is not None:
            values["unit_id"] = str(unit.id)
    tasks = queries.task_choices(session, unit, day, kind.code)
    expected = [t for t in tasks if queries.task_expects(t, kind.code)]
    if fresh:
        # A new entry never starts on a task that does not expect its type; one fitting task is chosen.
        chosen = [i for i in values.get("task_ids", []) if any(str(t.id) == i for t in expected)]
        values["task_ids"] = chosen or ([str(expected[0].id)] if len(expected) == 1 else [])
    agencies = queries.agency_choices(session, user, unit, day)
    local = queries.local_unit_ids(unit)
    return {
        "kind": kind, "types": TYPES, "values": values, "errors": errors or {}, "activity": activity,
        "units": units, "tasks": expected, "other_tasks": tasks[len(expected):],
        "agencies": [a for a in agencies if a.unit_id in local],
        "other_agencies": [a for a in agencies if a.unit_id not in local],
        "channels": channels_on(day), "merger_note": _merger_note(session, user, unit, day),
        "participant_columns": PARTICIPANT_COLUMNS, "cost_columns": COST_COLUMNS,
        "action": f"/activities/{activity.id}" if activity else "/activities",
        "max_date": (today() + timedelta(days=1)).isoformat(),
    }


def channels_on(day: date) -> tuple[tuple[str, str], ...]:
    """Broadcast channels that existed on the day: district radio stations closed with the districts."""
    return tuple(c for c in CHANNELS if c[0] != "district_radio" or day < CURRENT_START)


def _merger_note(session: Session, user: User, unit: Unit | None, day: date) -> str | None:
    """For the officer of a legacy commune logging after 1/7/2025: which commune theirs went into."""
    own = session.get(Unit, user.unit_id) if user.unit_id is not None else None
    if own is None or not own.is_legacy or day < CURRENT_START or unit is None or unit.is_legacy:
        return None
    names = [s.name for s in unit_queries.successors(session, own)]
    if not names:
        return None
    return (f"Từ 1/7/2025, {own.name} đã nhập vào {', '.join(names)}: hoạt động từ ngày này ghi cho "
            f"{'đơn vị mới' if len(names) > 1 else names[0]}.")


def _values_from(session: Session, activity: Activity) -> dict[str, Any]:
    values: dict[str, Any] = {
        "type": activity.type, "title": activity.title, "start_date": activity.start_date.isoformat(),
        "end_date": activity.end_date.isoformat() if activity.end_date else "",
        "unit_id": str(activity.unit_id), "agency_id": str(activity.agency_id or ""), "notes": activity.notes or "",
        "topics": ", ".join(activity.topics), "audiences": ", ".join(activity.audiences),
        "task_ids": [str(t) for t in queries.task_ids_by_activity(session, [activity.id])[activity.id]],
    }
    for name in INT_FIELDS:
        value = getattr(activity, name)
        values[name] = str(value) if value else ""
    for key, value in (activity.details or {}).items():
        values[f"details.{key}"] = value
    return values


def _new_values(session: Session, user: User, kind: ActivityType, copy: Activity | None) -> dict[str, Any]:
    if copy is not None:
        values = _values_from(session, copy)
        values.update(start_date=today().isoformat(), end_date="")
        values.update(_today_successors(session, copy))
        return values
    values: dict[str, Any] = {"type": kind.code, "title": kind.label, "start_date": today().isoformat(),
                              "agency_id": str(user.agency_id or ""), "task_ids": []}
    last = queries.last_logged(session, user, kind.code)
    if last is not None:
        values["title"] = last.title
        values["task_ids"] = [str(t) for t in queries.task_ids_by_activity(session, [last.id])[last.id]]
        values["agency_id"] = values["agency_id"] or str(last.agency_id or "")
        for key, value in (last.details or {}).items():
            if key in ("channel", "language"):
                values[f"details.{key}"] = value
        if kind.code == "broadcast":
            values.setdefault("details.channel", CHANNELS[0][0])
            values.setdefault("details.language", "vi")
            values["airings"] = str(last.airings or 1)
            values["minutes_per_airing"] = str(last.minutes_per_airing or "")
    elif kind.code == "broadcast":
        values.update({"details.channel": CHANNELS[0][0], "details.language": "vi", "airings": "1"})
    return values


def _today_successors(session: Session, copy: Activity) -> dict[str, str]:
    """"Log again" copies an entry to today: a commune or an agency that no longer exists (the 2025
    reorganisation) is replaced by the one that took it over."""
    out: dict[str, str] = {}
    day = today()
    unit = session.get(Unit, copy.unit_id)
    if unit is not None and not unit.is_valid_on(day):
        after = next((s for s in unit_queries.successors(session, unit) if s.is_default), None)
        out["unit_id"] = str(after.id) if after is not None else ""
    agency = session.get(Agency, copy.agency_id) if copy.agency_id else None
    if agency is not None and not agency.is_valid_on(day):
        out["agency_id"] = str(agency.successor_id or "")
    return out


def _render_form(request: Request, session: Session, user: User, kind: ActivityType, values: dict[str, Any],
                 errors: dict[str, str] | None = None, activity: Activity | None = None, status_code: int = 200,
                 fresh: bool = False):
    context = _form_context(session, user, kind, values, errors, activity, fresh=fresh)
    context["title"] = ("Sửa: " if activity else "") + kind.label
    return render(request, "activities/form.html", context, status_code=status_code)


# --- pages -----------------------------------------------------------------------------------

@router.get("/activities/home")
def home(request: Request, session: DbSession, user: PageUser, saved: str | None = None):
    monday = today() - timedelta(days=today().weekday())
    # The officer's own entries that they may still open (an officer moved to another unit does not
    # get links to entries of the old one).
    mine = select(Activity).where(Activity.created_by_id == user.id, access.activity_scope_condition(session, user))
    returned = list(session.execute(mine.where(Activity.status == ActivityStatus.returned)
                                    .order_by(Activity.updated_at.desc()).limit(20)).scalars())
    week = list(session.execute(mine.where(or_(Activity.start_date >= monday, Activity.created_at >= _week_start()))
                                .where(Activity.status != ActivityStatus.returned)
                                .order_by(Activity.start_date.desc(), Activity.created_at.desc()).limit(50)).scalars())
    saved_id = parse_value(FormUuid, saved)
    saved_activity = session.get(Activity, saved_id) if saved_id else None
    if saved_activity is not None and saved_activity.created_by_id != user.id:
        saved_activity = None
    context = {"title": "Trang chính", "returned": returned, "week": week, "quick": [TYPES[c] for c in QUICK_TYPES],
               "types": TYPES, "status_labels": STATUS_LABELS, "saved": saved_activity,
               "units": _unit_names(session, returned + week)}
    return render(request, "activities/home.html", context)


def _week_start():
    from datetime import datetime, time, timezone

    monday = today() - timedelta(days=today().weekday())
    return datetime.combine(monday, time(), tzinfo=timezone.utc) - timedelta(hours=7)


def _unit_names(session: Session, activities: list[Activity]) -> dict[int, str]:
    ids = {a.unit_id for a in activities}
    if not ids:
        return {}
    return dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())


@router.get("/activities/new")
def new_form(request: Request, session: DbSession, user: PageUser, type: str = "broadcast", copy: str | None = None):
    if user.role not in access.LOG_ROLES:
        raise access.Forbidden("Tài khoản xem không ghi được hoạt động.")
    copy_id = parse_value(FormUuid, copy)
    source = queries.get_visible(session, user, copy_id) if copy_id else None
    kind = _kind(source.type if source else type)
    values = _new_values(session, user, kind, source)
    values["id"] = str(uuid.uuid4())
    return _render_form(request, session, user, kind, values, fresh=True)


@router.get("/activities/choices")
def choices(request: Request, session: DbSession, user: PageUser):
    """The unit, agency and task selects for the date and unit being typed (htmx)."""
    values = {k: v for k, v in request.query_params.items() if k != "task_ids"}
    values["task_ids"] = request.query_params.getlist("task_ids")
    kind = _kind(values.get("type"))
    context = _form_context(session, user, kind, values)
    if values.get("unit_id") and not any(str(u.id) == values["unit_id"] for u in context["units"]):
        values["unit_id"] = ""
        context = _form_context(session, user, kind, values)
    return render(request, "activities/_choices.html", context)


@router.post("/activities")
async def create(request: Request):
    form = await read_form(request)
    # Identification, database writes and photo resizing: one trip off the event loop.
    return await run_as_user(request, lambda session, user: _create(request, session, user, form), page=True)


def _create(request: Request, session: Session, user: User, form: FormData):
    values = _form_values(form)
    values.setdefault("status", "submitted")
    files = _files(form)
    kind = _kind(values.get("type"))
    try:
        data = services.parse_create(_payload(values))
        # Photos are checked and converted before the entry is saved: a bad file saves nothing.
        prepared = evidence_files.prepare_all(files)
        public, created = services.create_activity(session, data, user=user)
        if prepared:
            activity = session.get(Activity, public.id)
            for file in prepared:
                services.add_evidence(session, activity, file, user=user)
            public = services.to_public(session, activity)
    except services.Invalid as exc:
        session.rollback()
        if wants_json(request):
            return invalid_response(exc)
        return _render_form(request, session, user, kind, values, _errors_by_field(exc.errors), status_code=422)
    except services.Conflict as exc:
        session.rollback()
        if wants_json(request):
            return conflict_response(session, exc)
        return _conflict_page(request, session, exc)
    if wants_json(request):
        return JSONResponse(public.model_dump(mode="json"), status_code=201 if created else 200)
    return RedirectResponse(f"/activities/home?saved={public.id}", status_code=303)


def _conflict_page(request: Request, session: Session, exc: services.Conflict):
    target = f"/activities/{exc.current.id}" if exc.current is not None else "/activities/home"
    return render(request, "error.html", {"status": 409, "message": exc.message + " Mở bản đã lưu: " + target},
                  status_code=409)


@router.get("/activities")
def list_page(request: Request, session: DbSession, user: PageUser, q: Annotated[ActivityQuery, Query()],
              cursor: str | None = None):
    """The list with the filter of the API and the exports (app/activities/filters.py): a value it
    refuses answers 422; a unit outside the scope is dropped from the filter, as the form offers none."""
    f = q.to_filter()
    if f.unit_id is not None and not access.can_see_unit(session, user, f.unit_id):
        f.unit_id = None
    query = after_cursor(activity_query(session, user, f), decode_activity_cursor(cursor))
    rows, next_cursor = fetch_page(session, query.order_by(*list_order()),
                                   PAGE_SIZE, activity_cursor)
    params = {k: str(v) for k, v in q.model_dump(mode="json", exclude_none=True).items()}
    context = {"title": "Hoạt động", "rows": rows, "next_cursor": next_cursor, "params": params, "types": TYPES,
               "status_labels": STATUS_LABELS, "units": _unit_names(session, rows),
               "filter_units": _filter_units(session, user), "filter_tasks": _filter_tasks(session, user),
               "cursor": cursor}
    fragment = "activities/_more.html" if cursor else "activities/_rows.html"
    return render(request, "activities/list.html", context, fragment=fragment)


def _filter_units(session: Session, user: User) -> list[Unit]:
    """The user's scope unit and the units directly below it (or the provinces for a national admin)."""
    if user.unit_id is None:
        query = select(Unit).where(Unit.level == "province").order_by(Unit.valid_to.is_not(None), Unit.search_name)
        return list(session.execute(query).scalars())
    root = session.get(Unit, user.unit_id)
    children = (select(Unit).where(Unit.id.in_(access.visible_unit_ids(session, user)),
                                   Unit.level.in_(("district", "commune")), Unit.id != root.id)
                .order_by(Unit.valid_to.is_not(None), Unit.search_name).limit(400))
    return [root] + list(session.execute(children).scalars())


def _filter_tasks(session: Session, user: User) -> list:
    query = select(Task).join(Plan, Plan.id == Task.plan_id).order_by(Plan.period_start.desc(), Task.position).limit(200)
    if user.unit_id is not None:
        root = session.get(Unit, user.unit_id)
        ids = queries.covering_unit_ids(root)
        query = query.where(or_(Plan.unit_id.in_(ids), Plan.unit_id.in_(access.visible_unit_ids(session, user))))
    return list(session.execute(query).scalars())


@router.get("/activities/{activity_id}")
def detail(activity_id: uuid.UUID, request: Request, session: DbSession, user: PageUser,
           saved: str | None = None):
    activity = queries.get_visible(session, user, activity_id)
    return render_detail(request, session, user, activity, saved=saved if saved in ("1", "sent", "resent") else None)


REVIEW_KEYS = ("unit_id", "type", "plan_id", "task_id", "date_from", "date_to", "sort")
DECIDED = {"approved": "Đã duyệt mục trước.", "returned": "Đã trả lại mục trước kèm ý kiến.",
           "reopened": "Đã mở lại: hoạt động được trả về người báo cáo kèm lý do."}


def render_detail(request: Request, session: Session, user: User, activity: Activity, *, saved: str | None = None,
                  errors: dict[str, str] | None = None, review_comment: str = "", status_code: int = 200):
    task_ids = queries.task_ids_by_activity(session, [activity.id])[activity.id]
    tasks = list(session.execute(select(Task).where(Task.id.in_(task_ids))).scalars()) if task_ids else []
    context = {
        "title": activity.title, "a": activity, "kind": _kind(activity.type), "unit": session.get(Unit, activity.unit_id),
        "agency": session.get(Agency, activity.agency_id) if activity.agency_id else None, "tasks": tasks,
        "evidence": queries.evidence_by_activity(session, [activity.id])[activity.id],
        "status_labels": STATUS_LABELS, "participant_columns": PARTICIPANT_COLUMNS, "cost_columns": COST_COLUMNS,
        "can_edit": access.can_edit_activity(user, activity),
        "can_add_evidence": access.can_add_evidence(user, activity),
        "can_log": user.role in access.LOG_ROLES, "saved": saved, "errors": errors or {},
        "updated_local": activity.updated_at.astimezone(VN_TZ),
        # The review panel: the queue's filter and order travel along so "next" stays in that queue.
        "can_review": access.can_review_activity(session, user, activity),
        "queue_params": {k: v for k in REVIEW_KEYS if (v := (request.query_params.get(k) or "").strip())},
        "decided": DECIDED.get(request.query_params.get("decided") or ""), "review_comment": review_comment,
    }
    return render(request, "activities/detail.html", context, status_code=status_code)


@router.get("/activities/{activity_id}/edit")
def edit_form(activity_id: uuid.UUID, request: Request, session: DbSession, user: PageUser):
    activity = queries.get_visible(session, user, activity_id)
    if not access.can_edit_activity(user, activity):
        raise access.Forbidden("Hoạt động đã gửi hoặc đã duyệt nên không sửa được.")
    values = _values_from(session, activity)
    values.update(id=str(activity.id), version=str(activity.version))
    return _render_form(request, session, user, _kind(activity.type), values, activity=activity)


@router.post("/activities/{activity_id}")
def update(activity_id: uuid.UUID, request: Request, session: DbSession, user: PageUser, form: Form):
    activity = queries.get_visible(session, user, activity_id)
    values = _form_values(form)
    files = _files(form)
    kind = _kind(values.get("type") or activity.type)
    body = _payload(values)
    submit = body.pop("status", "draft") == "submitted"
    body.pop("id", None)
    body["version"] = values.get("version") or None  # read by the entry's model, as every field
    for name in INT_FIELDS:
        body.setdefault(name, 0)  # a field emptied on the form means zero
    for name in ("end_date", "agency_id", "notes"):
        body.setdefault(name, None)
    body.setdefault("task_ids", [])
    was_returned = activity.status == ActivityStatus.returned
    try:
        prepared = evidence_files.prepare_all(files)
        services.update_activity(session, activity, services.parse_update(body), user=user)
        for file in prepared:
            services.add_evidence(session, activity, file, user=user)
        if submit and activity.status in (ActivityStatus.draft, ActivityStatus.returned):
            services.submit_activity(session, activity, user=user)
    except services.Invalid as exc:
        session.rollback()
        if wants_json(request):
            return invalid_response(exc)
        return _render_form(request, session, user, kind, values, _errors_by_field(exc.errors), activity,
                            status_code=422)
    except services.Conflict as exc:
        session.rollback()
        if wants_json(request):
            return conflict_response(session, exc)
        if exc.reason == "stale_version":
            # Keep what was typed; saving again (now against the current version) overwrites.
            values["version"] = str(activity.version)
            message = ("Hoạt động đã được sửa ở nơi khác sau khi bạn mở. Nội dung bạn nhập vẫn được giữ: "
                       "kiểm tra rồi bấm lưu lần nữa để ghi đè.")
            return _render_form(request, session, user, kind, values, {"version": message}, activity,
                                status_code=409)
        return _conflict_page(request, session, exc)
    if wants_json(request):
        return JSONResponse(services.to_public(session, activity).model_dump(mode="json"))
    return RedirectResponse(f"/activities/{activity.id}?saved={_saved_word(activity, was_returned)}", status_code=303)


def _saved_word(activity: Activity, was_returned: bool) -> str:
    """What the detail page says after a save: sent (again) for review, or only saved."""
    if activity.status == ActivityStatus.submitted:
        return "resent" if was_returned else "sent"
    return "1"


@router.post("/activities/{activity_id}/submit")
def submit(activity_id: uuid.UUID, request: Request, session: DbSession, user: PageUser):
    activity = queries.get_visible(session, user, activity_id)
    was_returned = activity.status == ActivityStatus.returned
    try:
        services.submit_activity(session, activity, user=user)
    except services.Conflict as exc:
        return _conflict_page(request, session, exc)
    return RedirectResponse(f"/activities/{activity.id}?saved={_saved_word(activity, was_returned)}", status_code=303)


@router.post("/activities/{activity_id}/delete")
def delete(activity_id: uuid.UUID, request: Request, session: DbSession, user: PageUser):
    activity = queries.get_visible(session, user, activity_id)
    try:
        services.delete_activity(session, activity, user=user)
    except services.Conflict as exc:
        return _conflict_page(request, session, exc)
    return RedirectResponse("/activities/home", status_code=303)


@router.post("/activities/{activity_id}/evidence")
def add_evidence(activity_id: uuid.UUID, request: Request, session: DbSession, user: PageUser, form: Form):
    activity = queries.get_visible(session, user, activity_id)
    try:
        for file in evidence_files.prepare_all(_files(form)):
            services.add_evidence(session, activity, file, user=user)
    except services.Invalid as exc:
        if wants_json(request):
            return invalid_response(exc)
        return render_detail(request, session, user, activity, errors=_errors_by_field(exc.errors), status_code=422)
    if wants_json(request):
        return JSONResponse(services.to_public(session, activity).model_dump(mode="json"), status_code=201)
    return RedirectResponse(f"/activities/{activity.id}", status_code=303)


@router.get("/activities/{activity_id}/evidence/{evidence_id}")
def evidence_file(activity_id: uuid.UUID, evidence_id: uuid.UUID, session: DbSession, user: PageUser):
    return _serve(session, user, activity_id, evidence_id, thumb=False)


@router.get("/activities/{activity_id}/evidence/{evidence_id}/thumb")
def evidence_thumb(activity_id: uuid.UUID, evidence_id: uuid.UUID, session: DbSession, user: PageUser):
    return _serve(session, user, activity_id, evidence_id, thumb=True)


def _serve(session: Session, user: User, activity_id: uuid.UUID, evidence_id: uuid.UUID, *, thumb: bool):
    queries.get_visible(session, user, activity_id)
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or evidence.activity_id != activity_id:
        raise access.NotFound()
    key = evidence.thumb_path if thumb and evidence.thumb_path else evidence.path
    # Only photos are shown in the page: Loa re-encoded them as JPEG. Anything else (a PDF scan, kept
    # as sent) is downloaded, never opened in Loa's origin.
    photo = key.endswith(".jpg")
    headers = {"Cache-Control": "private, max-age=86400", **uploaded_file_headers()}
    try:
        if photo:
            return get_storage().response(key, "image/jpeg", _jpeg_name(evidence.filename), True, headers)
        return get_storage().response(key, evidence.content_type, evidence.filename, False, headers)
    except KeyError:
        raise access.NotFound()


def _jpeg_name(filename: str) -> str:
    return f"{Path(filename or 'anh').stem or 'anh'}.jpg"

