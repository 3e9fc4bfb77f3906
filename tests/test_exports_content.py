"""Every cell of the activity exports holds the activity's own value: each column of a type's sheet
in the XLSX (typed: numbers, dates and local date-times) and of the CSV (as text), read back and
compared with what the activity says — topics and audiences joined in their order, details by
their labels (a value without a label as it is), the unit of today, the agency, the task, the
author, the times in Vietnam's time, the review comment and the notes, text written like a formula
kept inert."""
import csv
import io
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import openpyxl

from app.units.models import Unit
from tests.factories import HAI_DUONG, HAI_PHONG, make_activity, make_agency, make_plan, make_task, make_user, token
from tests.reports_helpers import commune_of

UTC = timezone.utc
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
TASK = "Phát thanh trên hệ thống loa truyền thanh xã"
AGENCY = "Đài Phát thanh <và> Truyền hình & Hải Phòng"
HEAD = ["Mã hoạt động", "Loại hoạt động", "Tên hoạt động", "Ngày bắt đầu", "Ngày kết thúc", "Đơn vị", "Mã đơn vị",
        "Đơn vị theo địa giới hiện nay", "Cơ quan thực hiện", "Nhiệm vụ", "Chủ đề", "Đối tượng"]
PARTICIPANTS = ["Tổng số người tham gia", "Nữ", "Người dân tộc thiểu số", "Người thuộc hộ nghèo",
                "Người thuộc hộ cận nghèo", "Người thuộc hộ mới thoát nghèo", "Cán bộ"]
COSTS = ["Ngân sách trung ương (đồng)", "Ngân sách địa phương (đồng)", "Xã hội hóa (đồng)", "Tổng kinh phí (đồng)"]
TAIL = ["Trạng thái", "Người ghi", "Thời điểm ghi", "Thời điểm gửi", "Thời điểm duyệt", "Nhận xét của người duyệt",
        "Ghi chú"]
SHEETS = {
    "Phát thanh": HEAD + ["Kênh phát", "Số lần phát", "Số phút mỗi lần", "Tổng số phút phát sóng", "Ngôn ngữ",
                          "Tên chương trình, tin bài"] + COSTS + TAIL,
    "Tập huấn": HEAD + PARTICIPANTS + ["Số lớp/buổi", "Giảng viên", "Tài liệu"] + COSTS + TAIL,
    "Tờ rơi": HEAD + ["Loại ấn phẩm", "Số bản in", "Số bản đã phát", "Ngôn ngữ"] + COSTS + TAIL,
}
ALL_TYPES = HEAD + PARTICIPANTS + [
    "Kênh phát", "Số lần phát", "Số phút mỗi lần", "Tổng số phút phát sóng", "Ngôn ngữ", "Tên chương trình, tin bài",
    "Số buổi/lớp", "Giảng viên", "Tài liệu", "Loại ấn phẩm", "Số bản in", "Số bản đã phát", "Người chủ trì",
    "Số ý kiến, câu hỏi", "Số ý kiến trả lời tại chỗ", "Số đội thi", "Số khán giả", "Cơ quan báo chí, trang",
    "Số tin, bài, sản phẩm", "Đường dẫn", "Số địa điểm", "Lượt tiếp cận", "Tập thể được khen", "Cá nhân được khen",
    "Loại sản phẩm", "Mô tả"] + COSTS + TAIL


