"""The activity list as an Excel workbook: a summary sheet, then one sheet per activity type.

openpyxl (write-only mode) writes the workbook: its styles, the summary sheet and the first lines
of every sheet. The activities come from one pass over a server-side cursor, grouped by type, and
their rows are written as SpreadsheetML text straight into each sheet's file (`_DataRows`): an
openpyxl cell object per value made a large export several times slower than the database. So
200,000 activities take no more memory than 2,000.
"""
import shutil
import tempfile
from collections.abc import Callable
from copy import copy
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, BinaryIO
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import SECS_PER_DAY, WINDOWS_EPOCH, to_excel
from openpyxl.writer.excel import ExcelWriter
from sqlmodel import Session

from app.accounts.models import User
from app.activities.queries import ActivityFilter
from app.activities.types import TYPES
from app.reports import summary
from app.reports.columns import (FORMULA_STARTS, CellForms, Column, columns_for, describe_filter, generated_line, inert,
                                 local_elapsed, stream_rows)

HEADER_ROW = 4
ORDER = {code: i for i, code in enumerate(TYPES)}
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
NUMBER_FORMAT = "#,##0"
MAX_TITLE = 31
HEADER_HEIGHT = 48  # three lines of wrapped header text


class _Styles:
    """Styled cells of one sheet. A style is made once per workbook (`arrays`, by its options):
    openpyxl looks each font, fill and alignment up by value, which cost more than a sheet's rows."""

    def __init__(self, ws, arrays: dict):
        self.ws = ws
        self.arrays = arrays

    def cell(self, value, *, bold=False, fill=None, number_format=None, wrap=False):
        options = (bold, fill, number_format, wrap)
        array = self.arrays.get(options)
        if array is not None:
            return Cell(self.ws, row=1, column=1, value=_text(value), style_array=copy(array))
        c = WriteOnlyCell(self.ws, value=_text(value))
        if bold:
            c.font = Font(bold=True)
        if fill:
            c.fill = PatternFill("solid", fgColor=fill)
        if number_format:
            c.number_format = number_format
        if wrap:
            c.alignment = Alignment(wrap_text=True, vertical="top")
        self.arrays[options] = copy(c._style)  # the style's indexes (openpyxl offers no public reader)
        return c


def _sheet(wb: Workbook, title: str, widths: list[int], lines: tuple[str, str], note: str | None = None, *,
           arrays: dict):
    ws = wb.create_sheet(title[:MAX_TITLE])
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.row_dimensions[HEADER_ROW].height = HEADER_HEIGHT
    s = _Styles(ws, arrays)
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
    spliced into the sheet's file after openpyxl has written its first lines and its tail.

    A cell's XML is its column's written form of the value (`CellForms`, `_cell_of`) with ROW_MARK
    where the row's number goes, put in once per row."""

    def __init__(self, ws, keys: list[str], columns: tuple[Column, ...], first_row: int):
        self.ws = ws
        tails, moment = _tails(_style_id(ws, DATE_FORMAT), _style_id(ws, DATETIME_FORMAT))
        self.forms = CellForms(keys, columns, lambda c, n: _cell_of(c, get_column_letter(n), tails, moment))
        self.row = first_row
        self.pending: list[str] = []
        self.file = tempfile.TemporaryFile()

    def append(self, row) -> None:
        """One row of the row query (`stream_rows`) as a sheet row."""
        r = str(self.row)
        self.pending.append(f'<row r="{r}">{"".join(self.forms(row)).replace(ROW_MARK, r)}</row>')
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
            shutil.copyfileobj(self.file, out, COPY_BUFFER)
            out.write(end + tail)
        self.file.close()


FLUSH_ROWS = 250  # about 300 kB of sheet XML per write
COPY_BUFFER = 1 << 20
# Where a cell's reference has its row number. Never in a cell's text: its "<" is written "&lt;".
ROW_MARK = "<#>"
COMPRESSLEVEL = 3  # zlib's default (6) took three times as long, for a file about 15 % smaller


def _style_id(ws, number_format: str) -> int:
    cell = WriteOnlyCell(ws)
    cell.number_format = number_format
    return cell.style_id  # registers the format in the workbook's styles


def _text_tail(value: str) -> str:
    """What follows a text cell's reference: the text cleaned (`_text`) and escaped; "" for no cell
    (an empty text, as openpyxl writes it)."""
    if not value.isprintable():  # only then can it hold a control character
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not value:
        return ""
    if value.startswith(FORMULA_STARTS):
        value = "'" + value
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
    return f'" t="inlineStr"><is><t{space}>{escaped}</t></is></c>'


def _number_tail(value) -> str:
    return f'" t="n"><v>{"%.16g" % value}</v></c>'


