"""The plan-text parser, checked against the real plans in shared/seeds and against synthetic text.

The expected values below were read off each document by hand: they are the test.
"""
import io
from datetime import date
from pathlib import Path

import pytest

from app.plans.parser import docx_to_text, parse_money, parse_plan_text

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def seed(name: str) -> str:
    path = SEEDS / name
    if not path.exists():
        pytest.skip(f"seed plans not found: {name} is expected in shared/seeds beside the repository")
    return path.read_text(encoding="utf-8")


HAI_DUONG_AGENCIES = [
    "Sở Lao động - Thương binh và Xã hội",
    "Sở Thông tin và Truyền thông",
    "Sở Nội vụ",
    "Sở Nông nghiệp và Phát triển nông thôn",
    "Sở Văn hóa Thể thao và Du lịch",
    "Sở Tài chính",
    "Đài Phát thanh và truyền hình tỉnh, Báo Hải Dương",
    "Các sở, ban, ngành liên quan",
    "Ủy ban Mặt trận Tổ quốc Việt Nam, các Hội, đoàn thể các cấp",
    "Ủy ban nhân dân các huyện, thị xã, thành phố",
]


# --- the seeds -------------------------------------------------------------------------------

def test_hai_duong_plan_without_number_or_day_is_drafted_with_warnings():
    draft = parse_plan_text(seed("hai-duong-KH-UBND-2023.txt"))

    assert draft.number is None
    assert any("chưa có số" in w for w in draft.warnings)
    assert draft.issuer == "Ủy ban nhân dân tỉnh Hải Dương"
    assert draft.issued_on is None
    assert any("tháng 4/2023" in w for w in draft.warnings)
    assert draft.title == ("Kế hoạch truyền thông về Chương trình mục tiêu quốc gia giảm nghèo bền vững "
                           "trên địa bàn tỉnh Hải Dương giai đoạn 2021-2025")
    assert (draft.period_start, draft.period_end) == (date(2023, 1, 1), date(2025, 12, 31))
    assert draft.budget_vnd is None
    assert [s.source for s in draft.budget_sources] == ["central", "local", "mobilised"]


def test_hai_duong_plan_assigns_tasks_to_its_ten_agencies():
    draft = parse_plan_text(seed("hai-duong-KH-UBND-2023.txt"))

    assert [t.agency for t in draft.tasks] == HAI_DUONG_AGENCIES
    assert draft.tasks[6].agencies == ["Đài Phát thanh và truyền hình tỉnh", "Báo Hải Dương"]
    assert draft.tasks[2].description.startswith("Chủ trì, phối hợp với Sở, ngành, Ủy ban mặt trận Tổ quốc tỉnh")
    assert "emulation" in draft.tasks[2].activity_types


def test_hai_duong_task_descriptions_survive_page_breaks_and_stop_before_the_closing_paragraph():
    draft = parse_plan_text(seed("hai-duong-KH-UBND-2023.txt"))

    lead = draft.tasks[0].description
    assert lead.count("\n") == 4  # five bullet points
    assert "tiêu biểu trong công tác giảm nghèo" in draft.tasks[1].description
    assert "các tổ chức, cá nhân điển hình tiên tiến" in draft.tasks[1].description
    assert "tổng hợp, lồng ghép báo cáo công tác truyền thông, tuyên truyền" in draft.tasks[7].description
    last = draft.tasks[9].description
    assert last.endswith("gửi về Sở Lao động - Thương binh và Xã hội để tổng hợp, báo cáo Ban Chỉ đạo các Chương trình MTQG tỉnh.")
    assert "Nơi nhận" not in last and "yêu cầu các Sở" not in last


