"""The activity summary: every figure of the activities, added up ahead of time.

See `app.progress.summary` for its grain, why, and how it is kept exact.
"""
from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

# Every summable column of an activity, in the order the reports name them: the figures
# (`app.progress.figures`) sum these, and the summary keeps one sum of each.
SUMMED_COLUMNS = (
    "sessions", "participants", "participants_women", "participants_ethnic", "participants_poor",
    "participants_near_poor", "participants_escaped", "participants_officials", "copies", "copies_distributed",
    "airings", "minutes", "items", "places", "teams", "audience", "reach", "questions_raised", "questions_answered",
    "commended_collectives", "commended_individuals", "cost_central_vnd", "cost_local_vnd", "cost_mobilised_vnd",
    "cost_vnd",
)
# The key of a summary row, in the order deltas are applied (and rows are locked).
KEY_COLUMNS = ("plan_id", "task_id", "unit_id", "month", "type", "status", "agency_id")
# The key of a province row: the unit's province of the day and today's province in its place. No
# agency: only the national admin, who sees every agency's entries, reads these rows.
PROVINCE_KEY_COLUMNS = ("plan_id", "task_id", "province_id", "current_province_id", "month", "type", "status")
NO_PROVINCE = 0  # province ids of a unit without one
# The numbers of a summary row: how many activities, and the sum of each summable column.
VALUE_COLUMNS = ("activities",) + SUMMED_COLUMNS
# What the figures by unit read (status, type, the count and the summed columns they show).
COVERED_COLUMNS = ("status", "type", "activities", "sessions", "participants", "participants_poor", "copies",
                   "airings", "minutes", "items", "cost_vnd")
NO_PLAN = 0    # plan_id of the rows that count every activity, linked to a task or not
NO_TASK = 0    # task_id of the rows that count an activity once per plan (or once in all)
NO_AGENCY = 0  # agency_id of activities logged without an agency


def _sum() -> int:
    return Field(default=0, sa_column_kwargs={"nullable": False}, sa_type=BigInteger)


class SummedValues(SQLModel):
    """The numbers of a summary row, of either table: how many activities, and the sum of each
    summable column (declared once; the tables add their keys)."""

    activities: int = _sum()
    sessions: int = _sum()
    participants: int = _sum()
    participants_women: int = _sum()
    participants_ethnic: int = _sum()
    participants_poor: int = _sum()
    participants_near_poor: int = _sum()
    participants_escaped: int = _sum()
    participants_officials: int = _sum()
    copies: int = _sum()
    copies_distributed: int = _sum()
    airings: int = _sum()
    minutes: int = _sum()
    items: int = _sum()
    places: int = _sum()
    teams: int = _sum()
    audience: int = _sum()
    reach: int = _sum()
    questions_raised: int = _sum()
    questions_answered: int = _sum()
    commended_collectives: int = _sum()
    commended_individuals: int = _sum()
    cost_central_vnd: int = _sum()
    cost_local_vnd: int = _sum()
    cost_mobilised_vnd: int = _sum()
    cost_vnd: int = _sum()


class ActivitySummary(SummedValues, table=True):
    """Activities of one unit, month, type, status and agency, counted three ways:
    plan_id = task_id = 0: every activity; plan_id = P, task_id = 0: the activities linked to
    some task of plan P (once each); plan_id = P, task_id = T: the activities linked to task T."""

    __tablename__ = "activity_summary"
    __table_args__ = (
        # A period of the whole country (or of a plan, a task) across units: by month first.
        Index("ix_activity_summary_month", "plan_id", "task_id", "month", "unit_id"),
        # A few units across plans and tasks (the split communes of the boundary notes).
        Index("ix_activity_summary_unit", "unit_id", "month"),
        # The units of a subtree, read from the index alone on PostgreSQL (the child units and the
        # progress of a province at 10 million activities: 160 ms of scattered rows became 17 ms).
        Index("ix_activity_summary_cover", "plan_id", "task_id", "unit_id", "month",
              postgresql_include=list(COVERED_COLUMNS)),
    )
    plan_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    task_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    unit_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    month: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})  # year × 100 + month: 202603
    type: str = Field(primary_key=True, max_length=32)
    status: str = Field(primary_key=True, max_length=16)
    agency_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})


assert tuple(c for c in ActivitySummary.model_fields if c not in KEY_COLUMNS) == VALUE_COLUMNS


class ProvinceSummary(SummedValues, table=True):
    """The activity summary added up per province (the unit's province of the day and today's), so
    that the national view reads a few thousand rows whatever the number of activities. Kept from
    the same deltas as `ActivitySummary`, in the same transaction."""

    __tablename__ = "activity_summary_province"
    __table_args__ = (
        # A province's rows by today's province: those of the legacy provinces that went into it
        # (the key names the province of the day first: the dashboard of Hải Phòng scanned every
        # province's rows of the period for them, 5.5 ms at 1 million activities, now 0.6).
        Index("ix_activity_summary_province_current", "plan_id", "task_id", "current_province_id", "month"),
    )
    plan_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    task_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    province_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    current_province_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    month: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    type: str = Field(primary_key=True, max_length=32)
    status: str = Field(primary_key=True, max_length=16)


assert tuple(c for c in ProvinceSummary.model_fields if c not in PROVINCE_KEY_COLUMNS) == VALUE_COLUMNS
