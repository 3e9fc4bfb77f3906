"""Plans (kế hoạch), their tasks (nhiệm vụ) and targets (chỉ tiêu)."""
import datetime as dt
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow
from app.core.types import UTCDateTime
from app.core.versions import version_checked
from app.core.schemas import STRICT, read_only_ignored


class PlanStatus(StrEnum):
    draft = "draft"
    active = "active"
    closed = "closed"


PLAN_STATUS_LABELS = {"draft": "Dự thảo", "active": "Đang thực hiện", "closed": "Đã kết thúc"}


class Metric(StrEnum):
    activities = "activities"
    sessions = "sessions"
    participants = "participants"
    copies = "copies"
    airings = "airings"
    minutes = "minutes"
    items = "items"
    cost_vnd = "cost_vnd"


METRIC_LABELS = {
    "activities": "Số hoạt động", "sessions": "Số buổi/lớp", "participants": "Số người tham gia",
    "copies": "Số bản in", "airings": "Số lần phát sóng", "minutes": "Số phút phát sóng",
    "items": "Số tin, bài, sản phẩm", "cost_vnd": "Kinh phí (đồng)",
}


class TargetPeriod(StrEnum):
    plan = "plan"
    year = "year"
    quarter = "quarter"
    month = "month"


TARGET_PERIOD_LABELS = {"plan": "Cả kỳ kế hoạch", "year": "Mỗi năm", "quarter": "Mỗi quý", "month": "Mỗi tháng"}


class PlanBase(SQLModel):
    number: str | None = Field(default=None, max_length=64)
    title: str = Field(min_length=3, max_length=500)
    programme: str | None = Field(default=None, max_length=300)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    issued_on: date | None = None
    period_start: date
    period_end: date
    parent_plan_id: int | None = Field(default=None, foreign_key="plan.id", index=True)
    budget_central_vnd: int = Field(default=0, ge=0, sa_type=BigInteger)
    budget_local_vnd: int = Field(default=0, ge=0, sa_type=BigInteger)
    budget_mobilised_vnd: int = Field(default=0, ge=0, sa_type=BigInteger)
    # Funds of other programmes used for this plan ("lồng ghép"), and what a stated total holds beyond
    # the sources it names ("chưa phân nguồn"), so that no part of a plan's budget is lost.
    budget_integrated_vnd: int = Field(default=0, ge=0, sa_type=BigInteger)
    budget_unallocated_vnd: int = Field(default=0, ge=0, sa_type=BigInteger)
    status: PlanStatus = Field(default=PlanStatus.draft, max_length=16)


