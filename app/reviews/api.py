"""JSON API of the review cycle: approve, return (comment required), reopen (reason required),
and bulk approval by ids with one result per id."""
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Body
from pydantic import ConfigDict, Field
from sqlmodel import Session, SQLModel

from app.accounts.deps import ApiUser, DbSession
from app.activities import queries
from app.activities.models import ActivityPublic, ActivityStatus
from app.activities.services import to_public
from app.core.db import UnitOfWork
from app.core.errors import Conflict, errors_doc
from app.reviews import services

router = APIRouter(prefix="/api/v1/activities", tags=["reviews"], route_class=UnitOfWork)

ERRORS = errors_doc(403, 404, 409, 422, forbidden="Not a reviewer of a unit above the entry's unit",
                    conflict="The entry is not in a state this action starts from (`current` holds it)")
Text = Annotated[str, Field(min_length=1, max_length=services.COMMENT_MAX, pattern=r"\S",
                            description="Not blank; at most 2,000 characters")]


class ApproveRequest(SQLModel):
    """Approving takes no field; the body may be left out."""

    model_config = ConfigDict(extra="forbid")


class ReturnRequest(SQLModel):
    model_config = ConfigDict(extra="forbid")
    comment: Text


class ReopenRequest(SQLModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text


class ApproveManyRequest(SQLModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[Annotated[str, Field(max_length=64)]] = Field(min_length=1, max_length=services.BULK_LIMIT,
                                                           description="Activity ids (an id that is not one answers `invalid_id`)")


class ApprovedOne(SQLModel):
    id: str
    ok: bool
    code: Literal["invalid_id", "not_found", "forbidden", "invalid_state", "conflict"] | None = None
    message: str | None = None
    status: ActivityStatus | None = None
    version: int | None = None


class ApprovedMany(SQLModel):
    approved: int
    results: list[ApprovedOne]


def _run(session: Session, user, activity_id: uuid.UUID, action) -> ActivityPublic:
    activity = queries.get_visible(session, user, activity_id)
    try:
        action(activity)
    except services.Invalid as exc:
        raise exc.under("body")
    except services.WrongState as exc:
        session.rollback()
        raise Conflict(exc.message, to_public(session, exc.activity), "invalid_state", "status")
    return to_public(session, activity)


@router.post("/approve", response_model=ApprovedMany, responses=errors_doc(403))
def approve_bulk(session: DbSession, user: ApiUser, payload: ApproveManyRequest):
    """Approve many submitted entries; one result per id, in order (refusals do not stop the rest)."""
    try:
        results = services.approve_many(session, payload.ids, user=user)
    except services.Invalid as exc:
        raise exc.under("body")
    return {"approved": sum(1 for r in results if r["ok"]), "results": results}


@router.post("/{activity_id:uuid}/approve", response_model=ActivityPublic, responses=ERRORS)
def approve(activity_id: uuid.UUID, session: DbSession, user: ApiUser,
            payload: Annotated[ApproveRequest | None, Body()] = None):
    return _run(session, user, activity_id, lambda a: services.approve_activity(session, a, user=user))


@router.post("/{activity_id:uuid}/return", response_model=ActivityPublic, responses=ERRORS)
def return_(activity_id: uuid.UUID, session: DbSession, user: ApiUser, payload: ReturnRequest):
    """Send back to the author with a comment (required)."""
    return _run(session, user, activity_id,
                lambda a: services.return_activity(session, a, payload.comment, user=user))


@router.post("/{activity_id:uuid}/reopen", response_model=ActivityPublic, responses=ERRORS)
def reopen(activity_id: uuid.UUID, session: DbSession, user: ApiUser, payload: ReopenRequest):
    """Unlock an approved entry: it goes back to its author as returned, with a reason (required)."""
    return _run(session, user, activity_id, lambda a: services.reopen_activity(session, a, payload.reason, user=user))
