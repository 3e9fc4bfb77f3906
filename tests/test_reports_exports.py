"""The activity list downloads: Excel and CSV, through the API and the browser session."""
import csv
import io
from datetime import date, datetime

import openpyxl

from tests.factories import login, token
from tests.reports_helpers import VIETNAMESE_TITLE, province_with_activities


def _workbook(response):
    assert response.status_code == 200, response.text
    return openpyxl.load_workbook(io.BytesIO(response.content))


def _table(ws, header_row=4):
    rows = list(ws.iter_rows(values_only=True))
    headers = rows[header_row - 1]
    return [dict(zip(headers, r)) for r in rows[header_row:] if any(v is not None for v in r)]


def test_the_workbook_has_a_summary_and_one_sheet_per_type_with_typed_cells(client, session):
    p = province_with_activities(session)
    response = client.get("/api/v1/reports/activities.xlsx", headers=token(client, p.reviewer))
    wb = _workbook(response)
    assert wb.sheetnames == ["Tổng hợp", "Phát thanh", "Tập huấn", "Tờ rơi"]
    broadcasts = _table(wb["Phát thanh"])
    assert [r["Tên hoạt động"] for r in broadcasts] == [VIETNAMESE_TITLE, "Phát thanh lần hai"]
    first = broadcasts[0]
    assert first["Ngày bắt đầu"] == datetime(2026, 3, 2)
    assert first["Số lần phát"] == 6 and first["Tổng số phút phát sóng"] == 90
    assert first["Kênh phát"] == "Loa truyền thanh xã"
    assert first["Trạng thái"] == "Đã duyệt"
    assert first["Người ghi"] == "Lê Thị Thu Hương"
    assert first["Nhiệm vụ"] == "Phát thanh trên hệ thống loa truyền thanh xã"
    ws = wb["Phát thanh"]
    assert ws.freeze_panes == "A5"
    assert ws.auto_filter.ref.startswith("A4:")
    assert ws["D5"].number_format == "DD/MM/YYYY"


def test_the_workbook_names_the_time_and_filters_on_its_first_lines(client, session):
    p = province_with_activities(session)
    response = client.get("/api/v1/reports/activities.xlsx",
                          params={"unit_id": p.commune.id, "status": "approved", "date_from": "2026-01-01"},
                          headers=token(client, p.reviewer))
    wb = _workbook(response)
    for ws in wb.worksheets:
        assert ws["A1"].value.startswith("Thời điểm xuất: ")
        assert p.commune.name in ws["A2"].value
        assert "Trạng thái: Đã duyệt" in ws["A2"].value and "Từ ngày: 01/01/2026" in ws["A2"].value
    # Through current boundaries the commune includes the legacy commune that went into it.
    assert wb.sheetnames == ["Tổng hợp", "Phát thanh", "Tập huấn"]
    assert [r["Tên hoạt động"] for r in _table(wb["Phát thanh"])] == [VIETNAMESE_TITLE]


def test_the_summary_sheet_counts_every_listed_status_and_sums_approved_work_only(client, session):
    p = province_with_activities(session)
    wb = _workbook(client.get("/api/v1/reports/activities.xlsx", headers=token(client, p.reviewer)))
    assert "chỉ tính hoạt động đã duyệt" in wb["Tổng hợp"]["A3"].value
    summary = {r["Loại hoạt động"]: r for r in _table(wb["Tổng hợp"])}
    total = summary["Tổng cộng"]
    assert total["Số hoạt động (mọi trạng thái)"] == 4
    assert (total["Đã duyệt"], total["Đã gửi, chờ duyệt"], total["Bị trả lại"], total["Nháp"]) == (2, 1, 0, 1)
    assert summary["Phát thanh, truyền hình"]["Số lần phát sóng (đã duyệt)"] == 6
    assert summary["Phát thanh, truyền hình"]["Số phút phát sóng (đã duyệt)"] == 90
    assert summary["Tập huấn, bồi dưỡng"]["Người thuộc hộ nghèo (đã duyệt)"] == 25
    assert summary["In ấn, phát hành tờ rơi, tài liệu"]["Số bản in (đã duyệt)"] == 0
    assert total["Kinh phí NSTW (đồng) (đã duyệt)"] == 350_000_000