class Plan(PlanBase, table=True):
    # ix_plan_start_id: the order of the plan list, newest first (its keyset is a row comparison).
    __table_args__ = (Index("ix_plan_period", "period_start", "period_end"),
                      Index("ix_plan_start_id", "period_start", "id"))
    __mapper_args__ = version_checked()
    id: int | None = Field(default=None, primary_key=True)
    # Bumped on every change; an edit made from an older version is refused (409).
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    # The provincial task this plan implements (cascade). No foreign key: plan and task would
    # reference each other, which SQLite cannot create in one pass.
    parent_task_id: int | None = Field(default=None, index=True)
    # [{"number": ..., "date": ..., "issuer": ..., "title": ...}]
    legal_bases: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    document_name: str | None = Field(default=None, max_length=255)
    document_path: str | None = Field(default=None, max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class TaskBase(SQLModel):
    title: str = Field(min_length=3, max_length=500)
    description: str = Field(default="", max_length=20000)
    lead_agency_id: int | None = Field(default=None, foreign_key="agency.id")
    due_date: date | None = None
    # Reports are due every year on this day and month (e.g. 20/11), or once on report_deadline.
    report_deadline: date | None = None
    report_frequency: str = Field(default="year", max_length=16)  # once, month, quarter, half, year
    parent_task_id: int | None = Field(default=None, foreign_key="task.id", index=True)


class Task(TaskBase, table=True):
    __mapper_args__ = version_checked()
    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    plan_id: int = Field(foreign_key="plan.id", index=True)
    position: int = 0
    activity_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # How the assigned units were chosen, e.g. {"every": "commune", "of_unit_id": 21000030}.
    assignment: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class TaskPartner(SQLModel, table=True):
    __tablename__ = "task_partner"
    task_id: int = Field(foreign_key="task.id", primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", primary_key=True, index=True)


class TaskUnit(SQLModel, table=True):
    """A unit that must carry out a task (the expansion of the task's assignment)."""

    __tablename__ = "task_unit"
    task_id: int = Field(foreign_key="task.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True, index=True)


class TargetBase(SQLModel):
    metric: Metric = Field(max_length=16)
    quantity: int = Field(ge=0, sa_type=BigInteger)  # cost_vnd targets run into billions of đồng
    period: TargetPeriod = Field(default=TargetPeriod.plan, max_length=16)
    per_unit: bool = True
    activity_type: str | None = Field(default=None, max_length=32)


class Target(TargetBase, table=True):
    __table_args__ = (UniqueConstraint("task_id", "metric", "period", "activity_type", name="uq_target"),)
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)


# --- schemas ----------------------------------------------------------------------------------

ASSIGN_LEVELS = ("commune", "district")
MAX_AMOUNT = 10**15  # đồng; keeps amounts inside a 64-bit column
# Bounds of the lists a plan and a task carry, far above any real plan; they also keep every list
# of ids within what one database statement takes.
MAX_LEGAL_BASES = 100
MAX_TASKS = 500
MAX_PARTNERS = 100
MAX_ASSIGNED_UNITS = 5000  # explicit list; "every commune of X" has no such limit
MAX_TARGETS = 200
MAX_ACTIVITY_TYPES = 50
ActivityTypeCode = Annotated[str, Field(max_length=32)]


class LegalBasis(SQLModel):
    number: str = Field(default="", max_length=100)
    date: dt.date | None = None
    issuer: str = Field(default="", max_length=300)
    title: str = Field(default="", max_length=1000)


class Assignment(SQLModel):
    """Either every unit of a level under a unit, or an explicit list of units."""

    model_config = STRICT
    every: str | None = Field(default=None, max_length=16)
    of_unit_id: int | None = None
    unit_ids: list[int] = Field(default_factory=list, max_length=MAX_ASSIGNED_UNITS)


class TargetCreate(SQLModel):
    model_config = STRICT
    # Optional here so that a missing metric is refused with a message beside the row.
    metric: Metric | None = None
    quantity: int = Field(default=0, ge=0, le=MAX_AMOUNT)
    period: TargetPeriod = TargetPeriod.plan
    per_unit: bool = True
    activity_type: str | None = Field(default=None, max_length=32)


class TargetPublic(TargetBase):
    id: int


class TaskCreate(SQLModel):
    model_config = STRICT
    read_only_ignored = read_only_ignored(lambda: TaskPublic)
    title: str = Field(min_length=3, max_length=500)
    description: str = Field(default="", max_length=20000)
    lead_agency_id: int | None = None
    partner_agency_ids: list[int] = Field(default_factory=list, max_length=MAX_PARTNERS)
    assignment: Assignment | None = None
    activity_types: list[ActivityTypeCode] = Field(default_factory=list, max_length=MAX_ACTIVITY_TYPES)
    due_date: date | None = None
    report_deadline: date | None = None
    report_frequency: str = Field(default="year", max_length=16)
    targets: list[TargetCreate] = Field(default_factory=list, max_length=MAX_TARGETS)
    position: int | None = None


class TaskUpdate(SQLModel):
    """Fields left out stay as they are; `assignment` or `targets` given replace the old ones."""

    model_config = STRICT
    read_only_ignored = read_only_ignored(lambda: TaskPublic)
    version: int = Field(description="The version you last read: an older one is refused (409 with the current record)")
    title: str | None = Field(default=None, min_length=3, max_length=500)
    description: str | None = Field(default=None, max_length=20000)
    lead_agency_id: int | None = None
    partner_agency_ids: list[int] | None = Field(default=None, max_length=MAX_PARTNERS)
    assignment: Assignment | None = None
    activity_types: list[ActivityTypeCode] | None = Field(default=None, max_length=MAX_ACTIVITY_TYPES)
    due_date: date | None = None
    report_deadline: date | None = None
    report_frequency: str | None = Field(default=None, max_length=16)
    targets: list[TargetCreate] | None = Field(default=None, max_length=MAX_TARGETS)
    position: int | None = None


class TaskPublic(TaskBase):
    id: int
    version: int
    plan_id: int
    position: int
    activity_types: list[str]
    assignment: dict[str, Any]
    partner_agency_ids: list[int] = Field(default_factory=list)
    unit_ids: list[int] = Field(default_factory=list)
    unit_count: int = 0
    targets: list[TargetPublic] = Field(default_factory=list)


class PlanCreate(SQLModel):
    model_config = STRICT
    read_only_ignored = read_only_ignored(lambda: PlanPublic)
    number: str | None = Field(default=None, max_length=64)
    title: str = Field(min_length=3, max_length=500)
    programme: str | None = Field(default=None, max_length=300)
    unit_id: int
    agency_id: int | None = None
    issued_on: date | None = None
    period_start: date
    period_end: date
    parent_plan_id: int | None = None
    budget_central_vnd: int = Field(default=0, ge=0, le=MAX_AMOUNT)
    budget_local_vnd: int = Field(default=0, ge=0, le=MAX_AMOUNT)
    budget_mobilised_vnd: int = Field(default=0, ge=0, le=MAX_AMOUNT)
    budget_integrated_vnd: int = Field(default=0, ge=0, le=MAX_AMOUNT)
    budget_unallocated_vnd: int = Field(default=0, ge=0, le=MAX_AMOUNT)
    status: PlanStatus = PlanStatus.draft
    legal_bases: list[LegalBasis] = Field(default_factory=list, max_length=MAX_LEGAL_BASES)
    # Tasks created with the plan, in the same transaction (used when saving a parsed draft).
    tasks: list[TaskCreate] = Field(default_factory=list, max_length=MAX_TASKS)


class PlanUpdate(SQLModel):
    model_config = STRICT
    read_only_ignored = read_only_ignored(lambda: PlanPublic)
    version: int = Field(description="The version you last read: an older one is refused (409 with the current record)")
    number: str | None = Field(default=None, max_length=64)
    title: str | None = Field(default=None, min_length=3, max_length=500)
    programme: str | None = Field(default=None, max_length=300)
    agency_id: int | None = None
    issued_on: date | None = None
    period_start: date | None = None
    period_end: date | None = None
    parent_plan_id: int | None = None
    budget_central_vnd: int | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    budget_local_vnd: int | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    budget_mobilised_vnd: int | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    budget_integrated_vnd: int | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    budget_unallocated_vnd: int | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    status: PlanStatus | None = None
    legal_bases: list[LegalBasis] | None = Field(default=None, max_length=MAX_LEGAL_BASES)


class PlanPublic(PlanBase):
    id: int
    version: int
    parent_task_id: int | None
    legal_bases: list[dict[str, Any]]
    document_name: str | None
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime
    task_count: int = 0
