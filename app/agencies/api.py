"""JSON API for agencies (cơ quan, đơn vị)."""
from typing import Annotated

from fastapi import APIRouter, Query

from app.accounts.deps import ApiUser, DbSession
from app.agencies import queries, services
from app.agencies.models import AgencyCreate, AgencyPublic
from app.core.db import UnitOfWork
from app.core.errors import ApiError, field_error
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from app.core.types import IsoDate

router = APIRouter(prefix="/api/v1/agencies", tags=["agencies"], route_class=UnitOfWork)


@router.get("", response_model=Page[AgencyPublic])
def list_agencies(
    session: DbSession,
    user: ApiUser,
    unit_id: int | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    at: IsoDate | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: str | None = None,
):
    """Agencies of a unit and the units below it, searched accent-insensitively by `q`, valid on `at`."""
    rows, next_cursor = queries.list_agencies(session, queries.AgencyFilter(unit_id, q, at, limit, cursor))
    return Page[AgencyPublic](items=[AgencyPublic.model_validate(a, from_attributes=True) for a in rows],
                              next_cursor=next_cursor)


@router.post("", response_model=AgencyPublic, status_code=201)
def create_agency(data: AgencyCreate, session: DbSession, user: ApiUser):
    try:
        return services.create_agency(session, data, user=user)
    except services.AgencyInputError as exc:
        raise ApiError(422, "validation_error", exc.message, [field_error(f"body.{exc.field}", "invalid", exc.message)])


@router.get("/{agency_id}", response_model=AgencyPublic)
def get_agency(agency_id: int, session: DbSession, user: ApiUser):
    return queries.get_agency(session, agency_id)
