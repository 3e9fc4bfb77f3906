"""The dashboard of a scope: headline numbers, activities by type and by month, and the child
units of the unit in view, for the activities a `DashboardFilter` selects."""
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel
from sqlalchemy import case, extract, func, select
from sqlmodel import Session

from app import access
from app.accounts.models import User
from app.activities.models import Activity
from app.activities.types import TYPES
from app.core.text import search_key
from app.progress import totals
from app.progress.boundaries import child_key, unit_labels
from app.progress.periods import Span
from app.progress.schemas import Headline
from app.units.models import Unit


@dataclass
class DashboardFilter(totals.FigureFilter):
    sort: str | None = None      # child-units column, "-" prefix for descending


class TypeCount(BaseModel):
    type: str
    label: str
    activities: int
    participants: int


class MonthCount(BaseModel):
    month: str                   # "2026-03"
    label: str                   # "T3/2026"
    activities: int
    participants: int


class ChildUnitRow(BaseModel):
    unit_id: int
    unit_name: str
    unit_level: str
    is_root: bool = False        # entries logged at the unit in view itself, not at a child
    activities: int
    submitted: int
    approved: int
    participants: int
    participants_poor: int
    copies: int
    airings: int
    minutes: int
    cost_vnd: int


class Dashboard(BaseModel):
    unit_id: int | None
    period: str
    period_label: str
    start: date
    end: date
    headline: Headline
    by_type: list[TypeCount]
    over_time: list[MonthCount]
    child_units: list[ChildUnitRow]


def by_type(session: Session, user: User, f: DashboardFilter) -> list[TypeCount]:
    return _by_type(session, totals.in_view(session, user, f)[2])


def over_time(session: Session, user: User, f: DashboardFilter) -> list[MonthCount]:
    """Every month of the period, months without activity included (a chart needs the gaps)."""
    _, span, where = totals.in_view(session, user, f)
    return _over_time(session, span, where)


def child_units(session: Session, user: User, f: DashboardFilter) -> list[ChildUnitRow]:
    """One row per child of the unit in view (and one for entries logged at the unit itself)."""
    root, _, where = totals.in_view(session, user, f)
    return _child_units(session, root, f, where)


def dashboard(session: Session, user: User, f: DashboardFilter) -> Dashboard:
    """Everything the dashboard page shows but progress, checking access once."""
    root, span, where = totals.in_view(session, user, f)
    return Dashboard(unit_id=root.id if root else None, period=span.key, period_label=span.label, start=span.start,
                     end=span.end, headline=totals.headline_of(session, where), by_type=_by_type(session, where),
                     over_time=_over_time(session, span, where), child_units=_child_units(session, root, f, where))


def _by_type(session: Session, where) -> list[TypeCount]:
    rows = session.execute(select(Activity.type, func.count().label("n"),
                                  func.coalesce(func.sum(Activity.participants), 0).label("p"))
                           .where(where).group_by(Activity.type).order_by(func.count().desc(), Activity.type)).all()
    return [TypeCount(type=r.type, label=TYPES[r.type].label if r.type in TYPES else r.type, activities=r.n,
                      participants=int(r.p)) for r in rows]


def _over_time(session: Session, span: Span, where) -> list[MonthCount]:
    year, month = extract("year", Activity.start_date), extract("month", Activity.start_date)
    rows = session.execute(select(year.label("y"), month.label("m"), func.count().label("n"),
                                  func.coalesce(func.sum(Activity.participants), 0).label("p"))
                           .where(where).group_by(year, month)).all()
    found = {(int(r.y), int(r.m)): r for r in rows}
    out = []
    y, m = span.start.year, span.start.month
    while (y, m) <= (span.end.year, span.end.month):
        r = found.get((y, m))
        out.append(MonthCount(month=f"{y}-{m:02d}", label=f"T{m}/{y}", activities=r.n if r else 0,
                              participants=int(r.p) if r else 0))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


CHILD_COLUMNS = ("unit_name", "activities", "submitted", "approved", "participants", "participants_poor", "copies",
                 "airings", "minutes", "cost_vnd")


def _child_units(session: Session, root: Unit | None, f: DashboardFilter, where) -> list[ChildUnitRow]:
    key = child_key(root, f.boundaries)
    base = (select(key.label("key"), Activity.status, Activity.participants, Activity.participants_poor,
                   Activity.copies, Activity.airings, Activity.minutes, Activity.cost_vnd)
            .select_from(Activity).join(Unit, Unit.id == Activity.unit_id).where(where).subquery())
    sums = [func.coalesce(func.sum(getattr(base.c, n)), 0).label(n)
            for n in ("participants", "participants_poor", "copies", "airings", "minutes", "cost_vnd")]
    query = (select(base.c.key, func.count().label("activities"),
                    func.sum(case((base.c.status == "submitted", 1), else_=0)).label("submitted"),
                    func.sum(case((base.c.status == "approved", 1), else_=0)).label("approved"), *sums)
             .group_by(base.c.key))
    rows = session.execute(query).all()
    labels = unit_labels(session, [r.key for r in rows])
    out = []
    for r in rows:
        if r.key is None:
            name, level = ((root.name + " (trực tiếp)", str(root.level)) if root else ("Không xác định", ""))
            unit = root.id if root else 0
        else:
            (name, level), unit = labels.get(r.key, (str(r.key), "")), r.key
        out.append(ChildUnitRow(unit_id=unit, unit_name=name, unit_level=level, is_root=r.key is None,
                                **{k: int(v or 0) for k, v in r._mapping.items() if k != "key"}))
    return sort_children(out, f.sort)


def sort_children(rows: list[ChildUnitRow], sort: str | None) -> list[ChildUnitRow]:
    column = (sort or "-activities").lstrip("-")
    if column not in CHILD_COLUMNS:
        column = "activities"
    descending = (sort or "-activities").startswith("-")
    if column == "unit_name":
        return sorted(rows, key=lambda r: search_key(r.unit_name), reverse=descending)
    return sorted(rows, key=lambda r: (getattr(r, column), search_key(r.unit_name)), reverse=descending)


def crumbs(session: Session, user: User, root: Unit | None) -> list[Unit]:
    """The units above `root` that the user may open, top first."""
    if root is None:
        return []
    ids = [i for i in (root.province_id, root.district_id, root.commune_id) if i is not None and i != root.id]
    if root.is_legacy and root.current_province_id:
        ids.insert(0, root.current_province_id)
    units = [session.get(Unit, i) for i in ids]
    return [u for u in units if u is not None and access.can_see_unit(session, user, u.id)]
