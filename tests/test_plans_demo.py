"""The demo plans: the Hải Dương seed plan with its ten agencies' tasks, and the 2026 Hải Phòng plan."""
from sqlalchemy import func, select

from app.demo import load_demo
from app.plans.demo import HAI_DUONG_TITLE, HAI_PHONG_TITLE
from app.plans.models import Plan, Target, Task, TaskUnit
from app.units.models import Unit


def test_the_demo_recreates_the_hai_duong_plan_and_the_2026_hai_phong_plan_once(session):
    ctx = load_demo(session)
    load_demo(session)
    plans = {p.title: p for p in session.execute(select(Plan)).scalars()}
    assert set(plans) == {HAI_DUONG_TITLE, HAI_PHONG_TITLE}

    hai_duong = plans[HAI_DUONG_TITLE]
    tasks = session.execute(select(Task).where(Task.plan_id == hai_duong.id).order_by(Task.position)).scalars().all()
    assert len(tasks) == 10
    assert all(t.report_deadline.strftime("%d/%m") == "20/11" for t in tasks)
    assert tasks[0].lead_agency_id == ctx.agencies["Sở LĐTBXH"].id
    assert "đài truyền thanh xã" in tasks[9].description
    assigned = session.execute(select(Unit).join(TaskUnit, TaskUnit.unit_id == Unit.id)
                               .where(TaskUnit.task_id == tasks[9].id)).scalars().all()
    assert ctx.legacy_commune in assigned and ctx.current_commune in assigned
    assert session.execute(select(func.count()).select_from(Target).where(Target.task_id == tasks[9].id)).scalar_one() == 3

    hai_phong = plans[HAI_PHONG_TITLE]
    task = session.execute(select(Task).where(Task.plan_id == hai_phong.id)).scalar_one()
    units = session.execute(select(Unit).join(TaskUnit, TaskUnit.unit_id == Unit.id)
                            .where(TaskUnit.task_id == task.id)).scalars().all()
    assert ctx.current_commune in units and ctx.legacy_commune not in units
    assert all(u.current_province_id == ctx.current_province.id and not u.is_legacy for u in units)
