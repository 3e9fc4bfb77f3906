"""Query parameters of the exports, shared by the browser downloads and the API."""
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Query

from app.activities.models import ActivityStatus
from app.activities.queries import ActivityFilter
from app.activities.types import TYPES
from app.core.clock import today
from app.core.errors import ApiError, field_error
from app.progress.periods import parse as parse_period


@dataclass
class ExportParams:
    filter: ActivityFilter
    boundaries: str
    at: date | None


def _empty_to_none(value):
    return None if value in ("", None) else value


def export_params(
    unit_id: Annotated[str | None, Query()] = None,
    type: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query()] = None,
    date_from: Annotated[str | None, Query()] = None,
    date_to: Annotated[str | None, Query()] = None,
    task_id: Annotated[str | None, Query()] = None,
    plan_id: Annotated[str | None, Query()] = None,
    boundaries: Annotated[str | None, Query()] = None,
    at: Annotated[str | None, Query()] = None,
    period: Annotated[str | None, Query(description="as on the dashboard: 2026, 2026-H1, 2026-Q1, 2026-03")] = None,
) -> ExportParams:
    """Empty values (as an HTML filter form sends them) mean 'not filtered'; bad values answer 422.
    A dashboard `period` stands for the dates it spans when no date is given."""
    errors = []

    def integer(name, raw):
        raw = _empty_to_none(raw)
        if raw is None:
            return None
        try:
            return int(raw)
        except ValueError:
            errors.append(field_error(f"query.{name}", "int_parsing", "Phải là số nguyên."))

    def day(name, raw):
        raw = _empty_to_none(raw)
        if raw is None:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors.append(field_error(f"query.{name}", "date_parsing", "Ngày phải có dạng YYYY-MM-DD."))

    type, status = _empty_to_none(type), _empty_to_none(status)
    if type is not None and type not in TYPES:
        errors.append(field_error("query.type", "invalid", "Loại hoạt động không hợp lệ."))
    if status is not None and status not in ActivityStatus.__members__:
        errors.append(field_error("query.status", "invalid", "Trạng thái không hợp lệ."))
    boundaries = _empty_to_none(boundaries) or "current"
    if boundaries not in ("current", "as_of"):
        errors.append(field_error("query.boundaries", "invalid", "Địa giới phải là current hoặc as_of."))
    f = ActivityFilter(unit_id=integer("unit_id", unit_id), type=type, status=status,
                       date_from=day("date_from", date_from), date_to=day("date_to", date_to),
                       task_id=integer("task_id", task_id), plan_id=integer("plan_id", plan_id))
    at_day = day("at", at)
    if errors:
        raise ApiError(422, "validation_error", "Dữ liệu không hợp lệ.", errors)
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