def test_hai_duong_yearly_report_deadline_legal_bases_and_forms():
    draft = parse_plan_text(seed("hai-duong-KH-UBND-2023.txt"))

    assert (draft.report_deadline.day, draft.report_deadline.month, draft.report_deadline.frequency) == (20, 11, "year")
    assert [(b.number, b.date, b.issuer) for b in draft.legal_bases] == [
        ("90/QĐ-TTg", date(2022, 1, 18), "Thủ tướng Chính phủ"),
        ("650/QĐ-LĐTBXH", date(2022, 7, 21), "Bộ Lao động - Thương binh và Xã hội"),
    ]
    assert draft.legal_bases[1].title.startswith("phê duyệt Kế hoạch truyền thông")
    assert len(draft.forms) == 6
    assert draft.forms[3].startswith("Tổ chức đối thoại về chính sách giảm nghèo")
    assert {"training", "dialogue", "leaflet", "emulation", "mobile_info"} <= set(draft.activity_types)


def test_quang_nam_plan_copied_from_a_law_site_reads_number_date_and_legal_bases():
    draft = parse_plan_text(seed("quang-nam-7250-KH-UBND-2022.txt"))

    assert draft.number == "7250/KH-UBND"
    assert draft.issuer == "Ủy ban nhân dân tỉnh Quảng Nam"
    assert draft.issued_on == date(2022, 11, 2)
    assert draft.title == ("Kế hoạch truyền thông về Chương trình mục tiêu quốc gia giảm nghèo bền vững "
                           "giai đoạn 2021-2025 trên địa bàn tỉnh Quảng Nam")
    assert (draft.period_start, draft.period_end) == (date(2022, 1, 1), date(2025, 12, 31))
    assert draft.budget_vnd is None
    assert [b.number for b in draft.legal_bases] == ["90/QĐ-TTg", "650/QĐ-LĐTBXH", "06/2022/TT-BTT&TT"]
    assert draft.legal_bases[2].issuer == "Bộ Thông tin và Truyền thông"
    assert draft.legal_bases[2].date == date(2022, 6, 30)


def test_quang_nam_copy_is_cut_before_its_tasks_and_the_draft_says_so():
    draft = parse_plan_text(seed("quang-nam-7250-KH-UBND-2022.txt"))

    assert draft.tasks == []
    assert any("bị cắt" in w for w in draft.warnings)
    assert any("TỔ CHỨC THỰC HIỆN" in w for w in draft.warnings)


def test_kon_tum_news_article_yields_the_plan_it_reports_not_the_news_site_dates():
    draft = parse_plan_text(seed("kon-tum-2973-KH-UBND-2022-news.txt"))

    assert draft.number == "2973/KH-UBND"
    assert draft.issuer == "Ủy ban nhân dân tỉnh Kon Tum"
    assert draft.issued_on == date(2022, 9, 8)
    assert (draft.period_start, draft.period_end) == (date(2022, 1, 1), date(2025, 12, 31))
    assert draft.budget_vnd is None
    assert draft.legal_bases == []
    assert draft.title.startswith("Kế hoạch triển khai các hoạt động truyền thông về Chương trình")
    assert draft.title.endswith("trên địa bàn tỉnh Kon Tum")


def test_kon_tum_news_article_assigns_the_groups_named_in_its_assignment_sentence():
    draft = parse_plan_text(seed("kon-tum-2973-KH-UBND-2022-news.txt"))

    assert [t.agency for t in draft.tasks] == ["Các sở, ban, ngành, các đơn vị có liên quan", "UBND các huyện, thành phố"]
    assert any("câu giao việc" in w for w in draft.warnings)
    assert len(draft.forms) == 4
    assert draft.forms[0] == "Truyền thông trên các phương tiện thông tin đại chúng từ cấp tỉnh tới cơ sở."
    assert not any("Số lượt xem" in f or "Kon Tum" in f for f in draft.forms)


# --- synthetic documents ---------------------------------------------------------------------

HEADER = """ỦY BAN NHÂN DÂN
HUYỆN ĐẠI LỘC
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Số: 125/KH-UBND
Đại Lộc, ngày 15 tháng 3 năm 2024

KẾ HOẠCH
Truyền thông giảm nghèo năm 2024

Căn cứ Kế hoạch số 7250/KH-UBND ngày 02/11/2022 của UBND tỉnh Quảng Nam về truyền thông giảm nghèo;

I. MỤC ĐÍCH, YÊU CẦU
Nâng cao nhận thức.
II. THỜI GIAN
Thời gian thực hiện: năm 2024.
"""


