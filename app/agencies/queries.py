"""Reading agencies: the list filter shared by the API and the forms, and matching a name as a
plan writes it ("Sở LĐTBXH", "Sở Lao động - Thương binh và Xã hội") to a known agency."""
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlmodel import Session

from app import access
from app.agencies.models import Agency
from app.core.pagination import DEFAULT_LIMIT, after_key, decode_cursor, fetch_page
from app.core.text import search_key
from app.units.models import Unit


@dataclass
class AgencyFilter:
    unit_id: int | None = None
    q: str | None = None
    at: date | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


def valid_on(day: date):
    return and_(or_(Agency.valid_from.is_(None), Agency.valid_from <= day),
                or_(Agency.valid_to.is_(None), Agency.valid_to >= day))


def covering_unit_ids(unit: Unit) -> set[int]:
    """The unit and the units above it, in its own era and today's."""
    ids = {unit.id, unit.province_id, unit.district_id, unit.commune_id, unit.current_province_id,
           unit.current_commune_id}
    return {i for i in ids if i is not None}


def agency_query(session: Session, f: AgencyFilter):
    query = select(Agency)
    if f.unit_id is not None:
        unit = session.get(Unit, f.unit_id)
        if unit is None:
            raise access.NotFound()
        query = query.where(Agency.unit_id.in_(select(Unit.id).where(access.unit_subtree_condition(unit))))
    key = search_key(f.q)
    if key:
        query = query.where(or_(Agency.search_name.contains(key, autoescape=True),
                                Agency.short_name.ilike(f"%{f.q.strip()}%")))
    if f.at is not None:
        query = query.where(valid_on(f.at))
    return query


def list_agencies(session: Session, f: AgencyFilter) -> tuple[list[Agency], str | None]:
    query = agency_query(session, f)
    after = decode_cursor(f.cursor, str, int)
    if after:
        query = query.where(after_key((Agency.search_name, Agency.id), after))
    return fetch_page(session, query.order_by(Agency.search_name, Agency.id), f.limit,
                      lambda a: [a.search_name, a.id])


def get_agency(session: Session, agency_id: int) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise access.NotFound()
    return agency


def agencies_for_unit(session: Session, unit: Unit, at: date | None = None, limit: int = 300) -> list[Agency]:
    """Agencies of the unit and the units above it (the choices of a plan's forms)."""
    query = select(Agency).where(Agency.unit_id.in_(covering_unit_ids(unit)))
    if at is not None:
        query = query.where(valid_on(at))
    return list(session.execute(query.order_by(Agency.search_name).limit(limit)).scalars())


# --- matching a written name ---------------------------------------------------------------------

_LOCATION = re.compile(r"\s+(tinh|thanh pho)(\s+[a-z ]*)?$")
_SMALL_WORDS = {"va"}


def _core(key: str) -> str:
    """The name without its trailing place ("... tỉnh Hải Dương")."""
    return _LOCATION.sub("", key).strip()


def _acronyms(key: str) -> set[str]:
    words = [w for w in _core(key).split() if w not in _SMALL_WORDS]
    if not words:
        return set()
    full = "".join(w[0] for w in words)
    return {full, words[0] + "".join(w[0] for w in words[1:])}


def _score(written: str, agency: Agency) -> int:
    name = agency.search_name or search_key(agency.name)
    short = search_key(agency.short_name)
    core_written, core_name = _core(written), _core(name)
    compact = written.replace(" ", "")
    if written == name or (short and written == short):
        return 5
    if core_written and core_written == core_name:
        return 4
    if short and compact == short.replace(" ", ""):
        return 4
    if core_written and (compact in _acronyms(name) or _core(written).replace(" ", "") in _acronyms(name)):
        return 3
    if len(core_written) >= 8 and core_name.startswith(core_written + " "):
        return 2
    return 0


def match_agency(session: Session, name: str, unit_id: int | None, at: date | None = None) -> Agency | None:
    """The known agency a plan means by `name`, among those of the unit and the units above it
    (accent-, case- and abbreviation-insensitive); None when nothing fits."""
    written = search_key(name)
    if not written:
        return None
    query = select(Agency)
    if unit_id is not None:
        unit = session.get(Unit, unit_id)
        if unit is None:
            return None
        query = query.where(Agency.unit_id.in_(covering_unit_ids(unit)))
    best, best_key = None, (0, 0)
    for agency in session.execute(query.limit(2000)).scalars():
        score = _score(written, agency)
        valid = 1 if at is None or ((agency.valid_from is None or agency.valid_from <= at)
                                    and (agency.valid_to is None or agency.valid_to >= at)) else 0
        key = (score, valid)
        if score and key > best_key:
            best, best_key = agency, key
    return best
