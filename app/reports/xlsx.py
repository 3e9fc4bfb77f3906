"""The activity list as an Excel workbook: a summary sheet, then one sheet per activity type.

openpyxl (write-only mode) writes the workbook: its styles, the summary sheet and the first lines
of every sheet. The activities come from one pass over a server-side cursor, grouped by type, and
their rows are written as SpreadsheetML text straight into each sheet's file (`_DataRows`): an
openpyxl cell object per value made a large export several times slower than the database. So
200,000 activities take no more memory than 2,000.
"""
import shutil
import tempfile
from datetime import date, datetime
from decimal import Decimal
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from sqlmodel import Session

from app.accounts.models import User
from app.activities.queries import ActivityFilter
from app.activities.types import TYPES
from app.reports import summary
from app.reports.columns import (Column, columns_for, describe_filter, generated_line, inert, row_values,
                                 stream_rows, value_plan)

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


def _text(value):
    """Text without the control characters a workbook cannot hold (entries stored before they were
    cleaned on input, or pasted into a plan), and never a formula (see `inert`)."""
    return inert(ILLEGAL_CHARACTERS_RE.sub("", value)) if isinstance(value, str) else value


class _DataRows:
    """The data rows of one activity sheet, written as the XML openpyxl would write for them (inline
    strings, numbers, dates as serial numbers with the date formats) into a temporary file, then
    spliced into the sheet's file after openpyxl has written its first lines and its tail."""

    def __init__(self, ws, columns: tuple[Column, ...], first_row: int):
        self.ws = ws
        self.letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
        self.writers = _writers(_style_id(ws, DATE_FORMAT), _style_id(ws, DATETIME_FORMAT))
        self.row = first_row
        self.pending: list[str] = []
        self.file = tempfile.TemporaryFile()

    def append(self, values: list) -> None:
        r = self.row
        writer = self.writers.get
        cells = "".join([writer(type(value), self.writers[None])(f"{letter}{r}", value)
                         for letter, value in zip(self.letters, values) if value is not None])
        self.pending.append(f'<row r="{r}">{cells}</row>')
        self.row += 1
        if len(self.pending) >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        self.file.write("".join(self.pending).encode("utf-8"))
        self.pending.clear()

    def splice(self) -> None:
        """Closes the sheet (openpyxl writes it out) and puts the rows before its `</sheetData>`."""
        self.flush()
        self.ws.close()
        path = self.ws._writer.out  # the sheet's file, which openpyxl copies into the workbook on save
        with open(path, "rb") as written:
            head, end, tail = written.read().rpartition(b"</sheetData>")
        if not end:
            raise RuntimeError("the sheet has no rows to continue")
        self.file.seek(0)
        with open(path, "wb") as out:
            out.write(head)
            shutil.copyfileobj(self.file, out)
            out.write(end + tail)
        self.file.close()


FLUSH_ROWS = 500


def _style_id(ws, number_format: str) -> int:
    cell = WriteOnlyCell(ws)
    cell.number_format = number_format
    return cell.style_id  # registers the format in the workbook's styles


def _text_xml(ref: str, value: str) -> str:
    text = _text(value)
    if not text:
        return ""  # an empty cell, as openpyxl writes an empty text
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{escaped}</t></is></c>'


def _number_xml(ref: str, value) -> str:
    return f'<c r="{ref}" t="n"><v>{"%.16g" % value}</v></c>'


def _bool_xml(ref: str, value: bool) -> str:
    return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'


def _writers(date_style: int, datetime_style: int) -> dict:
    """The XML of a cell by the type of its value (None: any other type, written as its text)."""
    def datetime_xml(ref: str, value: datetime) -> str:
        return f'<c r="{ref}" s="{datetime_style}" t="n"><v>{"%.16g" % to_excel(value)}</v></c>'

    def date_xml(ref: str, value: date) -> str:
        return f'<c r="{ref}" s="{date_style}" t="n"><v>{"%.16g" % to_excel(value)}</v></c>'

    writers = {str: _text_xml, int: _number_xml, float: _number_xml, Decimal: _number_xml, bool: _bool_xml,
               datetime: datetime_xml, date: date_xml}

    def other_xml(ref: str, value) -> str:
        for kind, write in writers.items():
            if isinstance(value, kind):
                return write(ref, value)
        return _text_xml(ref, str(value))

    return {**writers, None: other_xml}


def _activity_sheets(wb, session, user, f: ActivityFilter, boundaries: str, by_type: dict, lines) -> int:
    """One sheet per type in the catalogue's order, filled from a single query ordered by type."""
    keys, rows = stream_rows(session, user, f, boundaries, by_type=True)
    type_at = keys.index("type")
    row = next(rows, None)
    count = 0
    for code in TYPES:
        if code not in by_type and (row is None or row[type_at] != code):
            continue
        columns = columns_for(code, boundaries)
        plan = value_plan(keys, columns)
        ws, s = _sheet(wb, TYPES[code].short, [c.width for c in columns], lines)
        ws.append([s.cell(c.label, bold=True, fill="DDE7F0", wrap=True) for c in columns])
        out = _DataRows(ws, columns, HEADER_ROW + 1)
        written = 0
        while row is not None and row[type_at] == code:
            out.append(row_values(row, plan))
            written += 1
            row = next(rows, None)
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(columns))}{HEADER_ROW + written}"
        out.splice()
        count += written
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
    written = _activity_sheets(wb, session, user, f, boundaries, by_type, lines)
    wb.save(out)
    return written