def test_a_district_plan_with_a_dated_header_and_one_year_period():
    draft = parse_plan_text(HEADER + "III. TỔ CHỨC THỰC HIỆN\n1. Phòng Lao động - TB&XH: Chủ trì tổ chức tập huấn.\n")

    assert draft.number == "125/KH-UBND"
    assert draft.issuer == "Ủy ban nhân dân huyện Đại Lộc"
    assert draft.issued_on == date(2024, 3, 15)
    assert draft.title == "Kế hoạch truyền thông giảm nghèo năm 2024"
    assert (draft.period_start, draft.period_end) == (date(2024, 1, 1), date(2024, 12, 31))
    assert [(b.number, b.issuer) for b in draft.legal_bases] == [("7250/KH-UBND", "UBND tỉnh Quảng Nam")]
    assert [(t.agency, t.description) for t in draft.tasks] == [("Phòng Lao động - TB&XH", "Chủ trì tổ chức tập huấn.")]
    assert draft.tasks[0].activity_types == ["training"]


@pytest.mark.parametrize("number_line", ["Số: /KH-UBND", "Số:      /KH-UBND", "Số: ....../KH-UBND", "Số /KH-UBND"])
def test_a_missing_number_leaves_the_number_empty_with_a_warning(number_line):
    draft = parse_plan_text(HEADER.replace("Số: 125/KH-UBND", number_line))

    assert draft.number is None
    assert any("chưa có số" in w for w in draft.warnings)


def test_a_number_written_with_spaces_or_a_typo_in_so_is_still_read():
    draft = parse_plan_text(HEADER.replace("Số: 125/KH-UBND", "Sô: 125 / KH - UBND"))

    assert draft.number == "125/KH-UBND"


def test_markdown_headings_and_bold_agency_names_open_tasks():
    text = HEADER + """
## **III. Tổ chức thực hiện**

**Phòng Văn hóa và Thông tin**

Chủ trì tuyên truyền trên đài truyền thanh huyện.

**Trung tâm Văn hóa - Thể thao và Truyền thanh**

- Phát thanh 2 lần mỗi tuần.
- In tờ rơi.

### Ủy ban nhân dân các xã, thị trấn

Tổ chức đối thoại chính sách.
"""
    draft = parse_plan_text(text)

    assert [t.agency for t in draft.tasks] == [
        "Phòng Văn hóa và Thông tin", "Trung tâm Văn hóa - Thể thao và Truyền thanh", "Ủy ban nhân dân các xã, thị trấn",
    ]
    assert draft.tasks[1].description == "- Phát thanh 2 lần mỗi tuần.\n- In tờ rơi."
    assert draft.tasks[2].activity_types == ["dialogue"]


def test_letter_numbering_and_plus_items_under_a_lower_case_heading():
    text = HEADER + """
IV. Nhiệm vụ
a) Phòng Lao động - Thương binh và Xã hội
+ Hướng dẫn các xã.
+ Tổng hợp báo cáo.
b) Hội Liên hiệp Phụ nữ huyện: tổ chức nói chuyện chuyên đề cho hội viên.
c) Huyện đoàn
+ Ra quân tình nguyện.
V. KINH PHÍ
Tổng kinh phí: 120.000.000 đồng.
"""
    draft = parse_plan_text(text)

    assert [t.agency for t in draft.tasks] == ["Phòng Lao động - Thương binh và Xã hội", "Hội Liên hiệp Phụ nữ huyện", "Huyện đoàn"]
    assert draft.tasks[0].description == "+ Hướng dẫn các xã.\n+ Tổng hợp báo cáo."
    assert draft.tasks[1].description == "tổ chức nói chuyện chuyên đề cho hội viên."
    assert draft.tasks[2].description == "+ Ra quân tình nguyện."
    assert draft.budget_vnd == 120_000_000


