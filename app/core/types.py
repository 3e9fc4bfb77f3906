"""Column types that behave the same on SQLite and PostgreSQL, and the date types of query parameters."""
import re
from datetime import date, datetime, timezone
from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes in UTC and always returns them aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# Dates and times sent as text (query parameters) as the OpenAPI formats `date` and `date-time`
# (RFC 3339) say: 2026-03-02, 2026-03-02T08:00:00Z or +07:00. Pydantic alone would also read a
# number as seconds since 1970 (`at=0`, `updated_since=0.5`) and a time without its zone.
ISO_FORMATS = {
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "datetime": re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"),
}


def _iso_text(kind: str):
    def check(value: Any) -> Any:
        if value is None or isinstance(value, (date, datetime)):
            return value
        if not isinstance(value, str) or not ISO_FORMATS[kind].fullmatch(value):
            example = "2026-03-02" if kind == "date" else "2026-03-02T08:00:00Z"
            raise PydanticCustomError(f"{kind}_parsing", "Expected ISO 8601 text such as {example}", {"example": example})
        return value
    return BeforeValidator(check)


IsoDate = Annotated[date, _iso_text("date"), Field(description="YYYY-MM-DD")]
IsoDateTime = Annotated[datetime, _iso_text("datetime"), Field(description="ISO 8601, e.g. 2026-03-02T08:00:00Z")]
