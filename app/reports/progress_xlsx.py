"""Progress against targets as an Excel workbook: the rows of the progress page (for the national
view, one per province and target) and each task's totals, the same figures as the page and
`GET /api/v1/progress`."""
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.activities.types import TYPES
from app.core.clock import VN_TZ, utcnow
from app.progress.schemas import ProgressReport

LEVELS = {"province": "Tỉnh, thành phố", "district": "Huyện (cũ)", "commune": "Xã, phường", "village": "Thôn, tổ"}
ROW_HEADERS = ("Nhiệm vụ", "Đơn vị", "Cấp", "Số đơn vị được giao", "Chỉ tiêu", "Loại hoạt động", "Kế hoạch",
               "Đã duyệt", "Chờ duyệt", "Tỷ lệ (%)", "Tình trạng")
TASK_HEADERS = ("Nhiệm vụ", "Chỉ tiêu", "Loại hoạt động", "Kế hoạch", "Đã duyệt", "Chờ duyệt", "Tỷ lệ (%)",
                "Tình trạng", "Số đơn vị", "Số đơn vị chậm tiến độ")
WIDTHS = (48, 34, 16, 12, 24, 22, 12, 12, 12, 10, 16)


def _type(code: str | None) -> str:
    return "" if code is None else TYPES[code].label if code in TYPES else code


def write_progress_xlsx(out: BinaryIO, report: ProgressReport) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Tiến độ"
    for i, width in enumerate(WIDTHS, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    scope = "chỉ tính hoạt động đã duyệt" if not report.include_submitted else "tính cả hoạt động chờ duyệt"
    ws.append([f"Tiến độ thực hiện: {report.unit_name}"])
    ws["A1"].font = Font(bold=True)
    ws.append([f"{report.period_label} ({report.start:%d/%m/%Y} – {report.end:%d/%m/%Y}); {scope}; "
               f"lập từ Loa lúc {utcnow().astimezone(VN_TZ):%H:%M ngày %d/%m/%Y}."])
    for note in report.notes:
        ws.append([note])
    ws.append([])
    ws.append(list(ROW_HEADERS))
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for r in report.rows:
        ws.append([r.task_title, r.unit_name, LEVELS.get(r.unit_level, r.unit_level), r.assigned_units,
                   r.metric_label, _type(r.activity_type), r.target, r.approved, r.submitted, r.percent,
                   r.status_label])
    ws.append([])
    ws.append(["Tổng theo nhiệm vụ"])
    ws[f"A{ws.max_row}"].font = Font(bold=True)
    ws.append(list(TASK_HEADERS))
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for t in report.tasks:
        ws.append([t.task_title, t.metric_label, _type(t.activity_type), t.target, t.approved, t.submitted,
                   t.percent, t.status_label, t.units_total, t.units_behind])
    wb.save(out)
