"""Users, their sessions and API tokens, and the login attempts that throttling counts."""
from datetime import datetime
from enum import StrEnum

from pydantic import field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow
from app.core.types import UTCDateTime
from app.core.versions import version_checked
from app.core.schemas import STRICT, read_only_ignored


class Role(StrEnum):
    admin = "admin"
    reviewer = "reviewer"
    reporter = "reporter"
    viewer = "viewer"


ROLE_LABELS = {"admin": "Quản trị", "reviewer": "Cán bộ thẩm định", "reporter": "Cán bộ báo cáo", "viewer": "Người xem"}
# A role may grant only roles ranked at or below its own.
ROLE_RANK = {"viewer": 0, "reporter": 1, "reviewer": 2, "admin": 3}


class UserBase(SQLModel):
    username: str = Field(min_length=3, max_length=64, schema_extra={"pattern": r"^[a-zA-Z0-9_.\-]+$"})
    full_name: str = Field(default="", max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=200)
    role: Role = Field(max_length=16)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    is_active: bool = True


class User(UserBase, table=True):
    __tablename__ = "user_account"
    __mapper_args__ = version_checked()
    # The order of the user list (its keyset is a row comparison on these columns).
    __table_args__ = (Index("ix_user_account_username_id", "username", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    # Bumped on every change; an edit made from an older version is refused (409).
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    username: str = Field(max_length=64, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


def _yes_no_only(value):
    """`is_active` is true or false: a number (`0`) is not read as one."""
    if value is not None and not isinstance(value, bool):
        raise PydanticCustomError("bool_type", "A yes/no value is expected")
    return value


class UserCreate(UserBase):
    model_config = STRICT
    password: str = Field(min_length=8, max_length=200)
    yes_no_only = field_validator("is_active", mode="before")(_yes_no_only)


class UserUpdate(SQLModel):
    model_config = STRICT
    read_only_ignored = read_only_ignored(lambda: UserPublic)
    version: int = Field(description="The version you last read: an older one is refused (409 with the current record)")
    full_name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=200)
    role: Role | None = None
    unit_id: int | None = None
    agency_id: int | None = None
    is_active: bool | None = None
    yes_no_only = field_validator("is_active", mode="before")(_yes_no_only)


class UserPublic(UserBase):
    id: int
    version: int
    created_at: datetime


class AuthSession(SQLModel, table=True):
    """A browser login. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "auth_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"
    # A form sent twice (a refresh, a double tap) carries the same request id: one token, not two.
    __table_args__ = (Index("ux_api_token_user_request", "user_id", "request_id", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    name: str = Field(default="", max_length=100)
    prefix: str = Field(max_length=12)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    request_id: str | None = Field(default=None, max_length=36)


class ApiTokenPublic(SQLModel):
    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class LoginThrottle(SQLModel, table=True):
    """One fixed-window counter of sign-in attempts: for a username from one client address, for a
    client address, or for a username from anywhere (see app/accounts/throttle.py)."""

    __tablename__ = "login_throttle"
    key: str = Field(max_length=160, primary_key=True)
    # The username the counter is about ("" for an address), so a password reset can clear it.
    username: str = Field(default="", max_length=64, index=True)
    window_start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    attempts: int = 0
