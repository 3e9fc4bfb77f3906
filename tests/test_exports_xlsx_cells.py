"""The activity sheets' rows are written as sheet XML by Loa itself: text with XML's special
characters, spaces at either end, line breaks and control characters comes out of the workbook as
it was typed (control characters dropped), and every type's rows land on their own sheet in date
order."""
import io
from datetime import date, datetime

import openpyxl

from tests.factories import make_activity, token
from tests.reports_helpers import province_with_activities

TRICKY = ["Hộp <thư> & \"loa\" 'xã'", "  cách đầu và cuối  ", "dòng một\ndòng hai", "dòng một\r\ndòng hai",
          "chuông\x07 báo", "]]> <![CDATA[ x"]


def _rows(ws):
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[3], r)) for r in rows[4:]]


def test_text_with_xml_characters_spaces_and_line_breaks_reads_back_as_typed(client, session):
    p = province_with_activities(session)
    for i, text in enumerate(TRICKY):
        make_activity(session, p.commune.id, user=p.reporter, type="broadcast", status="approved", title=text,
                      notes=text, airings=1, minutes_per_airing=10, start_date=date(2026, 4, 1 + i))
    response = client.get("/api/v1/reports/activities.xlsx", headers=token(client, p.reviewer))
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    titles = [r["Tên hoạt động"] for r in _rows(wb["Phát thanh"])]
    typed = [t.replace("\x07", "") for t in TRICKY]
    assert [t for t in titles if t in typed] == typed
    # Every row of a sheet is of its type, oldest first, and the sheets hold every activity once.
    total = 0
    for ws in wb.worksheets[1:]:
        rows = _rows(ws)
        total += len(rows)
        assert len({r["Loại hoạt động"] for r in rows}) == 1
        dates = [r["Ngày bắt đầu"] for r in rows]
        assert dates == sorted(dates) and all(isinstance(d, datetime) for d in dates)
        assert ws.auto_filter.ref.endswith(str(4 + len(rows)))
    listed = client.get("/api/v1/activities", params={"limit": 500}, headers=token(client, p.reviewer)).json()
    assert total == len(listed["items"])
