"""JSON API of the audit trail."""
from typing import Annotated

from fastapi import APIRouter, Query

from app.accounts.deps import ApiUser, DbSession
from app.audit import queries
from app.audit.models import AuditEntryPublic
from app.core.db import UnitOfWork
from app.core.errors import ApiError, field_error
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from app.core.types import IsoDate

router = APIRouter(prefix="/api/v1", tags=["audit"], route_class=UnitOfWork)


@router.get("/audit", response_model=Page[AuditEntryPublic])
def list_audit(session: DbSession, user: ApiUser,
               entity: Annotated[str | None, Query(max_length=40)] = None,
               entity_id: Annotated[str | None, Query(max_length=64)] = None,
               user_id: int | None = None, since: IsoDate | None = None, until: IsoDate | None = None,
               limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT, cursor: str | None = None):
    """Who changed what, newest first. `changes` maps each changed field to {"before", "after"}.
    `since`/`until` are days (inclusive) in Vietnamese time. Admins see all; reviewers their scope."""
    if since and until and since > until:
        raise ApiError(422, "validation_error", "`since` is after `until`.",
                       [field_error("query.until", "invalid", "until must not be before since")])
    f = queries.AuditFilter(entity, entity_id, user_id, since, until, limit, cursor)
    rows, next_cursor = queries.list_entries(session, user, f)
    items = [AuditEntryPublic(**entry.model_dump(), username=name) for entry, name in rows]
    return Page[AuditEntryPublic](items=items, next_cursor=next_cursor)
