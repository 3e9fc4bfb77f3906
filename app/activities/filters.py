"""The one filter of the activity list, read from the query string by the JSON list, the exports
and their HTML downloads alike: the same names, the same bounds, the same refusals (422).

An empty value (as an HTML filter form sends it) means "not filtered". Dates and times must be
ISO 8601 text: a number such as `0.5` is not a time (pydantic would read it as seconds since 1970).
"""
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from app.activities.models import MAX_ID, ActivityStatus
from app.activities.queries import ActivityFilter
from app.activities.types import TYPES
from app.core.types import IsoDate, IsoDateTime


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
TypeCode = Literal[tuple(TYPES)]  # type: ignore[valid-type]


def _blank_allowed(schema: dict) -> None:
    """An HTML filter form sends "" for "any": the document says so (the value reads as not filtered)."""
    schema.setdefault("anyOf", []).append({"type": "string", "const": ""})


def blank(**kwargs):
    return Field(default=None, json_schema_extra=_blank_allowed, **kwargs)


class ActivityQuery(BaseModel):
    """The list filter: `unit_id` keeps that unit and every unit below it."""

    unit_id: Id | None = blank()
    type: TypeCode | None = blank()
    status: ActivityStatus | None = blank()
    date_from: IsoDate | None = blank()
    date_to: IsoDate | None = blank()
    task_id: Id | None = blank()
    plan_id: Id | None = blank()
    agency_id: Id | None = blank()

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    def to_filter(self, **more) -> ActivityFilter:
        return ActivityFilter(unit_id=self.unit_id, type=self.type, status=self.status, date_from=self.date_from,
                              date_to=self.date_to, task_id=self.task_id, plan_id=self.plan_id,
                              agency_id=self.agency_id, **more)


class ActivityFeedQuery(ActivityQuery):
    updated_since: IsoDateTime | None = blank(description="Change feed: ordered by updated_at, id")


class ExportQuery(ActivityQuery):
    boundaries: Literal["current", "as_of"] | None = blank()
    at: IsoDate | None = blank()
    period: str | None = Field(default=None, max_length=16,
                               description="as on the dashboard: 2026, 2026-H1, 2026-Q1, 2026-03")