def _activities(session):
    commune = commune_of(session, HAI_PHONG)
    legacy = commune_of(session, HAI_DUONG)  # went into `commune`: its successor of today is named
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp", full_name="Nguyễn Thị Hằng")
    reporter = make_user(session, "reporter", commune.id, username="ghi_xa", full_name="Lê Thị Thu Hương")
    agency = make_agency(session, HAI_PHONG, name=AGENCY)
    plan = make_plan(session, HAI_PHONG)
    task = make_task(session, plan, unit_ids=(commune.id,), title=TASK)
    entries = [
        make_activity(session, commune.id, user=reporter, type="broadcast", status="approved",
                      title="Phát thanh <chính sách> & \"giảm nghèo\"", start_date=date(2026, 3, 2),
                      end_date=date(2026, 3, 31), agency_id=agency.id, task_ids=(task.id,), airings=6,
                      minutes_per_airing=15, topics=["Việc làm", "An sinh xã hội", "Giảm nghèo"],
                      audiences=["Hộ nghèo", "Người cao tuổi"],
                      details={"channel": "district_radio", "language": "vi_ethnic",
                               "programme_title": "  Chương trình <số 1>  "},
                      cost_central_vnd=1_000_000, cost_local_vnd=1_500_000, cost_mobilised_vnd=250_000,
                      created_at=datetime(2026, 3, 2, 1, 30, tzinfo=UTC),
                      submitted_at=datetime(2026, 3, 2, 17, 5, tzinfo=UTC),  # 00:05 on the 3rd in Vietnam
                      reviewed_at=datetime(2026, 3, 4, 2, 0, tzinfo=UTC),
                      review_comment="Đủ minh chứng", notes="dòng một\ndòng hai"),
        make_activity(session, commune.id, user=reporter, type="broadcast", status="returned",
                      title="=HYPERLINK(\"x\")", start_date=date(2026, 3, 9), airings=1, minutes_per_airing=5,
                      topics=["=1+1", "Tin"], details={"channel": "loa_thon_moi"},
                      created_at=datetime(2026, 3, 9, 3, 0, tzinfo=UTC),
                      submitted_at=datetime(2026, 3, 9, 4, 0, tzinfo=UTC),
                      reviewed_at=datetime(2026, 3, 10, 5, 45, tzinfo=UTC), review_comment="-Thiếu ảnh"),
        make_activity(session, legacy.id, user=reporter, type="training", status="submitted",
                      title="Tập huấn cho cán bộ thôn", start_date=date(2026, 5, 12), sessions=2, participants=60,
                      participants_women=30, participants_ethnic=4, participants_poor=25, participants_near_poor=7,
                      participants_escaped=3, participants_officials=12, audiences=["Cán bộ thôn"],
                      details={"trainer": "-Nguyễn Văn A", "materials": "Sổ tay\nhướng dẫn"},
                      cost_central_vnd=350_000_000, created_at=datetime(2026, 5, 12, 10, 0, tzinfo=UTC),
                      submitted_at=datetime(2026, 5, 13, 9, 59, tzinfo=UTC), notes=" ghi chú "),
        make_activity(session, commune.id, type="leaflet", status="draft", title="Tờ rơi chính sách", copies=500,
                      copies_distributed=480, start_date=date(2026, 6, 1),
                      details={"product_kind": "Sổ tay", "languages": "Tiếng Việt, tiếng Mường"},
                      created_at=datetime(2026, 6, 1, 0, 0, tzinfo=UTC)),
    ]
    return reviewer, entries


def _local(moment):
    return None if moment is None else moment.astimezone(VIETNAM).replace(tzinfo=None)


def _expected(session, a) -> dict:
    """The activity's cells by column, as Python values (None: an empty cell)."""
    unit = session.get(Unit, a.unit_id)
    current = session.get(Unit, unit.current_commune_id or unit.current_province_id)
    labels = {"broadcast": "Phát thanh, truyền hình", "training": "Tập huấn, bồi dưỡng",
              "leaflet": "In ấn, phát hành tờ rơi, tài liệu"}
    statuses = {"draft": "Nháp", "submitted": "Đã gửi", "approved": "Đã duyệt", "returned": "Trả lại"}
    inert = lambda text: "'" + text if text and text[0] in "=+-@\t\r" else text  # noqa: E731
    d = a.details
    cells = {
        "Mã hoạt động": str(a.id), "Loại hoạt động": labels[a.type], "Tên hoạt động": inert(a.title),
        "Ngày bắt đầu": a.start_date, "Ngày kết thúc": a.end_date, "Đơn vị": unit.name, "Mã đơn vị": unit.code,
        "Đơn vị theo địa giới hiện nay": current.name if current else None,
        "Cơ quan thực hiện": AGENCY if a.agency_id else None,
        "Nhiệm vụ": TASK if a.agency_id else None,  # the one entry with an agency has the task too
        "Chủ đề": inert("; ".join(a.topics)) or None, "Đối tượng": inert("; ".join(a.audiences)) or None,
    }
    if a.type == "training":
        cells.update(zip(PARTICIPANTS, (a.participants, a.participants_women, a.participants_ethnic,
                                        a.participants_poor, a.participants_near_poor, a.participants_escaped,
                                        a.participants_officials)))
        cells.update({"Số lớp/buổi": a.sessions, "Giảng viên": inert(d.get("trainer")), "Tài liệu": d.get("materials")})
    if a.type == "broadcast":
        channels = {"district_radio": "Đài huyện/cơ sở"}
        cells.update({"Kênh phát": channels.get(d["channel"], d["channel"]), "Số lần phát": a.airings,
                      "Số phút mỗi lần": a.minutes_per_airing, "Tổng số phút phát sóng": a.minutes,
                      "Ngôn ngữ": {"vi_ethnic": "Tiếng Việt và tiếng dân tộc"}.get(d.get("language")),
                      "Tên chương trình, tin bài": d.get("programme_title")})
    if a.type == "leaflet":
        cells.update({"Loại ấn phẩm": d.get("product_kind"), "Số bản in": a.copies,
                      "Số bản đã phát": a.copies_distributed, "Ngôn ngữ": d.get("languages")})
    cells.update(zip(COSTS, (a.cost_central_vnd, a.cost_local_vnd, a.cost_mobilised_vnd, a.cost_vnd)))
    cells.update({"Trạng thái": statuses[a.status], "Người ghi": "Lê Thị Thu Hương" if a.created_by_id else None,
                  "Thời điểm ghi": _local(a.created_at), "Thời điểm gửi": _local(a.submitted_at),
                  "Thời điểm duyệt": _local(a.reviewed_at), "Nhận xét của người duyệt": inert(a.review_comment),
                  "Ghi chú": a.notes})
    return cells


