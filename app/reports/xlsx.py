"""The activity list as an Excel workbook: a summary sheet, then one sheet per activity type.

Written with openpyxl's write-only mode (rows go straight to the file, strings inline) from a
server-side cursor, so 200,000 activities take no more memory than 2,000.
"""
from datetime import date, datetime
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlmodel import Session

from app.accounts.models import User
from app.activities.queries import ActivityFilter
from app.activities.types import TYPES
from app.reports import summary
from app.reports.columns import Column, columns_for, describe_filter, generated_line, inert, stream_values

HEADER_ROW = 4
ORDER = {code: i for i, code in enumerate(TYPES)}
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
NUMBER_FORMAT = "#,##0"
MAX_TITLE = 31
HEADER_HEIGHT = 48  # three lines of wrapped header text


class _Styles:
    def __init__(self, ws):
        self.ws = ws

    def cell(self, value, *, bold=False, fill=None, number_format=None, wrap=False):
        c = WriteOnlyCell(self.ws, value=_text(value))
        if bold:
            c.font = Font(bold=True)
        if fill:
            c.fill = PatternFill("solid", fgColor=fill)
        if number_format:
            c.number_format = number_format
        if wrap:
            c.alignment = Alignment(wrap_text=True, vertical="top")
        return c


def _sheet(wb: Workbook, title: str, widths: list[int], lines: tuple[str, str], note: str | None = None):
    ws = wb.create_sheet(title[:MAX_TITLE])
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.row_dimensions[HEADER_ROW].height = HEADER_HEIGHT
    s = _Styles(ws)
    ws.append([s.cell(lines[0], bold=True)])
    ws.append([_text(lines[1])])
    ws.append([s.cell(note, bold=True)] if note else [])
    return ws, s


def _typed(s: _Styles, column: Column, value):
    if value is None:
        return None
    if column.kind == "date" and isinstance(value, date):
        return s.cell(value, number_format=DATE_FORMAT)
    if column.kind == "datetime" and isinstance(value, datetime):
        return s.cell(value, number_format=DATETIME_FORMAT)
    return _text(value)  # numbers stay plain: a style per cell would double the time of a large export


def _text(value):
    """Text without the control characters a workbook cannot hold (entries stored before they were
    cleaned on input, or pasted into a plan), and never a formula (see `inert`)."""
    return inert(ILLEGAL_CHARACTERS_RE.sub("", value)) if isinstance(value, str) else value


def _activity_sheet(wb, session, user, f: ActivityFilter, boundaries: str, type_code: str, lines) -> int:
    columns = columns_for(type_code, boundaries)
    ws, s = _sheet(wb, TYPES[type_code].short, [c.width for c in columns], lines)
    ws.append([s.cell(c.label, bold=True, fill="DDE7F0", wrap=True) for c in columns])
    count = 0
    for values in stream_values(session, user, ActivityFilter(**{**f.__dict__, "type": type_code}), columns, boundaries):
        ws.append([_typed(s, c, v) for c, v in zip(columns, values)])
        count += 1
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(columns))}{HEADER_ROW + count}"
    return count


def _summary_sheet(wb, by_type: dict[str, dict[str, int]], lines, progress_rows) -> None:
    statuses = [name for name, _ in summary.STATUS_COLUMNS]
    figures = [name for name, _ in summary.TOTAL_COLUMNS]
    headers = (["Loại hoạt động", "Số hoạt động (mọi trạng thái)"] + [label for _, label in summary.STATUS_COLUMNS]
               + [f"{label} (đã duyệt)" for _, label in summary.TOTAL_COLUMNS])
    widths = [34, 14] + [12] * len(statuses) + [16] * len(figures)
    ws, s = _sheet(wb, "Tổng hợp", widths, lines, summary.FIGURES_NOTE)
    ws.append([s.cell(h, bold=True, fill="DDE7F0", wrap=True) for h in headers])
    keys = ["activities"] + statuses + figures
    for code, row in sorted(by_type.items(), key=lambda item: ORDER.get(item[0], len(ORDER))):
        ws.append([_text(TYPES[code].label if code in TYPES else code)]
                  + [s.cell(row[name], number_format=NUMBER_FORMAT) for name in keys])
    total = summary.grand_total(by_type)
    ws.append([s.cell("Tổng cộng", bold=True)] + [s.cell(total[name], bold=True, number_format=NUMBER_FORMAT)
                                                   for name in keys])
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(headers))}{HEADER_ROW + len(by_type)}"
    if not progress_rows:
        return
    ws.row_dimensions[HEADER_ROW + len(by_type) + 4].height = HEADER_HEIGHT
    ws.append([])
    ws.append([s.cell("Tiến độ thực hiện chỉ tiêu (cả kỳ kế hoạch)", bold=True)])
    ws.append([s.cell(h, bold=True, fill="DDE7F0", wrap=True) for h in summary.PROGRESS_HEADERS])
    for row in progress_rows:
        ws.append([s.cell(v, number_format=NUMBER_FORMAT) if isinstance(v, int) else _text(v) for v in row])


def write_activities_xlsx(out: BinaryIO, session: Session, user: User, f: ActivityFilter, *, now: datetime,
                          boundaries: str = "current", at: date | None = None) -> int:
    """Writes the workbook to `out`; returns the number of activities written."""
    lines = (generated_line(now), "Bộ lọc: " + describe_filter(session, f, boundaries, at))
    by_type = summary.totals_by_type(session, user, f, boundaries)
    wb = Workbook(write_only=True)
    progress_rows = summary.progress_rows(session, user, f, boundaries=boundaries, at=at)
    _summary_sheet(wb, by_type, lines, progress_rows)
    written = 0
    for code in TYPES:
        if code in by_type:
            written += _activity_sheet(wb, session, user, f, boundaries, code, lines)
    wb.save(out)
    return written
