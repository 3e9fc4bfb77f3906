"""The audit trail: one row per write, in the same transaction as the write."""
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow
from app.core.types import UTCDateTime


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    # The audit list, newest first (at, id), alone or behind a user; the deletions feed, oldest
    # first, behind entity and action. The keysets are row comparisons on these columns.
    __table_args__ = (
        Index("ix_audit_entity", "entity", "entity_id"),
        Index("ix_audit_at", "at", "id"),
        Index("ix_audit_user_at", "user_id", "at", "id"),
        Index("ix_audit_entity_action_at", "entity", "action", "at", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    entity: str = Field(max_length=40)
    entity_id: str = Field(max_length=64)
    action: str = Field(max_length=40)
    # The unit the entity belongs to, so reviewers see the audit of their scope.
    unit_id: int | None = Field(default=None, index=True)
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    note: str | None = Field(default=None, max_length=1000)


class AuditEntryPublic(SQLModel):
    id: int
    at: datetime
    user_id: int | None
    username: str | None = None
    entity: str
    entity_id: str
    action: str
    unit_id: int | None
    changes: dict[str, Any]
    note: str | None
