"""Changes to units: users may add villages (thôn, tổ dân phố) under a commune."""
from sqlmodel import Session

from app import access
from app.accounts.models import User
from app.audit.services import record, snapshot
from app.core.text import search_key
from app.units.models import Level, Unit, VillageCreate


def create_village(session: Session, commune: Unit, data: VillageCreate, *, user: User) -> Unit:
    if commune.level != Level.commune:
        raise access.Forbidden("Chỉ thêm thôn, tổ dân phố vào một xã, phường.")
    if not access.can_add_village(session, user, commune.id):
        raise access.Forbidden()
    village = Unit(
        code=data.code or "", name=data.name.strip(), short_name=data.name.strip(), level=Level.village,
        parent_id=commune.id, valid_from=commune.valid_from, valid_to=commune.valid_to,
        search_name=search_key(data.name), province_id=commune.province_id, district_id=commune.district_id,
        commune_id=commune.id, current_province_id=commune.current_province_id,
        current_commune_id=commune.current_commune_id,
    )
    session.add(village)
    session.flush()
    record(session, user=user, entity="unit", entity_id=village.id, action="create", after=snapshot(village),
           unit_id=village.id)
    return village
