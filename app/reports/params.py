"""Query parameters of the exports, shared by the browser downloads and the API."""
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, Field, field_validator

from app.activities.filters import ExportQuery, Id, blank
from app.activities.queries import ActivityFilter
from app.core.clock import today
from app.core.types import IsoDate
from app.progress.periods import parse as parse_period


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


class ReportQuery(BaseModel):
    """A plan's report: the unit (default: the user's), the period and the boundaries."""

    unit_id: Id | None = blank()
    period: str | None = Field(default=None, max_length=16)
    boundaries: Literal["current", "as_of"] | None = blank()
    at: IsoDate | None = blank()

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_none(cls, value):
        return None if value == "" else value


def report_params(q: Annotated[ReportQuery, Query()]) -> ReportParams:
    return ReportParams(unit_id=q.unit_id, period=q.period, boundaries=q.boundaries or "current", at=q.at)