def _as_xlsx(value):
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value


def _as_csv(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def test_every_cell_of_the_workbook_is_the_activitys_own_value(client, session):
    reviewer, entries = _activities(session)
    response = client.get("/api/v1/reports/activities.xlsx", headers=token(client, reviewer))
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["Tổng hợp"] + list(SHEETS)
    by_id = {}
    for title, headers in SHEETS.items():
        rows = list(wb[title].iter_rows(values_only=True))
        assert list(rows[3]) == headers
        for row in rows[4:]:
            by_id[row[0]] = (headers, row)
    assert set(by_id) == {str(a.id) for a in entries}
    for a in entries:
        headers, row = by_id[str(a.id)]
        expected = {k: _as_xlsx(v) for k, v in _expected(session, a).items()}
        assert list(expected) == headers
        assert dict(zip(headers, row)) == expected
        cells = dict(zip(headers, row))
        assert all(type(cells[c]) is int for c in COSTS)


def test_every_cell_of_the_csv_is_the_activitys_own_value(client, session):
    reviewer, entries = _activities(session)
    response = client.get("/api/v1/reports/activities.csv", headers=token(client, reviewer))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert rows[2] == ALL_TYPES
    table = {r[0]: dict(zip(ALL_TYPES, r)) for r in rows[3:]}
    assert set(table) == {str(a.id) for a in entries}
    for a in entries:
        expected = {k: _as_csv(v) for k, v in _expected(session, a).items()}
        if a.type == "leaflet":
            del expected["Ngôn ngữ"]  # the all-types column of that name is the broadcast's language
        if "Số lớp/buổi" in expected:
            expected["Số buổi/lớp"] = expected.pop("Số lớp/buổi")  # the all-types list names it as the metric
        row = table[str(a.id)]
        assert {k: row[k] for k in expected} == expected
        # The other types' quantities are zero, their details empty (but the product's kind, a detail of
        # the same name as the leaflet's).
        shared = {"Loại sản phẩm": expected.get("Loại ấn phẩm", "")}
        assert {k: row[k] for k in ALL_TYPES if k not in expected and row[k] not in ("", "0")} == \
            {k: v for k, v in shared.items() if v}
    # One type's CSV has that type's columns, in the order of its sheet.
    response = client.get("/api/v1/reports/activities.csv", params={"type": "training"},
                          headers=token(client, reviewer))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert rows[2] == SHEETS["Tập huấn"]
    training = next(a for a in entries if a.type == "training")
    assert rows[3] == [_as_csv(v) for v in _expected(session, training).values()]


def test_times_are_written_in_vietnams_time_of_their_day_in_both_files():
    """The fast conversion of moments (a fixed +07:00 since 1976) writes what the zone database
    gives, before 1976 too, and takes naive moments (SQLite's) as UTC."""
    from datetime import timedelta

    from openpyxl.utils.datetime import to_excel

    from app.reports.columns import Column
    from app.reports.csv import _formatter
    from app.reports.xlsx import _cell_of, _tails

    column = Column("Thời điểm ghi", "created_at", "datetime", 17, repeats=False)
    as_csv = _formatter(column)
    tails, moment = _tails(7, 8)
    as_xlsx = _cell_of(column, "Z", tails, moment)
    starts = [datetime(1959, 12, 31, 15, 30), datetime(1975, 6, 12, 16, 59, 59, 999_999), datetime(1975, 12, 31, 17),
              datetime(2025, 12, 31, 16, 59, 59, 500_000), datetime(2026, 3, 2, 17, 5, 0, 123_456),
              datetime(2099, 2, 28, 23, 59)]
    moments = [start + timedelta(minutes=k * 37, microseconds=k * 1001) for start in starts for k in range(50)]
    for naive in moments:
        for value in (naive, naive.replace(tzinfo=UTC), naive.replace(tzinfo=UTC).astimezone(VIETNAM)):
            local = naive.replace(tzinfo=UTC).astimezone(VIETNAM).replace(tzinfo=None)
            assert as_csv(value) == local.strftime("%d/%m/%Y %H:%M"), value
            assert as_xlsx(value) == f'<c r="Z<#>" s="8" t="n"><v>{"%.16g" % to_excel(local)}</v></c>', value
    assert as_csv(None) == "" and as_xlsx(None) == ""