def test_the_csv_has_a_bom_the_filters_and_vietnamese_intact(client, session):
    p = province_with_activities(session)
    response = client.get("/api/v1/reports/activities.csv", params={"type": "broadcast"},
                          headers=token(client, p.reviewer))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0].startswith("Thời điểm xuất: ")
    assert "Loại: Phát thanh, truyền hình" in rows[1][0]
    table = [dict(zip(rows[2], r)) for r in rows[3:]]
    assert [r["Tên hoạt động"] for r in table] == [VIETNAMESE_TITLE, "Phát thanh lần hai"]
    assert table[0]["Ngày bắt đầu"] == "02/03/2026"
    assert table[0]["Ngân sách địa phương (đồng)"] == "1500000"


def test_the_csv_of_every_type_lists_every_activity_in_scope(client, session):
    p = province_with_activities(session)
    response = client.get("/api/v1/reports/activities.csv", headers=token(client, p.reviewer))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    titles = {r[2] for r in rows[3:]}
    assert titles == {VIETNAMESE_TITLE, "Phát thanh lần hai", "Tập huấn cho cán bộ thôn", "Tờ rơi chính sách"}


def test_a_reviewer_cannot_export_a_unit_outside_the_scope(client, session):
    p = province_with_activities(session)
    headers = token(client, p.outsider)
    for fmt in ("xlsx", "csv"):
        response = client.get(f"/api/v1/reports/activities.{fmt}", params={"unit_id": p.commune.id}, headers=headers)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_a_plan_or_task_outside_the_scope_is_not_named_in_an_export(client, session):
    p = province_with_activities(session)
    headers = token(client, p.outsider)
    for params in ({"plan_id": p.plan.id}, {"task_id": p.training_task.id}, {"plan_id": 999999}):
        for fmt in ("xlsx", "csv"):
            response = client.get(f"/api/v1/reports/activities.{fmt}", params=params, headers=headers)
            assert response.status_code == 404, (fmt, params)


def test_an_export_without_filters_holds_only_what_the_user_may_see(client, session):
    p = province_with_activities(session)
    response = client.get("/api/v1/reports/activities.csv", headers=token(client, p.outsider))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r[2] for r in rows[3:]] == ["Nói chuyện ở Ninh Bình"]


def test_a_bad_filter_answers_a_structured_422(client, session):
    p = province_with_activities(session)
    response = client.get("/api/v1/reports/activities.xlsx", params={"date_from": "hôm qua", "type": "dance"},
                          headers=token(client, p.reviewer))
    assert response.status_code == 422
    assert {e["path"] for e in response.json()["errors"]} == {"query.date_from", "query.type"}


