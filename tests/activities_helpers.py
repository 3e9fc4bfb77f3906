"""Named places and people for the activities tests."""
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from app.core.clock import today
from app.units.models import Unit, UnitSuccessor
from tests.factories import HAI_DUONG, HAI_PHONG


def commune_pair(session: Session) -> tuple[Unit, Unit]:
    """A legacy commune of Hải Dương that went whole into one current commune of Hải Phòng."""
    single = (select(UnitSuccessor.predecessor_id).group_by(UnitSuccessor.predecessor_id)
              .having(func.count() == 1))
    query = (select(Unit).where(Unit.province_id == HAI_DUONG, Unit.level == "commune", Unit.id.in_(single),
                                Unit.name.like("Xã %")).order_by(Unit.code).limit(1))
    legacy = session.execute(query).scalars().one()
    return legacy, session.get(Unit, legacy.current_commune_id)


def other_current_commune(session: Session, not_id: int) -> Unit:
    query = (select(Unit).where(Unit.province_id == HAI_PHONG, Unit.level == "commune", Unit.id != not_id)
             .order_by(Unit.code).limit(1))
    return session.execute(query).scalars().one()


def broadcast(unit_id: int, **overrides) -> dict:
    body = {"type": "broadcast", "title": "Phát thanh tuyên truyền giảm nghèo", "start_date": today().isoformat(),
            "unit_id": unit_id, "airings": 2, "minutes_per_airing": 15,
            "details": {"channel": "commune_loudspeaker", "language": "vi"}}
    body.update(overrides)
    return body


def days_ago(n: int) -> str:
    return (today() - timedelta(days=n)).isoformat()


LEGACY_DAY = date(2024, 5, 10).isoformat()
