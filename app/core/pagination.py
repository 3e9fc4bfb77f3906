"""Cursor pagination shared by every JSON list: `{"items": [...], "next_cursor": "..."}`.

The cursor encodes the sort key of the last item returned, so pages stay stable while rows are
added (keyset pagination, no OFFSET). The condition "after the cursor" is one row comparison,
`(a, b) > (:a, :b)`, on the very columns of the ORDER BY: PostgreSQL answers it from an index on
those columns (an Index Cond, not a Filter), so page 10,000 costs what page 1 costs. Written as
`a > :a OR (a = :a AND b > :b)` it could not, and every page read all the rows before it.
"""
import base64
import json
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import literal, tuple_
from sqlalchemy.sql import ColumnElement

from app.core.errors import ApiError, field_error

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *types: Callable[[Any], Any]) -> list[Any] | None:
    """The values of a cursor, each converted by the matching type (`int`, `date.fromisoformat`…);
    a cursor this API did not hand out answers 400, never 500."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or (types and len(values) != len(types)):
            raise ValueError
        return [convert(v) for convert, v in zip(types, values)] if types else values
    except (TypeError, ValueError, AttributeError, OverflowError):
        raise ApiError(400, "invalid_cursor", "Con trỏ phân trang không hợp lệ.",
                       [field_error("query.cursor", "invalid", "Con trỏ này không phải do Loa trả về.")])


def after_key(columns: tuple, values: list[Any], *, descending: bool = False) -> ColumnElement[bool]:
    """Rows after the cursor `values` in the order of `columns` (all ascending, or all descending
    with `descending=True`): `(c1, c2) > (v1, v2)`, resp. `<`. Each value is bound with its column's
    type, so UUIDs and UTC times compare alike on SQLite and PostgreSQL."""
    left = tuple_(*columns)
    right = tuple_(*(literal(value, column.type) for column, value in zip(columns, values, strict=True)))
    return left < right if descending else left > right


def fetch_page(session, query, limit: int, key: Callable[[Any], list[Any]], *, scalars: bool = True):
    """One page of an ordered keyset query: at most `limit` rows and the cursor after the last
    (None on the last page). `key` gives the cursor values of a row."""
    limit = max(1, min(limit, MAX_LIMIT))
    result = session.execute(query.limit(limit + 1))
    rows = list(result.scalars() if scalars else result.all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(key(rows[-1]))
