"""JSON API for activities: log (idempotent on the client's id), list with a change feed, edit,
submit, delete drafts, attach evidence, and bulk import with per-row results."""
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlmodel import Field, Session, SQLModel
from starlette.datastructures import UploadFile

from app.accounts.deps import ApiUser, DbSession, run_as_user
from app.accounts.models import User
from app.activities import evidence as evidence_files
from app.activities import queries, services
from app.activities.evidence import MAX_BYTES
from app.activities.filters import ActivityFeedQuery, IsoDateTime
from app.activities.models import MAX_ID, Activity, ActivityPublic, ActivityUpdate, DeletedActivity
from app.activities.queries import activity_cursor, activity_query, after_cursor, decode_activity_cursor
from app.core.db import UnitOfWork, finish, get_engine
from app.core.errors import ApiError, FieldError, Invalid, api_error_response, errors_doc, field_error, prefixed
from app.core.forms import read_form
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, fetch_page
from app.core.uploads import MAX_FILES, TOO_MANY_MESSAGE

router = APIRouter(prefix="/api/v1/activities", tags=["activities"], route_class=UnitOfWork)


def _body(schema: dict) -> dict:
    """The request body as documented in OpenAPI, for the handlers that read it themselves: logging
    identifies the caller first (401 before any 422), and a bulk import answers each row."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


TOKEN = {"security": [{"bearer": []}]}  # identifies its caller inside (see `run_as_user`)


CREATE = {"$ref": "#/components/schemas/ActivityCreate"}
_BULK_ROWS = {"type": "array", "items": CREATE, "maxItems": services.BULK_LIMIT}


def invalid_response(exc: services.Invalid) -> JSONResponse:
    """The HTML form's JSON answer (for the offline app): errors named as the form's fields."""
    return api_error_response(exc)


def conflict_response(session: Session, exc: services.Conflict, where: str = "") -> JSONResponse:
    return api_error_response(_public_conflict(session, exc, where))


def _public_conflict(session: Session, exc: services.Conflict, where: str) -> services.Conflict:
    current = services.to_public(session, exc.current) if exc.current is not None else None
    return exc.with_current(current, f"{where}.{exc.path}" if where else exc.path)


def activity_response(session: Session, activity: Activity, status_code: int = 200) -> JSONResponse:
    return JSONResponse(services.to_public(session, activity).model_dump(mode="json"), status_code=status_code)


def _answer(session: Session, action, version_in: str = "body"):
    """Runs a service call; its refusals are named where the request sent the value (`body.airings`,
    `query.version`) and answered by the error handler."""
    try:
        return action()
    except services.Invalid as exc:
        raise exc.under("body")
    except services.Conflict as exc:
        session.rollback()
        # The state of the record (`status`) was not sent: only the id and the version were.
        where = {"version": version_in, "id": "body"}.get(exc.path, "")
        raise _public_conflict(session, exc, where)


@router.post("", status_code=201, response_model=ActivityPublic,
             responses={200: {"model": ActivityPublic, "description": "The same id was sent before with the same body"},
                        **errors_doc(401, 403, 409, 422, conflict="The id exists with a different body (`current` holds it)")},
             openapi_extra=_body(CREATE) | TOKEN)
async def create(request: Request, payload: Annotated[Any, Body()]):
    """Log an activity. Send your own `id` (UUID) so that a retry answers 200 with the stored record.
    The fields an activity takes depend on its `type` (see `ActivityCreate`)."""
    def work(session: Session, user: User):
        def action():
            public, created = services.create_activity(session, services.parse_create(payload), user=user)
            return JSONResponse(public.model_dump(mode="json"), status_code=201 if created else 200)
        return _answer(session, action)
    # The most frequent call of all: identification and logging in one trip to the thread pool.
    return await run_as_user(request, work)


@router.get("", response_model=Page[ActivityPublic])
def list_activities(
    session: DbSession, user: ApiUser, q: Annotated[ActivityFeedQuery, Query()],
    cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
):
    """Activities in your scope, newest first; with `updated_since`, every change after that time,
    oldest first (follow `next_cursor` until it is null)."""
    updated_since = q.updated_since
    f = q.to_filter(updated_since=updated_since)
    feed = updated_since is not None
    after = decode_activity_cursor(cursor, by_update=feed)
    query = after_cursor(activity_query(session, user, f), after, by_update=feed)
    rows, next_cursor = fetch_page(session, query.order_by(*queries.list_order(by_update=feed)), limit,
                                   lambda a: activity_cursor(a, by_update=feed))
    return Page[ActivityPublic](items=services.to_public_many(session, rows), next_cursor=next_cursor)


@router.get("/deleted", response_model=Page[DeletedActivity])
def deleted_activities(
    session: DbSession, user: ApiUser,
    since: Annotated[IsoDateTime, Query(description="Deletions after this time (use the time of your last sync)")],
    cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
):
    """The other half of the change feed: drafts deleted after `since`, oldest first. Together with
    `GET /api/v1/activities?updated_since=` it keeps an integrator's copy exact."""
    after = decode_cursor(cursor, datetime.fromisoformat, int)
    rows, next_cursor = fetch_page(session, queries.deleted_query(session, user, since, after), limit,
                                   lambda e: [e.at.isoformat(), e.id])
    items = [DeletedActivity(id=uuid.UUID(e.entity_id), deleted_at=e.at, unit_id=e.unit_id) for e in rows]
    return Page[DeletedActivity](items=items, next_cursor=next_cursor)


class BulkRow(SQLModel):
    index: int
    id: str | None = Field(default=None, description="The row's id as sent (or as given to it)")
    status: Literal["created", "unchanged", "error"]
    errors: list[FieldError] = []


