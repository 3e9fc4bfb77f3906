"""JSON API of the review cycle: approve, return (comment required), reopen (reason required),
and bulk approval by ids with one result per id."""
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse
from sqlmodel import Session

from app.accounts.deps import ApiUser, DbSession
from app.activities import queries
from app.activities.models import ActivityPublic
from app.activities.services import to_public
from app.core.db import UnitOfWork
from app.core.errors import api_body, field_error
from app.reviews import services

router = APIRouter(prefix="/api/v1/activities", tags=["reviews"], route_class=UnitOfWork)

ERRORS = {403: {"description": "Not a reviewer of a unit above the entry's unit"},
          404: {"description": "No such activity in your scope"},
          409: {"description": "The entry is not in a state this action starts from"},
          422: {"description": "Missing comment or reason"}}


def _text(payload: Any, name: str) -> str | None:
    if isinstance(payload, dict):
        value = payload.get(name)
        return value if isinstance(value, str) else None
    return None


def _run(session: Session, user, activity_id: uuid.UUID, action) -> JSONResponse:
    activity = queries.get_visible(session, user, activity_id)
    try:
        action(activity)
    except services.Invalid as exc:
        return JSONResponse(api_body("validation_error", "Dữ liệu không hợp lệ.", exc.errors), status_code=422)
    except services.WrongState as exc:
        session.rollback()
        current = to_public(session, exc.activity).model_dump(mode="json")
        return JSONResponse(api_body("conflict", exc.message, [field_error("status", "invalid_state", exc.message)],
                                     current=current), status_code=409)
    return JSONResponse(to_public(session, activity).model_dump(mode="json"))


@router.post("/approve", responses={422: {"description": "`ids` missing or too many"}})
def approve_bulk(session: DbSession, user: ApiUser, payload: Annotated[Any, Body()] = None):
    """Approve many submitted entries: body `{"ids": [...]}`; answers `{"results": [{"id", "ok", ...}]}`."""
    ids = payload.get("ids") if isinstance(payload, dict) else None
    if not isinstance(ids, list) or not ids:
        return JSONResponse(api_body("validation_error", "Dữ liệu không hợp lệ.",
                                     [field_error("body.ids", "missing", "Cần danh sách mã hoạt động.")]), status_code=422)
    try:
        results = services.approve_many(session, ids, user=user)
    except services.Invalid as exc:
        return JSONResponse(api_body("validation_error", "Dữ liệu không hợp lệ.", exc.errors), status_code=422)
    return {"approved": sum(1 for r in results if r["ok"]), "results": results}


@router.post("/{activity_id}/approve", response_model=ActivityPublic, responses=ERRORS)
def approve(activity_id: uuid.UUID, session: DbSession, user: ApiUser):
    return _run(session, user, activity_id, lambda a: services.approve_activity(session, a, user=user))


@router.post("/{activity_id}/return", response_model=ActivityPublic, responses=ERRORS)
def return_(activity_id: uuid.UUID, session: DbSession, user: ApiUser, payload: Annotated[Any, Body()] = None):
    """Send back to the author. Body `{"comment": "..."}` (required)."""
    comment = _text(payload, "comment")
    return _run(session, user, activity_id, lambda a: services.return_activity(session, a, comment, user=user))


@router.post("/{activity_id}/reopen", response_model=ActivityPublic, responses=ERRORS)
def reopen(activity_id: uuid.UUID, session: DbSession, user: ApiUser, payload: Annotated[Any, Body()] = None):
    """Unlock an approved entry: it goes back to its author as returned. Body `{"reason": "..."}` (required)."""
    reason = _text(payload, "reason")
    return _run(session, user, activity_id, lambda a: services.reopen_activity(session, a, reason, user=user))
