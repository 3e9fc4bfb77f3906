"""JSON-side downloads: the activity list as XLSX or CSV and a plan's report as DOCX."""
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.accounts.deps import ApiUser, DbSession
from app.core.db import UnitOfWork
from app.reports import downloads
from app.core.errors import errors_doc
from app.reports.downloads import DOCX_TYPE, XLSX_TYPE
from app.reports.params import ExportParams, ReportParams, export_params, report_params

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], route_class=UnitOfWork)
Params = Annotated[ExportParams, Depends(export_params)]
Report = Annotated[ReportParams, Depends(report_params)]


def download(media_type: str, description: str) -> dict:
    """The route options of a download: its real media type instead of JSON."""
    return {"response_class": Response, "responses": {
        200: {"description": description, "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}},
        **errors_doc(404)}}


@router.get("/activities.xlsx", summary="Activity list as an Excel workbook (summary + one sheet per type)",
            **download(XLSX_TYPE, "The workbook"))
def activities_xlsx(user: ApiUser, session: DbSession, p: Params):
    """Filters as `GET /api/v1/activities`; `boundaries=current|as_of`, `at=DATE`."""
    return downloads.xlsx_response(session, user, p)


@router.get("/activities.csv", summary="Activity list as CSV (UTF-8 with BOM)",
            **download("text/csv", "The list, one row per activity"))
def activities_csv(user: ApiUser, session: DbSession, p: Params):
    return downloads.csv_response(session, user, p)


@router.get("/plan/{plan_id}.docx", summary="A plan's periodic report as a Word document",
            **download(DOCX_TYPE, "The report"))
def plan_docx(plan_id: int, user: ApiUser, session: DbSession, p: Report):
    """`unit_id` (default: the user's unit), `period` (2026, 2026-H1, 2026-Q3, 2026-05 or plan; default the
    current year), `boundaries=current|as_of`, `at` (report date, and the boundary date for as_of)."""
    return downloads.docx_response(session, user, plan_id, p.unit_id, p.period, p.boundaries, p.at)
