"""Writing the audit trail. Call `record` inside the write's transaction, before its commit."""
import uuid
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, SQLModel

from app.audit.models import AuditEntry
from app.core.clock import utcnow


_AS_IS = frozenset({int, str, float, bool, type(None)})  # most of a row's values: JSON-ready already


def _plain(value: Any) -> Any:
    if type(value) in _AS_IS:
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


SECRET_FIELDS = {"password_hash", "password", "token_hash", "csrf_token"}


def snapshot(obj: SQLModel | dict[str, Any] | None) -> dict[str, Any]:
    """The object's (or a row's) column values as JSON-ready data, secrets left out."""
    if obj is None:
        return {}
    values = obj if isinstance(obj, dict) else obj.model_dump()
    return {k: _plain(v) for k, v in values.items() if k not in SECRET_FIELDS}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    changes = {}
    for k in sorted(before.keys() | after.keys() if before else after):
        old, new = before.get(k), after.get(k)
        if old != new and k not in SECRET_FIELDS:
            changes[k] = {"before": old, "after": new}
    return changes


def audit_row(
    *,
    user,
    entity: str,
    entity_id: Any,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    unit_id: int | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """One audit row's values: who did what to which entity, and what changed."""
    return {
        "at": utcnow(),
        "user_id": getattr(user, "id", None),
        "entity": entity,
        "entity_id": str(entity_id),
        "action": action,
        "unit_id": unit_id,
        "changes": diff(before or {}, after or {}),
        "note": note,
    }


def record_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Writes audit rows (from `audit_row`) now, in one statement, in the caller's transaction."""
    if rows:
        session.execute(insert(AuditEntry.__table__), rows)


def record(session: Session, **fields: Any) -> None:
    """Writes one audit row now, in the caller's transaction (committed or rolled back with it).
    Takes the keywords of `audit_row`."""
    record_many(session, [audit_row(**fields)])
