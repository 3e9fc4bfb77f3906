"""Cursor pagination shared by every JSON list: `{"items": [...], "next_cursor": "..."}`.

The cursor encodes the sort key of the last item returned, so pages stay stable while rows are
added (keyset pagination, no OFFSET).
"""
import base64
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

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


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list):
            raise ValueError
        return values
    except ValueError:
        raise ApiError(400, "invalid_cursor", "Con trỏ phân trang không hợp lệ.",
                       [field_error("query.cursor", "invalid", "Cursor is not one this API returned.")])
