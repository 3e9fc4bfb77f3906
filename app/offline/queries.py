"""What a reporter's phone keeps for working without a signal: the choices the logging forms offer,
the last values used, entries returned for correction and the reporter's last 30 days of entries."""
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.access import activity_scope_condition
from app.accounts.models import User
from app.activities import queries as activity_queries
from app.activities.models import Activity, ActivityStatus, ActivityTask
from app.activities.types import STATUS_LABELS, TYPES
from app.agencies.models import Agency
from app.core.clock import today
from app.plans.models import Plan, Task
from app.units.models import Unit

LAST_LEGACY_DAY = date(2025, 6, 30)
RECENT_DAYS = 30
LAST_USED_FIELDS = ("unit_id", "agency_id", "airings", "minutes_per_airing")
LAST_USED_DETAILS = ("channel", "language")


def era_days() -> list[date]:
    """Today and, once the 2025 reorganisation has happened, the last day before it: the two sets of
    units (and their tasks and agencies) a reporter may log for."""
    day = today()
    return [day, LAST_LEGACY_DAY] if day > LAST_LEGACY_DAY else [day]


def choices(session: Session, user: User) -> dict[str, list[dict[str, Any]]]:
    """What the logging forms offer, for today and before 1/7/2025, from the forms' own queries."""
    units: dict[int, Unit] = {}
    tasks: dict[int, tuple[Task, date]] = {}
    agencies: dict[int, Agency] = {}
    defaults: list[dict[str, Any]] = []
    for day in era_days():
        offered = activity_queries.unit_choices(session, user, day)
        unit = activity_queries.default_unit(session, user, day, offered)
        units.update((u.id, u) for u in offered)
        defaults.append({"day": day.isoformat(), "unit_id": unit.id if unit else None})
        tasks.update((t.id, (t, day)) for t in activity_queries.task_choices(session, unit, day))
        agencies.update((a.id, a) for a in activity_queries.agency_choices(session, user, unit, day))
    plans = {p.id: p for p in session.execute(select(Plan).where(Plan.id.in_({t.plan_id for t, _ in tasks.values()})))
             .scalars()} if tasks else {}
    return {
        "units": [{"id": u.id, "name": u.name, "level": u.level, "parent_id": u.parent_id,
                   "valid_from": _iso(u.valid_from), "valid_to": _iso(u.valid_to)} for u in units.values()],
        "default_units": defaults,
        "tasks": [{"id": t.id, "title": t.title, "plan_id": t.plan_id, "plan": plans[t.plan_id].number or plans[t.plan_id].title,
                   "activity_types": t.activity_types, "period_start": _iso(plans[t.plan_id].period_start),
                   "period_end": _iso(plans[t.plan_id].period_end)} for t, _ in tasks.values()],
        "agencies": [{"id": a.id, "name": a.name, "short_name": a.short_name, "valid_from": _iso(a.valid_from),
                      "valid_to": _iso(a.valid_to)} for a in agencies.values()],
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _public(a: Activity, unit_names: dict[int, str]) -> dict[str, Any]:
    t = TYPES.get(a.type)
    return {
        "id": str(a.id), "type": a.type, "type_label": t.label if t else a.type, "title": a.title,
        "start_date": a.start_date.isoformat(), "status": a.status, "status_label": STATUS_LABELS.get(a.status, a.status),
        "unit_id": a.unit_id, "unit_name": unit_names.get(a.unit_id, ""), "version": a.version,
        "review_comment": a.review_comment, "updated_at": a.updated_at.isoformat(),
    }


def own_activities(session: Session, user: User) -> tuple[list[Activity], list[Activity]]:
    """(returned for correction, last 30 days) among the entries this user logged."""
    mine = (select(Activity).where(Activity.created_by_id == user.id, activity_scope_condition(session, user)))
    returned = session.execute(mine.where(Activity.status == ActivityStatus.returned)
                               .order_by(Activity.updated_at.desc()).limit(100)).scalars().all()
    since = today() - timedelta(days=RECENT_DAYS)
    recent = session.execute(mine.where(Activity.start_date >= since)
                             .order_by(Activity.start_date.desc(), Activity.created_at.desc()).limit(300)).scalars().all()
    return list(returned), list(recent)


def last_used(session: Session, user: User) -> dict[str, dict[str, Any]]:
    """The values of the reporter's latest entry of each type, to prefill the next one."""
    rows = session.execute(select(Activity).where(Activity.created_by_id == user.id)
                           .order_by(Activity.created_at.desc()).limit(200)).scalars().all()
    latest: dict[str, Activity] = {}
    for a in rows:
        latest.setdefault(a.type, a)
    if not latest:
        return {}
    task_rows = session.execute(select(ActivityTask.activity_id, ActivityTask.task_id)
                                .where(ActivityTask.activity_id.in_([a.id for a in latest.values()]))).all()
    tasks = {activity_id: task_id for activity_id, task_id in task_rows}
    out = {}
    for code, a in latest.items():
        values = {f: getattr(a, f) for f in LAST_USED_FIELDS}
        values.update({f: (a.details or {}).get(f) for f in LAST_USED_DETAILS if (a.details or {}).get(f)})
        values["task_id"] = tasks.get(a.id)
        out[code] = values
    return out


def bootstrap(session: Session, user: User) -> dict[str, Any]:
    returned, recent = own_activities(session, user)
    ids = {a.unit_id for a in returned + recent}
    names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all()) if ids else {}
    return {
        "user": {"id": user.id, "username": user.username, "full_name": user.full_name, "role": user.role,
                 "unit_id": user.unit_id, "agency_id": user.agency_id},
        "today": today().isoformat(),
        **choices(session, user),
        "types": {code: t.label for code, t in TYPES.items()},
        "last_used": last_used(session, user),
        "returned": [_public(a, names) for a in returned],
        "recent": [_public(a, names) for a in recent],
    }
