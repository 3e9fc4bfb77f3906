"""Named places and people for the plan tests: the legacy province Hải Dương, one of its communes
that went whole into a current commune of Hải Phòng, and the users of each."""
from sqlalchemy import func, select
from sqlmodel import Session

from app.units.models import Unit, UnitSuccessor
from tests.factories import HAI_DUONG, HAI_PHONG, NAM_DINH, make_agency, make_user


def legacy_commune_and_successor(session: Session) -> tuple[Unit, Unit]:
    """A legacy commune of Hải Dương with a single successor, and that successor."""
    single = (select(UnitSuccessor.predecessor_id).group_by(UnitSuccessor.predecessor_id)
              .having(func.count() == 1))
    query = (select(Unit).where(Unit.province_id == HAI_DUONG, Unit.level == "commune", Unit.id.in_(single))
             .order_by(Unit.code).limit(1))
    legacy = session.execute(query).scalar_one()
    return legacy, session.get(Unit, legacy.current_commune_id)


def count_units(session: Session, *conditions) -> int:
    return session.execute(select(func.count()).select_from(Unit).where(*conditions)).scalar_one()


def people(session: Session) -> dict:
    legacy, current = legacy_commune_and_successor(session)
    nam_dinh_commune = session.execute(select(Unit).where(Unit.province_id == NAM_DINH, Unit.level == "commune")
                                       .order_by(Unit.code).limit(1)).scalar_one()
    return {
        "legacy_commune": legacy, "current_commune": current,
        "admin": make_user(session, "admin", None, username="quantri"),
        "reviewer": make_user(session, "reviewer", HAI_PHONG, username="thamdinh.hp"),
        "reviewer_legacy": make_user(session, "reviewer", HAI_DUONG, username="thamdinh.hd"),
        "commune_reviewer": make_user(session, "reviewer", current.id, username="thamdinh.xa"),
        "reporter": make_user(session, "reporter", current.id, username="baocao.xa"),
        "viewer": make_user(session, "viewer", HAI_PHONG, username="xem.hp"),
        "outsider": make_user(session, "reporter", nam_dinh_commune.id, username="baocao.namdinh"),
        "outside_reviewer": make_user(session, "reviewer", NAM_DINH, username="thamdinh.nd"),
        "ldtbxh": make_agency(session, HAI_DUONG, "Sở Lao động - Thương binh và Xã hội tỉnh Hải Dương",
                              short_name="Sở LĐTBXH"),
        "station": make_agency(session, HAI_DUONG, "Đài Phát thanh và Truyền hình tỉnh Hải Dương",
                               short_name="Đài PT-TH", kind="station"),
    }


def plan_body(unit_id: int = HAI_DUONG, **overrides) -> dict:
    body = {"number": "1234/KH-UBND", "title": "Kế hoạch truyền thông giảm nghèo giai đoạn 2023-2025",
            "unit_id": unit_id, "period_start": "2023-01-01", "period_end": "2025-12-31", "status": "active",
            "legal_bases": [{"number": "90/QĐ-TTg", "date": "2022-01-18", "issuer": "Thủ tướng Chính phủ",
                             "title": "Phê duyệt Chương trình MTQG giảm nghèo bền vững giai đoạn 2021-2025"}]}
    body.update(overrides)
    return body
