"""Demo activities: about a year and a half of work in the demo province — Hải Dương's communes
until 30/6/2025, the Hải Phòng communes they went into from 1/7/2025 — with the demo reporters'
own entries (one returned with the reviewer's comment) linked to the demo plan's tasks."""
import random
from datetime import date, timedelta

from sqlalchemy import exists, select
from sqlmodel import Session

from app.activities import generate
from app.activities.models import Activity
from app.activities.queries import covering_unit_ids
from app.core.clock import today, utcnow
from app.plans.models import Plan, Task, TaskUnit
from app.units.models import CURRENT_START, Unit

START = date(2025, 1, 1)
PER_COMMUNE_PER_MONTH = 0.9


def _communes(session: Session, ctx) -> tuple[list[Unit], list[Unit]]:
    legacy = list(session.execute(select(Unit).where(Unit.province_id == ctx.legacy_province.id,
                                                     Unit.level == "commune").order_by(Unit.id)).scalars())
    successor_ids = {u.current_commune_id for u in legacy if u.current_commune_id}
    current = list(session.execute(select(Unit).where(Unit.id.in_(successor_ids)).order_by(Unit.id)).scalars())
    return legacy, current


def _tasks(session: Session, ctx):
    """(task id, plan start, plan end, assigned unit ids, plan unit id, expected types) of the demo
    province's plans."""
    query = (select(Task.id, Plan.period_start, Plan.period_end, Plan.unit_id, Task.activity_types)
             .join(Plan, Plan.id == Task.plan_id).where(Plan.unit_id.in_(_province_unit_ids(session, ctx))))
    tasks = []
    for task_id, start, end, plan_unit, types in session.execute(query).all():
        assigned = set(session.execute(select(TaskUnit.unit_id).where(TaskUnit.task_id == task_id)).scalars())
        tasks.append((task_id, start, end, assigned, plan_unit, set(types or ())))
    return tasks


def _province_unit_ids(session: Session, ctx) -> select:
    ids = {ctx.legacy_province.id, ctx.current_province.id}
    return select(Unit.id).where((Unit.id.in_(ids)) | Unit.province_id.in_(ids) | Unit.current_province_id.in_(ids))


def _task_for(rng: random.Random, tasks, unit: Unit, day: date, kind: str) -> int | None:
    """A task the entry plausibly serves: one of a plan in force, given to the unit, expecting its type."""
    covering = covering_unit_ids(unit)
    fitting = [t for t, start, end, assigned, plan_unit, types in tasks
               if start <= day <= end and kind in types
               and ((assigned & covering) or (not assigned and plan_unit in covering))]
    return rng.choice(fitting) if fitting and rng.random() < .8 else None


def load(session: Session, ctx) -> None:
    if session.execute(select(exists().where(Activity.unit_id == ctx.current_commune.id))).scalar():
        return
    rng = random.Random(7)
    legacy, current = _communes(session, ctx)
    tasks = _tasks(session, ctx)
    reporter, reporter_legacy = ctx.users.get("reporter"), ctx.users.get("reporter_legacy")
    now, end = utcnow(), today()
    rows, links = [], []

    def add(unit: Unit, day: date, **kwargs):
        row = generate.make_row(rng, unit.id, day, now=now, **kwargs)
        rows.append(row)
        task_id = _task_for(rng, tasks, unit, day, row["type"])
        if task_id:
            links.append((row["id"], task_id))
        return row

    day = START
    while day <= end:
        communes = legacy if day < CURRENT_START else current
        for unit in communes:
            if rng.random() < PER_COMMUNE_PER_MONTH / 30:
                add(unit, day)
        day += timedelta(days=1)
    # The demo reporters log their loudspeaker twice a week, and some other work.
    for user, unit, first, last in ((reporter_legacy, ctx.legacy_commune, START, CURRENT_START - timedelta(days=1)),
                                    (reporter, ctx.current_commune, CURRENT_START, end)):
        if user is None:
            continue
        day = first
        while day <= last:
            if day.weekday() in (0, 3):
                add(unit, day, kind="broadcast", created_by_id=user.id)
            elif day.weekday() == 5 and rng.random() < .3:
                add(unit, day, created_by_id=user.id)
            day += timedelta(days=1)
    if reporter is not None:
        returned = add(ctx.current_commune, end - timedelta(days=6), kind="broadcast", status="returned",
                       created_by_id=reporter.id)
        returned["title"] = "Phát thanh tuyên truyền Tháng cao điểm Vì người nghèo"
        returned["review_comment"] = "Số phút mỗi lần phát chưa đúng với lịch phát của đài xã, đề nghị kiểm tra lại."
        for offset in (0, 1):
            add(ctx.current_commune, end - timedelta(days=offset), kind="broadcast", status="draft" if offset else
                "submitted", created_by_id=reporter.id)
    generate.insert_rows(session, rows)
    generate.link_tasks(session, links)
