"""Activities (hoạt động truyền thông): what officers did, with the quantities reports sum."""
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow
from app.core.schemas import STRICT, read_only_ignored
from app.core.types import UTCDateTime
from app.core.versions import version_checked


class ActivityStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    returned = "returned"


# Upper bounds: far above any real figure, they catch a slip of the keyboard and keep every value
# and every derived sum (minutes = airings × minutes per airing, cost = the three sources) within
# the database's integer columns.
MAX_COUNT = 100_000_000
MAX_AIRINGS = 1_000_000
MAX_MINUTES_PER_AIRING = 1_440  # a whole day
MAX_VND = 10**15  # a million billion đồng per funding source
MAX_ID = 2**31 - 1
# Bounds of the texts and lists an entry carries (titles and notes have theirs on the fields).
MAX_LIST_ITEMS = 20  # topics, audience groups
MAX_ITEM_LENGTH = 200
MAX_DETAILS = 20  # a type has at most a handful of details
MAX_DETAIL_NAME = 64
MAX_DETAIL_LENGTH = 2000
MAX_TASKS = 50  # tasks one entry serves

ListItem = Annotated[str, Field(max_length=MAX_ITEM_LENGTH)]
DetailName = Annotated[str, Field(max_length=MAX_DETAIL_NAME)]
DetailValue = Annotated[str, Field(max_length=MAX_DETAIL_LENGTH)]
TaskId = Annotated[int, Field(ge=1, le=MAX_ID)]


def _no_booleans(value: Any) -> Any:
    """`true` is not a count (pydantic would read it as 1); no field of an entry is a yes/no."""
    if isinstance(value, bool):
        raise PydanticCustomError("bool_not_allowed", "A yes/no value is not allowed here")
    return value


class ActivityCounts(SQLModel):
    """Participants, quantities and cost: every number an activity can carry."""

    participants: int = Field(default=0, ge=0, le=MAX_COUNT)
    participants_women: int = Field(default=0, ge=0, le=MAX_COUNT)
    participants_ethnic: int = Field(default=0, ge=0, le=MAX_COUNT)
    participants_poor: int = Field(default=0, ge=0, le=MAX_COUNT)
    participants_near_poor: int = Field(default=0, ge=0, le=MAX_COUNT)
    participants_escaped: int = Field(default=0, ge=0, le=MAX_COUNT)
    participants_officials: int = Field(default=0, ge=0, le=MAX_COUNT)
    sessions: int = Field(default=0, ge=0, le=MAX_COUNT)
    airings: int = Field(default=0, ge=0, le=MAX_AIRINGS)
    minutes_per_airing: int = Field(default=0, ge=0, le=MAX_MINUTES_PER_AIRING)
    copies: int = Field(default=0, ge=0, le=MAX_COUNT)
    copies_distributed: int = Field(default=0, ge=0, le=MAX_COUNT)
    items: int = Field(default=0, ge=0, le=MAX_COUNT)
    places: int = Field(default=0, ge=0, le=MAX_COUNT)
    teams: int = Field(default=0, ge=0, le=MAX_COUNT)
    audience: int = Field(default=0, ge=0, le=MAX_COUNT)
    reach: int = Field(default=0, ge=0, le=MAX_COUNT)
    questions_raised: int = Field(default=0, ge=0, le=MAX_COUNT)
    questions_answered: int = Field(default=0, ge=0, le=MAX_COUNT)
    commended_collectives: int = Field(default=0, ge=0, le=MAX_COUNT)
    commended_individuals: int = Field(default=0, ge=0, le=MAX_COUNT)
    cost_central_vnd: int = Field(default=0, ge=0, le=MAX_VND, sa_type=BigInteger)
    cost_local_vnd: int = Field(default=0, ge=0, le=MAX_VND, sa_type=BigInteger)
    cost_mobilised_vnd: int = Field(default=0, ge=0, le=MAX_VND, sa_type=BigInteger)


