"""The dashboard of a scope: headline numbers, activities by type and by month, and the child
units of the unit in view, for the activities a `DashboardFilter` selects."""
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel
from sqlalchemy import case, extract, func, literal, select
from sqlmodel import Session

from app import access
from app.accounts.models import User
from app.activities.models import Activity
from app.activities.types import TYPES
from app.core.text import search_key
from app.progress import summary, totals
from app.progress.boundaries import child_key, unit_labels
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
    return _by_type(session, totals.counted(session, user, f))


def over_time(session: Session, user: User, f: DashboardFilter) -> list[MonthCount]:
    """Every month of the period, months without activity included (a chart needs the gaps)."""
    return _over_time(session, totals.counted(session, user, f))


def child_units(session: Session, user: User, f: DashboardFilter) -> list[ChildUnitRow]:
    """One row per child of the unit in view (and one for entries logged at the unit itself)."""
    return _child_units(session, f, totals.counted(session, user, f))


def dashboard(session: Session, user: User, f: DashboardFilter) -> Dashboard:
    """Everything the dashboard page shows but progress, checking access once. From the summary,
    the headline and both charts come from one read of its rows, grouped by month and type."""
    view = totals.counted(session, user, f)
    root, span = view.root, view.span
    if view.from_rows:
        headline, types, months = totals.headline_of(session, view), _by_type(session, view), _over_time(session, view)
    else:
        headline, types, months = _month_type_figures(session, view)
    return Dashboard(unit_id=root.id if root else None, period=span.key, period_label=span.label, start=span.start,
                     end=span.end, headline=headline, by_type=types, over_time=months,
                     child_units=_child_units(session, f, view))


# Each figure reads the summary (by unit, or its province rows when they answer: `view.totals()`);
# `view.from_rows` (a period cutting a month) reads the activities.


def _month_type_figures(session: Session, view: totals.Counted) -> tuple[Headline, list[TypeCount], list[MonthCount]]:
    """The headline, the activities by type and by month, added up from one summary query."""
    columns = ("activities",) + totals.HEADLINE_SUMS
    S, condition = view.totals()
    rows = session.execute(select(S.c.month, S.c.type, *[func.coalesce(func.sum(S.c[c]), 0).label(c) for c in columns])
                           .where(condition).group_by(S.c.month, S.c.type)).all()
    headline = Headline(**{c: sum(int(getattr(r, c)) for r in rows) for c in columns})
    by_type: dict[str, list[int]] = {}
    by_month: dict[tuple[int, int], tuple[int, int]] = {}
    for r in rows:
        t = by_type.setdefault(r.type, [0, 0])
        t[0] += int(r.activities)
        t[1] += int(r.participants)
        n, p = by_month.get(divmod(int(r.month), 100), (0, 0))
        by_month[divmod(int(r.month), 100)] = (n + int(r.activities), p + int(r.participants))
    return (headline, _type_counts([(k, n, p) for k, (n, p) in by_type.items()]),
            _month_counts(view.span, by_month))


def _type_counts(rows) -> list[TypeCount]:
    """(type, activities, participants) as the chart lists them: most activities first."""
    return [TypeCount(type=t, label=TYPES[t].label if t in TYPES else t, activities=int(n), participants=int(p))
            for t, n, p in sorted(rows, key=lambda r: (-int(r[1]), r[0]))]


def _month_counts(span, found: dict[tuple[int, int], tuple[int, int]]) -> list[MonthCount]:
    """Every month of the span, months without activity included (a chart needs the gaps)."""
    out = []
    y, m = span.start.year, span.start.month
    while (y, m) <= (span.end.year, span.end.month):
        n, p = found.get((y, m), (0, 0))
        out.append(MonthCount(month=f"{y}-{m:02d}", label=f"T{m}/{y}", activities=n, participants=p))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _by_type(session: Session, view: totals.Counted) -> list[TypeCount]:
    if view.from_rows:
        query = (select(Activity.type.label("type"), func.count().label("n"),
                        func.coalesce(func.sum(Activity.participants), 0).label("p"))
                 .where(view.where).group_by(Activity.type))
    else:
        S, condition = view.totals()
        query = (select(S.c.type, func.sum(S.c.activities).label("n"),
                        func.coalesce(func.sum(S.c.participants), 0).label("p"))
                 .where(condition).group_by(S.c.type))
    return _type_counts([(r.type, r.n, r.p) for r in session.execute(query)])


def _over_time(session: Session, view: totals.Counted) -> list[MonthCount]:
    if view.from_rows:
        year, month = extract("year", Activity.start_date), extract("month", Activity.start_date)
        rows = session.execute(select(year.label("y"), month.label("m"), func.count().label("n"),
                                      func.coalesce(func.sum(Activity.participants), 0).label("p"))
                               .where(view.where).group_by(year, month)).all()
        found = {(int(r.y), int(r.m)): (int(r.n), int(r.p)) for r in rows}
    else:
        S, condition = view.totals()
        rows = session.execute(select(S.c.month, func.sum(S.c.activities).label("n"),
                                      func.coalesce(func.sum(S.c.participants), 0).label("p"))
                               .where(condition).group_by(S.c.month)).all()
        found = {divmod(int(r.month), 100): (int(r.n), int(r.p)) for r in rows}
    return _month_counts(view.span, found)


CHILD_COLUMNS = ("unit_name", "activities", "submitted", "approved", "participants", "participants_poor", "copies",
                 "airings", "minutes", "cost_vnd")


def _child_units(session: Session, f: DashboardFilter, view: totals.Counted) -> list[ChildUnitRow]:
    root = view.root
    key = child_key(root, f.boundaries)
    measures = ("participants", "participants_poor", "copies", "airings", "minutes", "cost_vnd")
    if view.from_rows:
        base = (select(key.label("key"), Activity.status, literal(1).label("activities"),
                       *[getattr(Activity, n) for n in measures])
                .select_from(Activity).join(Unit, Unit.id == Activity.unit_id).where(view.where).subquery())
    elif root is None and view.by_province is not None:  # the whole country: a row per province
        P = summary.PROVINCES
        key = func.nullif(P.c.current_province_id if f.boundaries == "current" else P.c.province_id,
                          summary.NO_PROVINCE)
        base = (select(key.label("key"), P.c.status, P.c.activities, *[P.c[n] for n in measures])
                .where(view.by_province).subquery())
    else:
        S = summary.SUMMARY
        base = (select(key.label("key"), S.c.status, S.c.activities, *[S.c[n] for n in measures])
                .select_from(S.join(Unit, Unit.id == S.c.unit_id)).where(view.summary).subquery())
    sums = [func.coalesce(func.sum(getattr(base.c, n)), 0).label(n) for n in measures]
    query = (select(base.c.key, func.sum(base.c.activities).label("activities"),
                    func.sum(case((base.c.status == "submitted", base.c.activities), else_=0)).label("submitted"),
                    func.sum(case((base.c.status == "approved", base.c.activities), else_=0)).label("approved"), *sums)
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
