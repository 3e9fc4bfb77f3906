"""JSON API for administrative units."""
from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import SQLModel

from app import access
from app.accounts.deps import ApiUser, DbSession
from app.core.db import UnitOfWork
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from app.units import queries, services
from app.units.models import Level, Unit, UnitDetail, UnitPublic, UnitRef, VillageCreate
from app.core.types import IsoDate

router = APIRouter(prefix="/api/v1/units", tags=["units"], route_class=UnitOfWork)


@router.get("", response_model=Page[UnitPublic])
def list_units(
    session: DbSession,
    user: ApiUser,
    level: Level | None = None,
    parent_id: int | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    at: IsoDate | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: str | None = None,
):
    """Units valid on `at` (default today), searched accent- and case-insensitively by `q`."""
    rows, next_cursor = queries.list_units(session, queries.UnitFilter(level, parent_id, q, at, limit, cursor))
    return Page[UnitPublic](items=[UnitPublic.model_validate(u, from_attributes=True) for u in rows],
                            next_cursor=next_cursor)


def unit_detail(session, unit: Unit) -> UnitDetail:
    return UnitDetail(
        **UnitPublic.model_validate(unit, from_attributes=True).model_dump(),
        parents=[UnitRef.model_validate(p, from_attributes=True) for p in queries.parent_chain(session, unit)],
        children_count=queries.children_count(session, unit),
        predecessors=queries.predecessors(session, unit),
        successors=queries.successors(session, unit),
    )


@router.get("/{unit_id}", response_model=UnitDetail)
def get_unit(unit_id: int, session: DbSession, user: ApiUser):
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise access.NotFound()
    return unit_detail(session, unit)


class VillagePublic(SQLModel):
    id: int
    name: str
    parent_id: int


@router.post("/{unit_id}/villages", response_model=UnitPublic, status_code=201)
def create_village(unit_id: int, data: VillageCreate, session: DbSession, user: ApiUser):
    commune = access.require_visible_unit(session, user, unit_id)
    return services.create_village(session, commune, data, user=user)
