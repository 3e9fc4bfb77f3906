"""Named people for the accounts, audit and permission tests: commune A of Hải Phòng, commune B
of Đà Nẵng, and the users of each."""
from sqlalchemy import select
from sqlmodel import Session

from app.units.models import Unit
from tests.factories import DA_NANG, HAI_PHONG, make_user


def first_commune(session: Session, province_id: int) -> Unit:
    query = (select(Unit).where(Unit.province_id == province_id, Unit.level == "commune", Unit.valid_to.is_(None))
             .order_by(Unit.code).limit(1))
    return session.execute(query).scalar_one()


def commune_a(session: Session) -> Unit:
    return first_commune(session, HAI_PHONG)


def commune_b(session: Session) -> Unit:
    return first_commune(session, DA_NANG)


def people(session: Session) -> dict:
    a, b = commune_a(session), commune_b(session)
    return {
        "commune_a": a, "commune_b": b,
        "admin": make_user(session, "admin", None, username="quantri", full_name="Quản trị hệ thống"),
        "reviewer": make_user(session, "reviewer", HAI_PHONG, username="thamdinh.hp", full_name="Trần Thị Thẩm"),
        "reporter": make_user(session, "reporter", a.id, username="baocao.a", full_name="Nguyễn Văn An"),
        "viewer": make_user(session, "viewer", a.id, username="xem.a", full_name="Lê Thị Xem"),
        "outsider": make_user(session, "reporter", b.id, username="baocao.b", full_name="Phạm Văn Bình"),
        "reviewer_b": make_user(session, "reviewer", DA_NANG, username="thamdinh.dn", full_name="Đỗ Văn Đà"),
    }