def test_a_misspelt_section_heading_is_still_found():
    draft = parse_plan_text(HEADER + "IV. TỔ CHỨC THỤC HIÊN\n1. Sở Tài chính\nBố trí kinh phí.\n")

    assert [t.agency for t in draft.tasks] == ["Sở Tài chính"]


def test_dash_items_with_agency_and_colon_open_tasks():
    text = HEADER + """IV. TỔ CHỨC THỰC HIỆN
- Sở Y tế: Phối hợp truyền thông.
- Công an tỉnh: Tuyên truyền pháp luật.
"""
    draft = parse_plan_text(text)

    assert [(t.agency, t.description) for t in draft.tasks] == [
        ("Sở Y tế", "Phối hợp truyền thông."), ("Công an tỉnh", "Tuyên truyền pháp luật."),
    ]


def test_page_numbers_repeated_headers_and_web_noise_are_ignored():
    text = """Trang chủ
Chia sẻ
Thứ 2, ngày 1 tháng 1 năm 2024
""" + HEADER + """IV. TỔ CHỨC THỰC HIỆN
1. Phòng Văn hóa và Thông tin
- Chủ trì tuyên truyền trên các phương tiện thông tin đại chúng, giới

- 3 -
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM

thiệu mô hình giảm nghèo.
2. Ủy ban nhân dân các xã
- Tổ chức thông tin lưu động.
Trang 4
Nơi nhận:
- Như trên;
Số lượt xem: 120
"""
    draft = parse_plan_text(text)

    assert draft.issued_on == date(2024, 3, 15)
    assert [t.agency for t in draft.tasks] == ["Phòng Văn hóa và Thông tin", "Ủy ban nhân dân các xã"]
    assert draft.tasks[0].description == ("- Chủ trì tuyên truyền trên các phương tiện thông tin đại chúng, "
                                          "giới thiệu mô hình giảm nghèo.")
    assert draft.tasks[1].description == "- Tổ chức thông tin lưu động."


@pytest.mark.parametrize("written, value", [
    ("3.500.000.000 đồng", 3_500_000_000),
    ("3,500,000,000 đồng", 3_500_000_000),
    ("3 500 000 000 đ", 3_500_000_000),
    ("3.500.000.000đ", 3_500_000_000),
    ("3,5 tỷ đồng", 3_500_000_000),
    ("3.500 triệu đồng", 3_500_000_000),
    ("250 triệu đồng", 250_000_000),
    ("1.250,5 triệu đồng", 1_250_500_000),
    ("45.000.000 VNĐ", 45_000_000),
])
def test_money_is_read_in_the_ways_vietnamese_documents_write_it(written, value):
    assert parse_money(f"Kinh phí: {written}.") == value


def test_budget_by_funding_source_adds_up_to_the_total_when_no_total_is_given():
    text = HEADER + """III. KINH PHÍ THỰC HIỆN
1. Ngân sách trung ương: 2.000.000.000 đồng.
2. Ngân sách địa phương: 1,5 tỷ đồng.
3. Nguồn xã hội hóa: 500 triệu đồng.
IV. TỔ CHỨC THỰC HIỆN
"""
    draft = parse_plan_text(text)

    amounts = {s.source: s.amount_vnd for s in draft.budget_sources}
    assert amounts == {"central": 2_000_000_000, "local": 1_500_000_000, "mobilised": 500_000_000}
    assert draft.budget_vnd == 4_000_000_000


def test_a_stated_total_wins_over_the_sum_of_sources():
    text = HEADER + """III. KINH PHÍ
Tổng kinh phí thực hiện: 3.500.000.000 đồng, trong đó:
- Ngân sách trung ương: 3.000.000.000 đồng;
- Ngân sách địa phương: 400.000.000 đồng.
"""
    draft = parse_plan_text(text)

    assert draft.budget_vnd == 3_500_000_000
    assert {s.source: s.amount_vnd for s in draft.budget_sources} == {
        "central": 3_000_000_000, "local": 400_000_000, "unallocated": 100_000_000}


