"""Query parameters of the exports, shared by the browser downloads and the API."""
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Query

from app.activities.filters import ExportQuery
from app.activities.queries import ActivityFilter
from app.core.clock import today
from app.dashboards.periods import parse as parse_period


@dataclass
class ExportParams:
    filter: ActivityFilter
    boundaries: str
    at: date | None


def _empty_to_none(value):
    return None if value in ("", None) else value


def export_params(q: Annotated[ExportQuery, Query()]) -> ExportParams:
    """The list filter (see app/activities/filters.py) with the boundaries; a dashboard `period`
    stands for the dates it spans when no date is given."""
    f = q.to_filter()
    boundaries, at_day, period = q.boundaries or "current", q.at, q.period
    if _empty_to_none(period) and f.date_from is None and f.date_to is None:
        span = parse_period(period, today=today())
        f.date_from, f.date_to = span.start, span.end
    return ExportParams(filter=f, boundaries=boundaries, at=at_day)


@dataclass
class ReportParams:
    unit_id: int | None
    period: str | None
    boundaries: str
    at: date | None


def report_params(
    unit_id: Annotated[str | None, Query()] = None,
    period: Annotated[str | None, Query()] = None,
    boundaries: Annotated[str | None, Query()] = None,
    at: Annotated[str | None, Query()] = None,
) -> ReportParams:
    p = export_params(unit_id=unit_id, boundaries=boundaries, at=at, period=None)
    return ReportParams(unit_id=p.filter.unit_id, period=_empty_to_none(period), boundaries=p.boundaries, at=p.at)
