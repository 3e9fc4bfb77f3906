"""Units and plans for the progress, completeness and dashboard tests."""
from sqlalchemy import func, select
from sqlmodel import Session

from app.core.text import search_key
from app.units.models import Unit, UnitSuccessor
from tests.factories import HAI_DUONG, HAI_PHONG


def merged_legacy_commune(session: Session) -> Unit:
    """A Hải Dương commune that went whole into one Hải Phòng commune."""
    single = select(UnitSuccessor.predecessor_id).group_by(UnitSuccessor.predecessor_id).having(func.count() == 1)
    query = (select(Unit).where(Unit.level == "commune", Unit.province_id == HAI_DUONG, Unit.id.in_(single),
                                Unit.current_province_id == HAI_PHONG).order_by(Unit.id).limit(1))
    return session.execute(query).scalar_one()


def split_legacy_commune(session: Session) -> Unit:
    """A legacy commune divided between several current communes."""
    split = select(UnitSuccessor.predecessor_id).group_by(UnitSuccessor.predecessor_id).having(func.count() > 1)
    query = (select(Unit).where(Unit.level == "commune", Unit.id.in_(split), Unit.current_province_id == HAI_PHONG)
             .order_by(Unit.id).limit(1))
    return session.execute(query).scalar_one()


def other_current_commune(session: Session, *exclude: int) -> Unit:
    query = (select(Unit).where(Unit.level == "commune", Unit.province_id == HAI_PHONG, Unit.id.not_in(exclude))
             .order_by(Unit.id).limit(1))
    return session.execute(query).scalar_one()


def make_village(session: Session, commune: Unit, name: str = "Thôn Đồng Tâm") -> Unit:
    village = Unit(code="", name=name, short_name=name, level="village", parent_id=commune.id,
                   search_name=search_key(name), province_id=commune.province_id, commune_id=commune.id,
                   current_province_id=commune.current_province_id, current_commune_id=commune.current_commune_id,
                   valid_from=commune.valid_from, valid_to=commune.valid_to)
    session.add(village)
    session.commit()
    return village