class BulkResult(SQLModel):
    dry_run: bool
    created: int
    unchanged: int
    error: int
    results: list[BulkRow]


@router.post("/bulk", response_model=BulkResult, openapi_extra=_body({"anyOf": [_BULK_ROWS, {
    "type": "object", "properties": {"activities": _BULK_ROWS}, "required": ["activities"],
    "additionalProperties": False}]}), responses=errors_doc(413))
def bulk(session: DbSession, user: ApiUser, payload: Annotated[Any, Body()], dry_run: bool = False):
    """Log up to 1,000 activities at once: a list of activities (or `{"activities": [...]}`). Each row
    answers `created`, `unchanged` (same id and body as before) or `error` with its errors, named
    `body.<row>.<field>`; `dry_run=true` validates without saving."""
    rows = payload.get("activities") if isinstance(payload, dict) and set(payload) == {"activities"} else payload
    if not isinstance(rows, list):
        raise Invalid([field_error("body", "list_type", "Cần danh sách hoạt động.")])
    if len(rows) > services.BULK_LIMIT:
        raise ApiError(413, "too_many", f"Tối đa {services.BULK_LIMIT} hoạt động mỗi lần.",
                       [field_error("body", "too_many", f"Tối đa {services.BULK_LIMIT} hoạt động mỗi lần.")])
    results = services.bulk_create(session, rows, user=user, dry_run=dry_run)
    for result in results:
        result["errors"] = [prefixed(e, f"body.{result['index']}") for e in result["errors"]]
    counts = {s: sum(1 for r in results if r["status"] == s) for s in ("created", "unchanged", "error")}
    return {"dry_run": dry_run, **counts, "results": results}


@router.get("/{activity_id:uuid}", response_model=ActivityPublic)
def read(activity_id: uuid.UUID, session: DbSession, user: ApiUser):
    return services.to_public(session, queries.get_visible(session, user, activity_id))


@router.patch("/{activity_id:uuid}", response_model=ActivityPublic,
              responses=errors_doc(conflict="`version` is older than the stored one (`current` holds it)"))
def update(activity_id: uuid.UUID, session: DbSession, user: ApiUser, payload: ActivityUpdate):
    """Change some fields. Send the `version` you last read: an older one answers 409."""
    activity = queries.get_visible(session, user, activity_id)

    def action():
        services.update_activity(session, activity, payload, user=user)
        return activity_response(session, activity)
    return _answer(session, action)


@router.delete("/{activity_id:uuid}", status_code=204)
def remove(activity_id: uuid.UUID, session: DbSession, user: ApiUser):
    """Delete a draft (anything submitted stays)."""
    activity = queries.get_visible(session, user, activity_id)

    def action():
        services.delete_activity(session, activity, user=user)
        return Response(status_code=204)
    return _answer(session, action)


@router.post("/{activity_id:uuid}/submit", response_model=ActivityPublic, responses=errors_doc(409))
def submit(activity_id: uuid.UUID, session: DbSession, user: ApiUser,
           version: Annotated[int | None, Query(ge=1, le=MAX_ID, description="The version you last read")] = None):
    """Send a draft (or a returned entry) for review."""
    activity = queries.get_visible(session, user, activity_id)

    def action():
        services.submit_activity(session, activity, user=user, version=version)
        return activity_response(session, activity)
    return _answer(session, action, version_in="query")


async def uploaded_files(request: Request) -> list[tuple[bytes, str]]:
    """Every file of a multipart form, read up to just past the size limit."""
    form = await read_form(request)
    uploads = [v for _, v in form.multi_items() if isinstance(v, UploadFile) and (v.filename or v.size)]
    if len(uploads) > MAX_FILES:
        raise ApiError(413, "too_many_files", TOO_MANY_MESSAGE,
                       [field_error("body.file", "too_many_files", TOO_MANY_MESSAGE)])
    return [(await value.read(MAX_BYTES + 1), value.filename or "") for value in uploads]


@router.post("/{activity_id:uuid}/evidence", status_code=201, response_model=ActivityPublic,
             responses={200: {"model": ActivityPublic, "description": "Every file was stored before"},
                        **errors_doc(409, 413)},
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["file"], "properties": {"file": {
                     "type": "array", "minItems": 1, "description": f"At most {MAX_FILES} files (413 above)",
                     "items": {"type": "string", "format": "binary"}}}}}}}})
async def add_evidence(activity_id: uuid.UUID, request: Request, user: ApiUser):
    """Attach photos (JPEG, PNG, WebP, HEIC; resized to ≤ 1600 px) or PDF scans, ≤ 10 MB each,
    at most 10 files and 50 MB per request (413 above). The same file sent again is not stored
    twice (200)."""
    files = await uploaded_files(request)
    if not files:
        raise Invalid([field_error("body.file", "missing", "Chưa chọn tệp.")], "Chưa chọn tệp.")
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_store_evidence, activity_id, files, user)


def _store_evidence(activity_id: uuid.UUID, files: list[tuple[bytes, str]], user) -> JSONResponse:
    with Session(get_engine(), expire_on_commit=False) as session:
        activity = queries.get_visible(session, user, activity_id)
        created = False

        def action():
            nonlocal created
            # Every file is checked and converted before any is stored: one bad file stores none.
            prepared = evidence_files.prepare_all(files)
            for file in prepared:
                created = services.add_evidence(session, activity, file, user=user)[1] or created
            return activity_response(session, activity, 201 if created else 200)
        response = _answer(session, action)
        finish(session, response.status_code)
        return response