def test_an_empty_or_foreign_text_gives_an_empty_draft_full_of_warnings():
    draft = parse_plan_text("Hello world")

    assert draft.number is None and draft.tasks == [] and draft.period_start is None
    assert len(draft.warnings) >= 4


def test_docx_paragraphs_and_header_table_become_text():
    from docx import Document

    document = Document()
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "ỦY BAN NHÂN DÂN\nTỈNH NAM ĐỊNH\nSố: 88/KH-UBND"
    table.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nNam Định, ngày 05 tháng 6 năm 2023"
    for paragraph in ["KẾ HOẠCH", "Truyền thông giảm nghèo", "I. TỔ CHỨC THỰC HIỆN", "1. Sở Tài chính", "Bố trí kinh phí."]:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)

    draft = parse_plan_text(docx_to_text(buffer.getvalue()))

    assert draft.number == "88/KH-UBND"
    assert draft.issuer == "Ủy ban nhân dân tỉnh Nam Định"
    assert draft.issued_on == date(2023, 6, 5)
    assert [t.agency for t in draft.tasks] == ["Sở Tài chính"]


@pytest.mark.parametrize("written, start, end", [
    ("Thời gian thực hiện: từ tháng 6/2024 đến hết tháng 12/2025.", date(2024, 6, 1), date(2025, 12, 31)),
    ("Thời gian thực hiện: từ tháng 3/2024 đến tháng 2/2025.", date(2024, 3, 1), date(2025, 2, 28)),
    ("Thời gian thực hiện: giai đoạn 2026 - 2030.", date(2026, 1, 1), date(2030, 12, 31)),
    ("Thời gian thực hiện: từ ngày 01/7/2025 đến ngày 31/12/2025.", date(2025, 7, 1), date(2025, 12, 31)),
    ("Thời gian thực hiện: Năm 2024.", date(2024, 1, 1), date(2024, 12, 31)),
])
def test_periods_are_read_in_the_ways_plans_write_them(written, start, end):
    draft = parse_plan_text(HEADER.replace("Thời gian thực hiện: năm 2024.", written))

    assert (draft.period_start, draft.period_end) == (start, end)


def test_agencies_grouped_by_level_keep_the_group_headings_out_of_the_tasks():
    text = HEADER + """IV. TỔ CHỨC THỰC HIỆN
1. Cấp tỉnh
a) Sở Lao động - Thương binh và Xã hội
- Chủ trì, theo dõi.
b) Sở Tài chính
- Bố trí kinh phí.
2. Cấp huyện
a) Ủy ban nhân dân các huyện
- Xây dựng kế hoạch.
"""
    draft = parse_plan_text(text)

    assert [(t.agency, t.description) for t in draft.tasks] == [
        ("Sở Lao động - Thương binh và Xã hội", "- Chủ trì, theo dõi."),
        ("Sở Tài chính", "- Bố trí kinh phí."),
        ("Ủy ban nhân dân các huyện", "- Xây dựng kế hoạch."),
    ]


def test_an_agency_heading_that_goes_on_with_its_duty_keeps_only_the_name():
    text = HEADER + """IV. TỔ CHỨC THỰC HIỆN
1. Sở Lao động - Thương binh và Xã hội có trách nhiệm:
- Hướng dẫn, kiểm tra.
2. Ủy ban Mặt trận Tổ quốc và các tổ chức chính trị - xã hội:
- Vận động hội viên.
"""
    draft = parse_plan_text(text)

    assert [t.agency for t in draft.tasks] == [
        "Sở Lao động - Thương binh và Xã hội", "Ủy ban Mặt trận Tổ quốc và các tổ chức chính trị - xã hội",
    ]
    assert draft.tasks[0].description == "- Hướng dẫn, kiểm tra."
