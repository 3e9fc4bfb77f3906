"""The response schemas of progress, completeness and the headline numbers: the JSON the API
answers and what the pages and reports are drawn from."""
from datetime import date

from pydantic import BaseModel


class ProgressRow(BaseModel):
    """One target of one task for one assigned unit (villages rolled into their commune; legacy
    units into their current successor when looking through today's boundaries)."""

    plan_id: int
    task_id: int
    task_title: str
    unit_id: int
    unit_name: str
    unit_level: str
    assigned_units: int          # assigned units counted in this row (several legacy communes may merge)
    target_id: int
    metric: str
    metric_label: str
    target_period: str           # plan, year, quarter, month
    activity_type: str | None
    target: int | None           # for the viewed period; None when the target is a total, not per unit
    approved: int
    submitted: int
    percent: float | None        # (approved [+ submitted]) / target × 100
    status: str                  # on_track, behind, done
    status_label: str


class TaskProgress(BaseModel):
    """A task's target summed over every assigned unit in view (the dashboard's progress bar)."""

    plan_id: int
    task_id: int
    task_title: str
    target_id: int
    metric: str
    metric_label: str
    activity_type: str | None
    target: int
    approved: int
    submitted: int
    percent: float | None
    status: str
    status_label: str
    units_total: int
    units_behind: int


class ProgressReport(BaseModel):
    plan_id: int | None
    task_id: int | None
    unit_id: int | None
    unit_name: str | None
    period: str
    period_label: str
    start: date
    end: date
    boundaries: str              # current, as_of
    at: date | None
    elapsed: float               # share of the period elapsed today (0..1)
    include_submitted: bool
    rows: list[ProgressRow]
    tasks: list[TaskProgress]
    notes: list[str]


class Contact(BaseModel):
    user_id: int
    full_name: str
    phone: str | None
    email: str | None
    role: str


class CompletenessRow(BaseModel):
    plan_id: int
    task_id: int
    task_title: str
    unit_id: int
    unit_name: str
    unit_level: str
    logged: int                  # any status, drafts included
    submitted: int               # submitted or approved
    approved: int
    late: int                    # submitted after the report deadline
    state: str                   # nothing_logged, nothing_submitted, nothing_approved, ok
    state_label: str
    deadline: date | None        # when the report covering the period was due
    contacts: list[Contact]


class CompletenessProvince(BaseModel):
    """One province of the national view: its assigned units (task × unit rows) by state."""
    province_id: int
    province_name: str
    assigned: int
    counts: dict[str, int]       # state → number of rows
    late: int


class CompletenessReport(BaseModel):
    plan_id: int | None
    task_id: int | None
    unit_id: int | None
    period: str
    period_label: str
    start: date
    end: date
    boundaries: str
    rows: list[CompletenessRow]  # every assigned unit in view
    lagging: list[CompletenessRow]  # rows whose state is not ok
    late_total: int
    counts: dict[str, int]       # state → number of units
    notes: list[str]
    # The whole country (a national admin with no unit in view): the rows added up per province
    # (today's, or the province of the day `as_of`), so that the page drills down province → commune.
    provinces: list[CompletenessProvince] = []


class Headline(BaseModel):
    activities: int
    participants: int
    participants_poor: int
    copies: int
    airings: int
    minutes: int
    cost_central_vnd: int
    cost_local_vnd: int
    cost_mobilised_vnd: int
    cost_vnd: int
