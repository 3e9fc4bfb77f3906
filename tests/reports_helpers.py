"""A small province with activities of several types, shared by the report tests."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from app.units.models import Unit
from tests.factories import HAI_DUONG, HAI_PHONG, NINH_BINH, make_activity, make_plan, make_task, make_user

VIETNAMESE_TITLE = "Tuyên truyền giảm nghèo ở thôn Đồng Quỹ — hộ nghèo người Mường"


def commune_of(session: Session, province_id: int, offset: int = 0) -> Unit:
    query = select(Unit).where(Unit.level == "commune", Unit.province_id == province_id).order_by(Unit.id)
    return session.execute(query.offset(offset).limit(1)).scalar_one()


@dataclass
class Province:
    reviewer: object
    outsider: object
    reporter: object
    commune: Unit
    other_commune: Unit
    legacy_commune: Unit
    plan: object
    broadcast_task: object
    training_task: object


def province_with_activities(session: Session) -> Province:
    commune = commune_of(session, HAI_PHONG)
    other = commune_of(session, HAI_PHONG, 1)
    legacy = commune_of(session, HAI_DUONG)  # went into `commune` on 1/7/2025
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp", full_name="Nguyễn Thị Hằng")
    outsider = make_user(session, "reviewer", NINH_BINH, username="duyet_nb", full_name="Trần Văn Bình")
    reporter = make_user(session, "reporter", commune.id, username="ghi_xa", full_name="Lê Thị Thu Hương")
    plan = make_plan(session, HAI_PHONG, title="Kế hoạch truyền thông về giảm nghèo năm 2026", number="123/KH-UBND")
    broadcast = make_task(session, plan, unit_ids=(commune.id, other.id),
                          targets=(("airings", 10, "plan"), ("activities", 2, "plan")),
                          title="Phát thanh trên hệ thống loa truyền thanh xã")
    training = make_task(session, plan, unit_ids=(commune.id, other.id), targets=(("participants", 100, "plan"),),
                         title="Tập huấn nâng cao năng lực cán bộ giảm nghèo", position=1)
    make_activity(session, commune.id, user=reporter, type="broadcast", status="approved", title=VIETNAMESE_TITLE,
                  airings=6, minutes_per_airing=15, start_date=date(2026, 3, 2), task_ids=(broadcast.id,),
                  details={"channel": "commune_loudspeaker"}, cost_local_vnd=1_500_000)
    make_activity(session, commune.id, user=reporter, type="broadcast", status="submitted", title="Phát thanh lần hai",
                  airings=3, minutes_per_airing=10, start_date=date(2026, 4, 6), task_ids=(broadcast.id,))
    make_activity(session, legacy.id, user=reporter, type="training", status="approved",
                  title="Tập huấn cho cán bộ thôn", sessions=2, participants=60, participants_poor=25,
                  participants_women=30, start_date=date(2026, 5, 12), task_ids=(training.id,),
                  cost_central_vnd=350_000_000, cost_mobilised_vnd=2_000_000)
    make_activity(session, other.id, user=reporter, type="leaflet", status="draft", title="Tờ rơi chính sách",
                  copies=500, start_date=date(2026, 6, 1))
    make_activity(session, commune_of(session, NINH_BINH).id, type="talk", status="approved",
                  title="Nói chuyện ở Ninh Bình", participants=40, start_date=date(2026, 6, 2))
    return Province(reviewer, outsider, reporter, commune, other, legacy, plan, broadcast, training)
