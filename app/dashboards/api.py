"""JSON of progress, completeness and the dashboard: the same queries as the pages."""

from fastapi import APIRouter, Query

from app.accounts.deps import ApiUser, DbSession
from app.core.db import UnitOfWork
from app.core.types import IsoDate
from app.dashboards import queries
from app.dashboards.queries import Dashboard, DashboardFilter
from app.progress import completeness as completeness_queries
from app.progress import progress as progress_queries
from app.progress.schemas import CompletenessReport, ProgressReport

router = APIRouter(prefix="/api/v1", tags=["dashboards"], route_class=UnitOfWork)


@router.get("/progress", response_model=ProgressReport)
def progress(session: DbSession, user: ApiUser, plan_id: int | None = None, task_id: int | None = None,
             unit_id: int | None = None, period: str | None = None,
             boundaries: str = Query("current", description="current (today's units) or as_of"),
             at: IsoDate | None = None, include_submitted: bool = True):
    """Per task, assigned unit and target: target for the period, approved, submitted, percent, status."""
    return progress_queries.progress(session, user, plan_id=plan_id, task_id=task_id, unit_id=unit_id,
                                     period=period, boundaries=boundaries, at=at,
                                     include_submitted=include_submitted)


@router.get("/completeness", response_model=CompletenessReport)
def completeness(session: DbSession, user: ApiUser, plan_id: int | None = None, task_id: int | None = None,
                 unit_id: int | None = None, period: str | None = None, boundaries: str = "current",
                 at: IsoDate | None = None):
    """Assigned units that logged nothing, submitted nothing or have nothing approved; late submissions."""
    return completeness_queries.completeness(session, user, plan_id=plan_id, task_id=task_id, unit_id=unit_id,
                                             period=period or "", boundaries=boundaries, at=at)


@router.get("/dashboard", response_model=Dashboard)
def dashboard(session: DbSession, user: ApiUser, unit_id: int | None = None, period: str | None = None,
              plan_id: int | None = None, task_id: int | None = None, type: str | None = None,
              status: str | None = None, boundaries: str = "current", sort: str | None = None):
    """Headline numbers, activity by type and by month, and the child units of the unit in view."""
    f = DashboardFilter(unit_id=unit_id, period=period, plan_id=plan_id, task_id=task_id, type=type,
                        status=status, boundaries=boundaries, sort=sort)
    return queries.dashboard(session, user, f)