class ActivityBase(ActivityCounts):
    type: str = Field(max_length=32)
    title: str = Field(min_length=2, max_length=500)
    start_date: date
    end_date: date | None = None
    unit_id: int = Field(foreign_key="unit.id", ge=1, le=MAX_ID)
    agency_id: int | None = Field(default=None, foreign_key="agency.id", ge=1, le=MAX_ID)
    notes: str | None = Field(default=None, max_length=5000)


class Activity(ActivityBase, table=True):
    # Each list order has an index with the same columns, behind its usual leading filter, so a
    # page is read from the index at any depth (the keyset is a row comparison on these columns):
    # the list, newest first (start_date, id), alone or behind unit, status or type; the change
    # feed (updated_at, id); the review queue (status, submitted_at, id). Dashboards use the
    # (unit | status | type, start_date) prefixes for their date ranges.
    __table_args__ = (
        Index("ix_activity_date", "start_date", "id"),
        Index("ix_activity_unit_date", "unit_id", "start_date", "id"),
        Index("ix_activity_status_date", "status", "start_date", "id"),
        Index("ix_activity_type_date", "type", "start_date", "id"),
        Index("ix_activity_updated", "updated_at", "id"),
        Index("ix_activity_review_queue", "status", "submitted_at", "id"),
        # Counts by status within a scope (the review queue's size) from the index alone.
        Index("ix_activity_status_unit", "status", "unit_id"),
        # Completeness's late count: per unit, only the entries sent after a deadline.
        Index("ix_activity_unit_submitted", "unit_id", "submitted_at"),
        # The same orders within one province (see `province_id`): the list, the change feed and
        # the review queue in either of its orders; the unit last in the queue's, so that a queue
        # page's ids and the queue's size within the reviewer's scope are read from the index alone.
        Index("ix_activity_province_date", "province_id", "start_date", "id"),
        Index("ix_activity_province_updated", "province_id", "updated_at", "id"),
        Index("ix_activity_province_queue", "province_id", "status", "submitted_at", "id", "unit_id"),
        Index("ix_activity_province_status_date", "province_id", "status", "start_date", "id", "unit_id"),
    )
    # The version moves on edits and review steps (see app.core.versions); every write checks it.
    __mapper_args__ = version_checked(bumped_by_code=True)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # The province the entry's unit lies in today (`units.models.today_province_id`), so that a page
    # of one province's entries is read from an index over that province alone, not over every
    # province's with 29 rows in 30 dropped by the scope (app/access.py states it beside the scope).
    # Set on every write of `unit_id`, refreshed when units change province (activities/provinces.py).
    province_id: int | None = None
    status: ActivityStatus = Field(default=ActivityStatus.draft, max_length=16)
    # Derived on every write so that sums need no arithmetic: airings × minutes, total cost.
    minutes: int = Field(default=0, ge=0)
    cost_vnd: int = Field(default=0, ge=0, sa_type=BigInteger)
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    audiences: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Bumped on every change; a client editing an older version is refused (409).
    version: int = 1
    review_comment: str | None = Field(default=None, max_length=2000)
    submitted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    reviewed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    reviewed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class ActivityTask(SQLModel, table=True):
    """The task(s) an activity serves."""

    __tablename__ = "activity_task"
    activity_id: uuid.UUID = Field(foreign_key="activity.id", primary_key=True)
    task_id: int = Field(foreign_key="task.id", primary_key=True, index=True)


