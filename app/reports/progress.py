"""What the report needs from the progress queries: visibility, headline numbers, the targets
table and the units that did not report, in the shape the report writes them."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from app import access
from app.accounts.models import User
from app.activities.types import TYPES
from app.plans.models import Plan
from app.progress import completeness as completeness_queries
from app.progress import progress as progress_queries
from app.progress import totals
from app.progress.periods import Span
from app.progress.schemas import ProgressReport
from app.units.models import Unit

# Completeness states that mean "did not report" (nothing logged, or nothing sent for review).
NOT_REPORTED = ("nothing_logged", "nothing_submitted")
SPLIT_MARK = "được chia cho nhiều xã mới"


@dataclass
class TargetProgress:
    task: str
    metric: str
    target: int
    result: int
    percent: float | None
    status: str


def plan_visible(session: Session, user: User, plan: Plan) -> bool:
    query = select(Plan.id).where(Plan.id == plan.id, access.plan_scope_condition(session, user))
    return session.execute(query).first() is not None


def headline_numbers(session: Session, user: User, plan: Plan, unit: Unit, span: Span, boundaries: str,
                     at: date | None) -> dict[str, int]:
    f = totals.FigureFilter(unit_id=unit.id, period=span.key, plan_id=plan.id, status="approved", boundaries=boundaries)
    return totals.headline(session, user, f).model_dump()


def _progress(session, user, plan, unit, span, boundaries, at) -> ProgressReport:
    return progress_queries.progress(session, user, plan_id=plan.id, unit_id=unit.id, period=span.key,
                                     boundaries=boundaries, at=at, include_submitted=False)


def target_progress(session: Session, user: User, plan: Plan, unit: Unit, span: Span, boundaries: str,
                    at: date | None) -> list[TargetProgress]:
    """Each target of each task summed over the assigned units in view; approved work only."""
    report = _progress(session, user, plan, unit, span, boundaries, at)
    return [TargetProgress(task=t.task_title, metric=target_label(t.metric_label, t.activity_type), target=t.target,
                           result=t.approved, percent=t.percent, status=t.status_label) for t in report.tasks]


def target_label(metric_label: str, activity_type: str | None) -> str:
    """'Số buổi/lớp (Tập huấn)': two targets of one task counting the same metric for different
    activity types stay told apart."""
    return f"{metric_label} ({TYPES[activity_type].short})" if activity_type in TYPES else metric_label


def missing_units(session: Session, user: User, plan: Plan, unit: Unit, span: Span, boundaries: str,
                  at: date | None) -> list[str]:
    """Assigned units with nothing submitted for some task of the plan in the period."""
    report = completeness_queries.completeness(session, user, plan_id=plan.id, period=span.key, unit_id=unit.id,
                                               boundaries=boundaries, at=at)
    return sorted({r.unit_name for r in report.lagging if r.state in NOT_REPORTED})


def boundary_notes(session: Session, user: User, plan: Plan, unit: Unit, span: Span, boundaries: str,
                   at: date | None) -> list[str]:
    """The progress notes, with the one-per-commune notes on split communes folded into one line:
    an official report names the rule, the progress page lists the communes."""
    notes = _progress(session, user, plan, unit, span, boundaries, at).notes
    split = [n for n in notes if SPLIT_MARK in n]
    kept = [n for n in notes if SPLIT_MARK not in n]
    if len(split) > 1:
        kept.append(f"{len(split)} đơn vị cấp xã cũ được chia cho nhiều xã mới; hoạt động ghi tại các đơn vị này "
                    "được tính cho xã kế thừa mặc định theo bảng chuyển đổi.")
    return kept + (split if len(split) == 1 else [])
