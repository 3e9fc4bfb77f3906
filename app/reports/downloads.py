"""HTTP responses of the downloads, shared by the browser pages and the API."""
import logging
import os
import tempfile
import time

from fastapi.responses import FileResponse, StreamingResponse
from sqlmodel import Session
from starlette.background import BackgroundTask

from app import access
from app.accounts.models import User
from app.core import metrics
from app.core.clock import today, utcnow
from app.core.db import get_engine
from app.plans.models import Plan, Task
from app.reports.csv import activity_csv
from app.reports.data import build_plan_report
from app.reports.docx import write_plan_docx
from app.reports.params import ExportParams
from app.reports.progress import plan_visible
from app.reports.xlsx import write_activities_xlsx

log = logging.getLogger("loa.reports")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _disposition(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}


def _exported(fmt: str, started: float, user: User, **fields) -> None:
    seconds = time.perf_counter() - started
    metrics.EXPORT_SECONDS.labels(fmt).observe(seconds)
    log.info("export", extra={"format": fmt, "duration_ms": round(seconds * 1000, 1), "user_id": user.id, **fields})


def _check_scope(session: Session, user: User, p: ExportParams) -> None:
    """A unit, plan or task outside the user's scope is 'not found' before any byte is sent (the
    export's first lines would otherwise name it)."""
    f = p.filter
    if f.unit_id is not None:
        access.require_visible_unit(session, user, f.unit_id)
    task = session.get(Task, f.task_id) if f.task_id is not None else None
    for plan_id in (f.plan_id, task.plan_id if task else None):
        if plan_id is not None:
            plan = session.get(Plan, plan_id)
            if plan is None or not plan_visible(session, user, plan):
                raise access.NotFound()
    if f.task_id is not None and task is None:
        raise access.NotFound()


def xlsx_response(session: Session, user: User, p: ExportParams) -> FileResponse:
    _check_scope(session, user, p)
    started = time.perf_counter()
    handle = tempfile.NamedTemporaryFile(prefix="loa-", suffix=".xlsx", delete=False)
    try:
        with handle:
            write_activities_xlsx(handle, session, user, p.filter, now=utcnow(), boundaries=p.boundaries, at=p.at)
    except BaseException:
        os.unlink(handle.name)
        raise
    _exported("xlsx", started, user, bytes=os.path.getsize(handle.name))
    return FileResponse(handle.name, media_type=XLSX_TYPE, headers=_disposition(f"hoat-dong-{today():%Y-%m-%d}.xlsx"),
                        background=BackgroundTask(os.unlink, handle.name))


def csv_response(session: Session, user: User, p: ExportParams) -> StreamingResponse:
    _check_scope(session, user, p)
    now = utcnow()

    def chunks():
        # Its own session: the request's may be closed before the last row is sent.
        started = time.perf_counter()
        with Session(get_engine()) as s:
            yield from activity_csv(s, user, p.filter, now=now, boundaries=p.boundaries, at=p.at)
        _exported("csv", started, user)

    return StreamingResponse(chunks(), media_type="text/csv; charset=utf-8",
                             headers=_disposition(f"hoat-dong-{today():%Y-%m-%d}.csv"))


def docx_response(session: Session, user: User, plan_id: int, unit_id: int | None, period: str | None,
                  boundaries: str, at) -> FileResponse:
    started = time.perf_counter()
    report = build_plan_report(session, user, plan_id, unit_id, period, boundaries, at)
    handle = tempfile.NamedTemporaryFile(prefix="loa-", suffix=".docx", delete=False)
    with handle:
        write_plan_docx(handle, report)
    _exported("docx", started, user, plan_id=plan_id)
    return FileResponse(handle.name, media_type=DOCX_TYPE, headers=_disposition(report.filename),
                        background=BackgroundTask(os.unlink, handle.name))
