"""Browser-side downloads and the print-ready report page."""
from io import BytesIO
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response

from app.accounts.deps import DbSession, PageUser
from app.core.clock import today
from app.core.db import UnitOfWork
from app.core.templating import render
from app.dashboards.views import filter_from
from app.progress import progress as progress_queries
from app.progress.periods import choices as period_choices
from app.reports import downloads
from app.reports.data import build_plan_report
from app.reports.params import ExportParams, ReportParams, export_params, report_params
from app.reports.progress_xlsx import write_progress_xlsx

router = APIRouter(prefix="/reports", include_in_schema=False, route_class=UnitOfWork)
Params = Annotated[ExportParams, Depends(export_params)]
Report = Annotated[ReportParams, Depends(report_params)]


@router.get("/activities.xlsx")
def activities_xlsx(user: PageUser, session: DbSession, p: Params):
    return downloads.xlsx_response(session, user, p)


@router.get("/activities.csv")
def activities_csv(user: PageUser, session: DbSession, p: Params):
    return downloads.csv_response(session, user, p)


@router.get("/progress.xlsx")
def progress_xlsx(request: Request, user: PageUser, session: DbSession):
    """The progress page's figures as a workbook (for a national admin, one row per province)."""
    f = filter_from(request)
    report = progress_queries.progress(session, user, plan_id=f.plan_id, task_id=f.task_id, unit_id=f.unit_id,
                                       period=f.period, boundaries=f.boundaries,
                                       include_submitted=request.query_params.get("approved_only") != "1")
    out = BytesIO()
    write_progress_xlsx(out, report)
    return Response(out.getvalue(), media_type=downloads.XLSX_TYPE, headers={
        "Content-Disposition": f'attachment; filename="tien-do-{report.period}.xlsx"', "Cache-Control": "no-store"})


@router.get("/plan/{plan_id}.docx")
def plan_docx(plan_id: int, user: PageUser, session: DbSession, p: Report):
    return downloads.docx_response(session, user, plan_id, p.unit_id, p.period, p.boundaries, p.at)


@router.get("/plan/{plan_id}")
def plan_page(plan_id: int, request: Request, user: PageUser, session: DbSession, p: Report):
    report = build_plan_report(session, user, plan_id, p.unit_id, p.period, p.boundaries, p.at)
    query = {"unit_id": report.unit_id, "period": p.period or "", "boundaries": p.boundaries,
             "at": p.at.isoformat() if p.at else ""}
    docx_url = f"/reports/plan/{plan_id}.docx?" + urlencode({k: v for k, v in query.items() if v})
    form = {"period": report.period_key, "boundaries": p.boundaries, "at": query["at"]}
    periods = [("plan", "Cả kỳ kế hoạch")] + period_choices(today())
    if report.period_key not in {key for key, _ in periods}:
        periods.insert(0, (report.period_key, report.period))
    return render(request, "reports/plan.html", {"report": report, "docx_url": docx_url, "form": form,
                                                 "periods": periods, "title": f"Báo cáo: {report.subtitle}"})
