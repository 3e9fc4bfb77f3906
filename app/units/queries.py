"""Reading administrative units: the filter shared by the units page and the units API."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from app.core.clock import today
from app.core.pagination import DEFAULT_LIMIT, after_key, decode_cursor, fetch_page
from app.core.text import search_key
from app.units.models import Unit, UnitRef, UnitSuccessor, UnitSuccessorRef


def valid_on(day: date):
    return and_(
        or_(Unit.valid_from.is_(None), Unit.valid_from <= day),
        or_(Unit.valid_to.is_(None), Unit.valid_to >= day),
    )


@dataclass
class UnitFilter:
    level: str | None = None
    parent_id: int | None = None
    q: str | None = None
    at: date | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


def list_units(session: Session, f: UnitFilter) -> tuple[list[Unit], str | None]:
    query = select(Unit).where(valid_on(f.at or today()))
    if f.level:
        query = query.where(Unit.level == f.level)
    if f.parent_id is not None:
        query = query.where(Unit.parent_id == f.parent_id)
    key = search_key(f.q)
    if key:
        query = query.where(Unit.search_name.contains(key, autoescape=True))
    after = decode_cursor(f.cursor, str, int)
    if after:
        query = query.where(after_key((Unit.search_name, Unit.id), after))
    return fetch_page(session, query.order_by(Unit.search_name, Unit.id), f.limit, lambda u: [u.search_name, u.id])


def parent_chain(session: Session, unit: Unit) -> list[Unit]:
    chain = []
    current = unit
    while current.parent_id is not None:
        current = session.get(Unit, current.parent_id)
        if current is None:
            break
        chain.append(current)
    return list(reversed(chain))


def children_count(session: Session, unit: Unit) -> int:
    return session.execute(select(func.count()).select_from(Unit).where(Unit.parent_id == unit.id)).scalar_one()


def children(session: Session, unit: Unit, limit: int = 500) -> list[Unit]:
    query = select(Unit).where(Unit.parent_id == unit.id).order_by(Unit.search_name).limit(limit)
    return list(session.execute(query).scalars())


def successors(session: Session, unit: Unit) -> list[UnitSuccessorRef]:
    query = (select(Unit, UnitSuccessor.is_default).join(UnitSuccessor, UnitSuccessor.successor_id == Unit.id)
             .where(UnitSuccessor.predecessor_id == unit.id).order_by(UnitSuccessor.is_default.desc(), Unit.name))
    return [UnitSuccessorRef(**UnitRef.model_validate(u, from_attributes=True).model_dump(), is_default=d)
            for u, d in session.execute(query)]


def predecessors(session: Session, unit: Unit) -> list[UnitSuccessorRef]:
    query = (select(Unit, UnitSuccessor.is_default).join(UnitSuccessor, UnitSuccessor.predecessor_id == Unit.id)
             .where(UnitSuccessor.successor_id == unit.id).order_by(Unit.name))
    return [UnitSuccessorRef(**UnitRef.model_validate(u, from_attributes=True).model_dump(), is_default=d)
            for u, d in session.execute(query)]


def unit_label(session: Session, unit: Unit) -> str:
    """'Xã Đại An, Huyện Vụ Bản, Tỉnh Nam Định' — a unit named with its parents."""
    return ", ".join([unit.name] + [p.name for p in reversed(parent_chain(session, unit))])
