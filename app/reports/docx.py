"""The plan report as a Word document laid out like an administrative document (Nghị định 30/2020).

A4, margins 20 mm top and bottom, 30 mm left, 15 mm right; Times New Roman 13 pt body, 14 pt
title; the state header in a borderless two-column table, the signature block likewise.
"""
from typing import BinaryIO

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from app.core.text import clean_text
from app.reports.data import PlanReport

FONT = "Times New Roman"
BODY_PT = 13
TEXT_WIDTH_MM = 165
CENTER, JUSTIFY, RIGHT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY, WD_ALIGN_PARAGRAPH.RIGHT


def _setup(document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(BODY_PT)
    # East-Asian and complex-script slots too, or Word falls back to another face for Vietnamese.
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    style.paragraph_format.space_after = Pt(0)
    style.paragraph_format.space_before = Pt(0)
    style.paragraph_format.line_spacing = 1.1
    document.core_properties.language = "vi-VN"


def _para(container, text: str = "", *, bold=False, italic=False, size=None, align=None, indent=True,
          before=0, after=0):
    p = container.add_paragraph()
    if align is not None:
        p.alignment = align
    elif indent:
        p.alignment = JUSTIFY
    if indent and align is None:
        p.paragraph_format.first_line_indent = Mm(10)
    p.paragraph_format.space_before = Pt(before)
    p.paragraph_format.space_after = Pt(after)
    if text:
        run = p.add_run(clean_text(text))
        run.bold, run.italic = bold, italic
        if size:
            run.font.size = Pt(size)
    return p


def _dotted_line(document) -> None:
    """A line of dots across the text width, for the officer to write on."""
    p = document.add_paragraph()
    p.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
    p.paragraph_format.space_after = Pt(3)
    p.add_run("\t")


def _no_borders(table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    # Word wants tblPr's children in schema order: tblBorders comes before shd, tblLayout and tblLook.
    table._tbl.tblPr.insert_element_before(borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook",
                                           "w:tblCaption", "w:tblDescription", "w:tblPrChange")


def _widths(table, widths_mm: list[int]) -> None:
    """Fixed column widths; Word reads the cells', LibreOffice the grid's."""
    table.autofit = False
    for column, width in zip(table.columns, widths_mm):
        column.width = Mm(width)
        for cell in column.cells:
            cell.width = Mm(width)


def _cell_text(cell, text: str, *, bold=False, italic=False, size=None, align=CENTER) -> None:
    p = cell.paragraphs[0]
    p.alignment = align
    run = p.add_run(clean_text(text))
    run.bold, run.italic = bold, italic
    if size:
        run.font.size = Pt(size)


def _cell_line(cell, text: str, *, bold=False, italic=False, size=None, align=CENTER, underline=False) -> None:
    p = cell.add_paragraph()
    p.alignment = align
    run = p.add_run(clean_text(text))
    run.bold, run.italic, run.underline = bold, italic, underline
    if size:
        run.font.size = Pt(size)


def _state_header(document, r: PlanReport) -> None:
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, [62, 103])
    left, right = table.rows[0].cells
    _cell_text(left, r.authority, size=12)
    _cell_line(left, r.issuer, bold=True, size=12)
    _cell_line(left, "───────", size=9)
    _cell_line(left, "Số:        /BC-", size=13)
    _cell_text(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12)
    _cell_line(right, "Độc lập - Tự do - Hạnh phúc", bold=True, size=13)
    _cell_line(right, "───────────────", size=9)
    _cell_line(right, r.place_date, italic=True, size=13)


def _grid(document, headers: list[str], rows: list[list[str]], widths_mm: list[int], numeric: set[int]) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers):
        _cell_text(cell, text, bold=True, size=12)
    for values in rows:
        cells = table.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, values)):
            align = CENTER if i == 0 else (RIGHT if i in numeric else WD_ALIGN_PARAGRAPH.LEFT)
            _cell_text(cell, text, size=12, align=align)
    _widths(table, widths_mm)


def _signature(document, r: PlanReport) -> None:
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, [75, 90])
    left, right = table.rows[0].cells
    _cell_text(left, "Nơi nhận:", bold=True, italic=True, size=12, align=WD_ALIGN_PARAGRAPH.LEFT)
    for line in r.recipients:
        _cell_line(left, f"- {line}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    _cell_text(right, r.signer_for, bold=True, size=13)
    if r.signer:
        _cell_line(right, r.signer, bold=True, size=13)
    _cell_line(right, "(Ký, ghi rõ họ tên và đóng dấu)", italic=True, size=12)


def write_plan_docx(out: BinaryIO, r: PlanReport) -> None:
    document = Document()
    _setup(document)
    _state_header(document, r)
    _para(document, r.title, bold=True, size=14, align=CENTER, before=18)
    _para(document, r.subtitle, bold=True, size=14, align=CENTER)
    _para(document, r.period, bold=True, size=14, align=CENTER)
    _para(document, "───────", size=9, align=CENTER, after=12)
    _para(document, r.basis, after=6)

    _para(document, "I. KẾT QUẢ THỰC HIỆN", bold=True, before=6, after=6)
    _para(document, "1. Kết quả chung", bold=True, after=3)
    for line in r.summary:
        _para(document, f"- {line}", after=3)
    _para(document, "2. Kết quả thực hiện từng nhiệm vụ", bold=True, before=6, after=3)
    for task in r.tasks:
        _para(document, task.heading, italic=True, bold=True, before=3, after=3)
        if task.lead:
            _para(document, f"Cơ quan chủ trì: {task.lead}.", italic=True, after=3)
        for line in task.lines:
            _para(document, f"- {line}", after=3)
    _para(document, "3. Kết quả thực hiện chỉ tiêu", bold=True, before=6, after=6)
    if r.targets:
        _grid(document, ["TT", "Nhiệm vụ", "Chỉ tiêu", "Kế hoạch", "Kết quả (đã duyệt)", "Tỷ lệ (%)", "Đánh giá"],
              [[str(i), t.task, t.metric, t.target, t.result, t.percent, t.status] for i, t in enumerate(r.targets, 1)],
              [10, 44, 30, 19, 19, 17, 26], {3, 4, 5})
    else:
        _para(document, "Kế hoạch chưa giao chỉ tiêu.", after=3)
    _para(document, "4. Kinh phí thực hiện (đồng)", bold=True, before=9, after=6)
    _grid(document, ["TT", "Nguồn kinh phí", "Kế hoạch", "Đã sử dụng"],
          [["" if f.source == "Tổng cộng" else str(i), f.source, f.planned, f.used]
           for i, f in enumerate(r.funding, 1)], [10, 75, 40, 40], {2, 3})
    _para(document, "5. Đơn vị chưa báo cáo", bold=True, before=9, after=3)
    if r.missing_units:
        _para(document, ", ".join(r.missing_units) + ".", after=3)
    else:
        _para(document, "Tất cả đơn vị được giao nhiệm vụ đã có báo cáo.", after=3)
    for note in r.notes:
        _para(document, note, italic=True, size=12, after=3)

    for number, heading in zip(("II", "III", "IV"), r.empty_sections):
        _para(document, f"{number}. {heading.upper()}", bold=True, before=9, after=3)
        for _ in range(3):
            _dotted_line(document)
    _para(document, "", after=6)
    _signature(document, r)
    _para(document, r.generated, italic=True, size=10, align=WD_ALIGN_PARAGRAPH.LEFT, before=48)
    document.save(out)