class Evidence(SQLModel, table=True):
    """A photo or scan attached to an activity; files live under the media directory."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    activity_id: uuid.UUID = Field(foreign_key="activity.id", index=True)
    kind: str = Field(max_length=16)  # photo, pdf
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=64)
    size_bytes: int
    width: int | None = None
    height: int | None = None
    captured_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    path: str = Field(max_length=500)
    thumb_path: str | None = Field(default=None, max_length=500)
    # Hash of the uploaded bytes: a retried upload of the same file is not stored twice.
    sha256: str | None = Field(default=None, max_length=64, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


# --- schemas -------------------------------------------------------------------------------------

class ActivityCreate(ActivityBase):
    """What a client sends to log an activity. `id` may be chosen by the client (UUID) so that a
    retried submission finds the stored record instead of creating a second one. The OpenAPI
    document describes it per type (see app/activities/schemas.py)."""

    model_config = STRICT
    refuse_booleans = field_validator("*", mode="before")(_no_booleans)
    read_only_ignored = read_only_ignored(lambda: ActivityPublic)

    id: uuid.UUID | None = None
    title: str | None = Field(default=None, max_length=500)  # defaults to the type's name
    status: ActivityStatus = ActivityStatus.draft  # "submitted" logs and submits in one call
    task_ids: list[TaskId] = Field(default_factory=list, max_length=MAX_TASKS)
    topics: list[ListItem] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    audiences: list[ListItem] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    details: dict[DetailName, DetailValue] = Field(default_factory=dict, max_length=MAX_DETAILS)


class ActivityUpdate(SQLModel):
    """A partial change. `version` is the version the client last saw: an older one is refused."""

    model_config = STRICT
    refuse_booleans = field_validator("*", mode="before")(_no_booleans)
    read_only_ignored = read_only_ignored(lambda: ActivityPublic)

    version: int = Field(description="The version you last read: an older one is refused (409 with the current record)")
    type: str | None = Field(default=None, max_length=32)
    title: str | None = Field(default=None, max_length=500)
    start_date: date | None = None
    end_date: date | None = None
    unit_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    agency_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    notes: str | None = Field(default=None, max_length=5000)
    task_ids: list[TaskId] | None = Field(default=None, max_length=MAX_TASKS)
    topics: list[ListItem] | None = Field(default=None, max_length=MAX_LIST_ITEMS)
    audiences: list[ListItem] | None = Field(default=None, max_length=MAX_LIST_ITEMS)
    details: dict[DetailName, DetailValue] | None = Field(default=None, max_length=MAX_DETAILS)
    participants: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    participants_women: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    participants_ethnic: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    participants_poor: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    participants_near_poor: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    participants_escaped: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    participants_officials: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    sessions: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    airings: int | None = Field(default=None, ge=0, le=MAX_AIRINGS)
    minutes_per_airing: int | None = Field(default=None, ge=0, le=MAX_MINUTES_PER_AIRING)
    copies: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    copies_distributed: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    items: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    places: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    teams: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    audience: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    reach: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    questions_raised: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    questions_answered: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    commended_collectives: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    commended_individuals: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    cost_central_vnd: int | None = Field(default=None, ge=0, le=MAX_VND)
    cost_local_vnd: int | None = Field(default=None, ge=0, le=MAX_VND)
    cost_mobilised_vnd: int | None = Field(default=None, ge=0, le=MAX_VND)


class EvidencePublic(SQLModel):
    id: uuid.UUID
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    width: int | None = None
    height: int | None = None
    captured_at: datetime | None = None
    created_at: datetime
    url: str
    thumb_url: str | None = None


class ActivityPublic(ActivityBase):
    id: uuid.UUID
    status: ActivityStatus
    minutes: int
    cost_vnd: int
    topics: list[str]
    audiences: list[str]
    details: dict[str, Any]
    version: int
    review_comment: str | None = None
    submitted_at: datetime | None = None
    reviewed_at: datetime | None = None
    reviewed_by_id: int | None = None
    created_by_id: int | None = None
    updated_by_id: int | None = None
    created_at: datetime
    updated_at: datetime
    task_ids: list[int] = Field(default_factory=list)
    evidence: list[EvidencePublic] = Field(default_factory=list)


class DeletedActivity(SQLModel):
    """A deleted draft, for the change feed: integrators drop the id they hold."""

    id: uuid.UUID
    deleted_at: datetime
    unit_id: int | None