def _serial(elapsed: timedelta) -> str:
    """`"%.16g" % to_excel(EPOCH + elapsed)`, the same number from the parts openpyxl adds up."""
    days = elapsed.days
    if 0 < days <= 60:  # openpyxl's correction for Excel's 29/2/1900
        days -= 1
    return "%.16g" % (days + (elapsed.seconds + elapsed.microseconds / 10**6) / SECS_PER_DAY)


def _tails(date_style: int, datetime_style: int) -> tuple[dict, Callable[[timedelta], str]]:
    """What follows a cell's reference, by the type of its value ("" for None: no cell), and for a
    moment given as its time in Vietnam."""
    def datetime_tail(value: datetime) -> str:
        return f'" s="{datetime_style}" t="n"><v>{_serial(value - WINDOWS_EPOCH)}</v></c>'

    def moment_tail(elapsed: timedelta) -> str:
        """A moment's cell from its time in Vietnam (`local_elapsed`)."""
        return f'" s="{datetime_style}" t="n"><v>{_serial(elapsed)}</v></c>'

    def date_tail(value: date) -> str:
        return f'" s="{date_style}" t="n"><v>{"%.16g" % to_excel(value)}</v></c>'

    return {str: _text_tail, int: _number_tail, float: _number_tail, Decimal: _number_tail,
            bool: lambda value: f'" t="b"><v>{int(value)}</v></c>', datetime: datetime_tail, date: date_tail,
            type(None): lambda value: ""}, moment_tail


def _cell_of(column: Column, letter: str, tails: dict, moment: Callable[[timedelta], str]) -> Callable[[Any], str]:
    """The function from a column's raw value to its cell's XML ("" for no cell), ROW_MARK for the
    row's number: the column's conversion (times in Vietnam's time), then the writer of the value's
    type (text for any other)."""
    head = f'<c r="{letter}{ROW_MARK}'

    def by_type(value) -> str:
        write = tails.get(type(value))
        if write is None:
            write = next((w for kind, w in tails.items() if isinstance(value, kind)), None) or \
                (lambda v: _text_tail(str(v)))
        tail = write(value)
        return head + tail if tail else ""

    convert = column.convert
    if convert is not None:
        return lambda value: by_type(convert(value))
    if column.kind == "datetime":
        return lambda value: head + moment(local_elapsed(value)) if isinstance(value, datetime) else by_type(value)
    return by_type


def _activity_sheets(wb, session, user, f: ActivityFilter, boundaries: str, by_type: dict, lines, arrays: dict) -> int:
    """One sheet per type in the catalogue's order, filled from a single query ordered by type."""
    keys, rows = stream_rows(session, user, f, boundaries, by_type=True)
    type_at = keys.index("type")
    row = next(rows, None)
    count = 0
    for code in TYPES:
        if code not in by_type and (row is None or row[type_at] != code):
            continue
        columns = columns_for(code, boundaries)
        ws, s = _sheet(wb, TYPES[code].short, [c.width for c in columns], lines, arrays=arrays)
        ws.append([s.cell(c.label, bold=True, fill="DDE7F0", wrap=True) for c in columns])
        out = _DataRows(ws, keys, columns, HEADER_ROW + 1)
        written = 0
        while row is not None and row[type_at] == code:
            out.append(row)
            written += 1
            row = next(rows, None)
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(columns))}{HEADER_ROW + written}"
        out.splice()
        count += written
    return count


def _summary_sheet(wb, by_type: dict[str, dict[str, int]], lines, progress_rows, arrays: dict) -> None:
    statuses = [name for name, _ in summary.STATUS_COLUMNS]
    figures = [name for name, _ in summary.TOTAL_COLUMNS]
    headers = (["Loại hoạt động", "Số hoạt động (mọi trạng thái)"] + [label for _, label in summary.STATUS_COLUMNS]
               + [f"{label} (đã duyệt)" for _, label in summary.TOTAL_COLUMNS])
    widths = [34, 14] + [12] * len(statuses) + [16] * len(figures)
    ws, s = _sheet(wb, "Tổng hợp", widths, lines, summary.FIGURES_NOTE, arrays=arrays)
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
    arrays: dict = {}
    _summary_sheet(wb, by_type, lines, progress_rows, arrays)
    written = _activity_sheets(wb, session, user, f, boundaries, by_type, lines, arrays)
    _save(wb, out)
    return written


def _save(wb: Workbook, out: BinaryIO) -> None:
    """`Workbook.save`, with the sheets compressed at COMPRESSLEVEL."""
    with ZipFile(out, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=COMPRESSLEVEL) as archive:
        wb.properties.modified = datetime.now(tz=timezone.utc).replace(tzinfo=None)
        ExcelWriter(wb, archive).save()