def test_exports_need_a_signed_in_user(client, session):
    assert client.get("/api/v1/reports/activities.csv").status_code == 401
    response = client.get("/reports/activities.xlsx", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_the_browser_download_uses_the_session_and_the_list_filters(client, session):
    p = province_with_activities(session)
    login(client, p.reviewer)
    response = client.get("/reports/activities.xlsx", params={"type": "training", "unit_id": "", "status": ""})
    wb = _workbook(response)
    assert 'attachment; filename="hoat-dong-' in response.headers["content-disposition"]
    assert wb.sheetnames == ["Tổng hợp", "Tập huấn"]
    row = _table(wb["Tập huấn"])[0]
    assert row["Đơn vị"] == p.legacy_commune.name
    assert row["Số lớp/buổi"] == 2 and row["Người thuộc hộ nghèo"] == 25
    response = client.get("/reports/activities.csv", params={"date_to": date(2026, 3, 31).isoformat()})
    assert VIETNAMESE_TITLE in response.content.decode("utf-8-sig")


def test_a_workbook_filtered_by_plan_carries_the_plan_progress_table(client, session):
    p = province_with_activities(session)
    wb = _workbook(client.get("/api/v1/reports/activities.xlsx", params={"plan_id": p.plan.id},
                              headers=token(client, p.reviewer)))
    rows = list(wb["Tổng hợp"].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == "Tiến độ thực hiện chỉ tiêu (cả kỳ kế hoạch)")
    table = [r[:5] for r in rows[start + 2:] if r[0]]
    assert table == [
        ("Phát thanh trên hệ thống loa truyền thanh xã", "Số lần phát sóng", 20, 6, 30.0),
        ("Phát thanh trên hệ thống loa truyền thanh xã", "Số hoạt động", 4, 1, 25.0),
        ("Tập huấn nâng cao năng lực cán bộ giảm nghèo", "Số người tham gia", 200, 60, 30.0),
    ]


def test_as_of_boundaries_show_units_as_logged_without_their_successor(client, session):
    p = province_with_activities(session)
    headers = token(client, p.reviewer)
    params = {"unit_id": p.commune.id, "type": "training"}
    current = client.get("/api/v1/reports/activities.csv", params=params, headers=headers)
    rows = list(csv.reader(io.StringIO(current.content.decode("utf-8-sig"))))
    row = dict(zip(rows[2], rows[3]))
    assert row["Đơn vị"] == p.legacy_commune.name
    assert row["Đơn vị theo địa giới hiện nay"] == p.commune.name
    as_of = client.get("/api/v1/reports/activities.csv", params={**params, "boundaries": "as_of", "at": "2026-11-20"},
                       headers=headers)
    rows = list(csv.reader(io.StringIO(as_of.content.decode("utf-8-sig"))))
    assert "Địa giới: tại ngày 20/11/2026" in rows[1][0]
    assert "Đơn vị theo địa giới hiện nay" not in rows[2]
    assert dict(zip(rows[2], rows[3]))["Đơn vị"] == p.legacy_commune.name


def test_the_workbook_totals_match_the_dashboard_api(client, session):
    p = province_with_activities(session)
    headers = token(client, p.reviewer)
    params = {"plan_id": p.plan.id, "status": "approved", "date_from": "2026-01-01", "date_to": "2026-12-31"}
    wb = _workbook(client.get("/api/v1/reports/activities.xlsx", params=params, headers=headers))
    total = next(r for r in _table(wb["Tổng hợp"]) if r["Loại hoạt động"] == "Tổng cộng")
    board = client.get("/api/v1/dashboard", params={"plan_id": p.plan.id, "period": "2026", "status": "approved"},
                       headers=headers).json()["headline"]
    assert total["Đã duyệt"] == board["activities"]
    assert total["Số người tham gia (đã duyệt)"] == board["participants"]
    assert total["Người thuộc hộ nghèo (đã duyệt)"] == board["participants_poor"]
    assert total["Số phút phát sóng (đã duyệt)"] == board["minutes"]
    assert total["Tổng kinh phí (đồng) (đã duyệt)"] == board["cost_vnd"]


def test_a_dashboard_period_filters_the_export_by_its_dates(client, session):
    p = province_with_activities(session)
    response = client.get("/api/v1/reports/activities.csv", params={"period": "2026-Q1", "sort": "-activities"},
                          headers=token(client, p.reviewer))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert "Từ ngày: 01/01/2026; Đến ngày: 31/03/2026" in rows[1][0]
    assert [r[2] for r in rows[3:]] == [VIETNAMESE_TITLE]


def test_the_list_dashboard_and_plan_pages_offer_the_downloads(client, session):
    p = province_with_activities(session)
    login(client, p.reviewer)
    listing = client.get("/activities", params={"type": "broadcast"})
    assert listing.status_code == 200
    assert "/reports/activities.xlsx?type=broadcast" in listing.text
    assert "/reports/activities.csv?type=broadcast" in listing.text
    board = client.get("/dashboard", params={"plan_id": p.plan.id, "period": "2026"})
    assert board.status_code == 200
    assert f"/reports/plan/{p.plan.id}?" in board.text and "/reports/activities.xlsx?" in board.text
    plan = client.get(f"/plans/{p.plan.id}")
    assert plan.status_code == 200
    assert f'href="/reports/plan/{p.plan.id}.docx"' in plan.text
