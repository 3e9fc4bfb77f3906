"""The ways real plans of the programme are written, one test each, on the texts in tests/plan_texts
(written for Loa after the public plans of provinces, departments, districts and communes)."""
from datetime import date
from pathlib import Path

import pytest

from app.plans.parser import parse_plan_text
from tests.plan_texts_facts import EXPECTED, HELD_OUT, TEXTS, score, table

README = Path(__file__).resolve().parents[1] / "README.md"


def draft_of(name: str):
    return parse_plan_text((TEXTS / name).read_text(encoding="utf-8"))


def task(draft, agency: str):
    return next(t for t in draft.tasks if t.agency == agency)


# --- header ------------------------------------------------------------------------------------

def test_a_number_without_digits_is_left_empty_and_its_suffix_names_the_department():
    draft = draft_of("so-tttt-ha-nam-2022.txt")  # "Số: /KH-STTTT", "Hà Nam, ngày     tháng 10 năm 2021"

    assert draft.number is None
    assert draft.issuer == "Sở Thông tin và Truyền thông tỉnh Hà Nam"
    assert draft.issued_on is None
    assert any("tháng 10/2021" in w for w in draft.warnings)


def test_a_number_with_digits_and_a_commune_header_give_number_issuer_and_date():
    draft = draft_of("xa-yen-phong-2023.txt")

    assert (draft.number, draft.issuer, draft.issued_on) == ("15/KH-UBND", "Ủy ban nhân dân xã Yên Phong", date(2023, 2, 20))


def test_the_issuer_is_read_from_the_body_when_the_page_has_no_header():
    draft = draft_of("web-so-tttt-nam-dinh-2023.txt")  # "… Sở Thông tin và Truyền thông tỉnh Nam Định xây dựng Kế hoạch …"

    assert draft.issuer == "Sở Thông tin và Truyền thông tỉnh Nam Định"
    assert draft.number is None and draft.issued_on is None  # the page's posting date is not the plan's date


def test_a_department_header_below_its_province_names_both():
    draft = draft_of("phong-vhtt-y-yen-2022.txt")  # "UBND HUYỆN Ý YÊN" / "PHÒNG VĂN HÓA VÀ THÔNG TIN"

    assert draft.issuer == "Phòng Văn hóa và Thông tin huyện Ý Yên"
    assert draft.issued_on == date(2022, 1, 5)  # a place name starting with "Ý"


def test_a_one_line_commune_header_of_the_new_era():
    draft = draft_of("xa-y-yen-2025.txt")  # "ỦY BAN NHÂN DÂN XÃ Ý YÊN"

    assert draft.issuer == "Ủy ban nhân dân xã Ý Yên"


# --- title ---------------------------------------------------------------------------------------

def test_a_capitalised_title_wrapped_over_three_lines_is_one_title():
    draft = draft_of("huyen-kim-thanh-2024.txt")

    assert draft.title == ("Kế hoạch truyền thông về Chương trình mục tiêu quốc gia giảm nghèo bền vững trên địa bàn huyện "
                           "giai đoạn 2024 - 2025")


def test_a_lower_case_title_wrapped_mid_word_is_joined():
    draft = draft_of("so-tttt-ha-nam-2022.txt")

    assert draft.title == "Kế hoạch thông tin, tuyên truyền về Chương trình mục tiêu quốc gia giảm nghèo bền vững năm 2022"


def test_a_plan_annexed_to_a_decision_takes_the_decisions_number_and_its_own_title():
    draft = draft_of("quyet-dinh-nam-dinh-2022.txt")

    assert draft.number == "2150/QĐ-UBND"
    assert draft.title.startswith("Kế hoạch truyền thông về Chương trình mục tiêu quốc gia")
    assert "Ban hành kèm theo" not in draft.title
    assert any("kèm theo Quyết định 2150/QĐ-UBND" in w for w in draft.warnings)
    assert not any("Chánh Văn phòng" in t.agency for t in draft.tasks)  # Điều 3 of the decision is not a task


# --- period --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, start, end", [
    ("so-tttt-ha-nam-2022.txt", date(2022, 1, 1), date(2022, 12, 31)),   # "năm 2022", issued in 2021
    ("xa-yen-phong-2023.txt", date(2023, 1, 1), date(2023, 12, 31)),     # only the title says the year
    ("huyen-kim-thanh-2024.txt", date(2024, 3, 1), date(2025, 12, 31)),  # "Từ ngày … đến ngày …"
    ("quyet-dinh-nam-dinh-2022.txt", date(2022, 1, 1), date(2025, 12, 31)),  # "Từ năm 2022 đến hết năm 2025"
    ("phong-vhtt-y-yen-2022.txt", date(2022, 1, 1), date(2022, 12, 31)),  # "Từ tháng 01/2022 đến tháng 12/2022"
])
def test_the_period_is_read_in_each_form(name, start, end):
    draft = draft_of(name)

    assert (draft.period_start, draft.period_end) == (start, end)


# --- legal bases ---------------------------------------------------------------------------------

def test_a_basis_with_a_comma_before_its_date_keeps_each_part_in_its_field_and_stops_at_the_sentence():
    draft = draft_of("so-tttt-ha-nam-2022.txt")  # "Thực hiện Kế hoạch số 2468/KH-UBND, ngày 15/9/2021 của UBND tỉnh Hà Nam về …. Sở …"

    basis = draft.legal_bases[1]
    assert (basis.number, basis.date, basis.issuer) == ("2468/KH-UBND", date(2021, 9, 15), "UBND tỉnh Hà Nam")
    assert basis.title == "thực hiện công tác giảm nghèo năm 2022"


def test_a_reply_to_an_official_letter_is_a_basis_and_the_issuer_stops_at_its_place_name():
    draft = draft_of("huyen-kim-thanh-2024.txt")

    assert [(b.number, b.date, b.issuer, b.title) for b in draft.legal_bases] == [
        ("1503/KH-UBND", date(2023, 4, 25), "UBND tỉnh Hải Dương",
         "truyền thông về Chương trình mục tiêu quốc gia giảm nghèo bền vững"),
        ("512/SLĐTBXH-GNBTXH", date(2024, 2, 5), "Sở Lao động - Thương binh và Xã hội tỉnh Hải Dương",
         "xây dựng kế hoạch truyền thông giảm nghèo năm 2024"),
    ]


def test_a_work_programme_or_a_law_cited_without_a_number_is_kept_as_a_basis():
    commune = draft_of("xa-yen-phong-2023.txt")
    province = draft_of("quyet-dinh-nam-dinh-2022.txt")

    assert ("", None, "UBND xã", "Chương trình công tác năm 2023") in [
        (b.number, b.date, b.issuer, b.title) for b in commune.legal_bases]
    assert province.legal_bases[0].title == "Luật Tổ chức chính quyền địa phương"
    assert province.legal_bases[0].date == date(2015, 6, 19)


# --- budget --------------------------------------------------------------------------------------

def test_a_total_without_a_source_is_kept_as_unallocated():
    draft = draft_of("so-tttt-ha-nam-2022.txt")  # "Tổng kinh phí thực hiện 350 triệu đồng."

    assert draft.budget_vnd == 350_000_000
    assert [(s.source, s.amount_vnd) for s in draft.budget_sources] == [("unallocated", 350_000_000)]


def test_a_total_with_its_sources_in_billions_millions_and_spaced_dong_including_integrated_funds():
    draft = draft_of("huyen-kim-thanh-2024.txt")

    assert draft.budget_vnd == 1_200_000_000
    assert {s.source: s.amount_vnd for s in draft.budget_sources} == {
        "central": 800_000_000, "local": 300_000_000, "integrated": 100_000_000}


def test_sources_in_one_sentence_after_trong_do():
    draft = draft_of("xa-y-yen-2025.txt")

    assert {s.source: s.amount_vnd for s in draft.budget_sources} == {"central": 40_000_000, "local": 20_000_000}


# --- implementation section --------------------------------------------------------------------

def test_the_sub_units_of_a_department_are_tasks_of_its_sub_units_not_other_agencies():
    draft = draft_of("so-tttt-ha-nam-2022.txt")  # "IV. TRÁCH NHIỆM THỰC HIỆN", "1. Phòng …", "2. Văn phòng Sở"

    assert [(t.agency, t.kind) for t in draft.tasks[:3]] == [
        ("Phòng Thông tin - Báo chí - Xuất bản", "sub_unit"), ("Văn phòng Sở", "sub_unit"),
        ("Phòng Bưu chính, Viễn thông và Công nghệ thông tin", "sub_unit"),
    ]
    assert task(draft, "Phòng Thông tin - Báo chí - Xuất bản").description.startswith("Chủ trì hướng dẫn")


def test_a_name_glued_to_its_duty_on_a_web_page_is_split_under_a_lettered_heading():
    draft = draft_of("web-so-tttt-nam-dinh-2023.txt")  # "D. TỔ CHỨC THỰC HIỆN", "- Phòng … Xuất bảnChủ trì, …"

    first = task(draft, "Phòng Thông tin - Báo chí - Xuất bản")
    assert first.kind == "sub_unit"
    assert first.description.startswith("Chủ trì, phối hợp")
    assert task(draft, "Thanh tra Sở").kind == "sub_unit"


def test_groups_are_group_assignments_even_after_de_nghi():
    draft = draft_of("so-tttt-ha-nam-2022.txt")

    assert task(draft, "Các cơ quan báo chí của tỉnh").kind == "group"  # "4. Đề nghị các cơ quan báo chí của tỉnh:"
    assert task(draft, "Ủy ban nhân dân các huyện, thị xã, thành phố").kind == "group"


def test_commune_officials_and_bodies_are_the_actors_of_a_commune_plan():
    draft = draft_of("xa-yen-phong-2023.txt")

    actors = [(t.agency, t.kind) for t in draft.tasks if t.kind != "content"]
    assert actors == [
        ("Công chức văn hóa - xã hội phụ trách lao động - thương binh và xã hội", "official"),
        ("Công chức văn hóa - thông tin", "official"),
        ("Ủy ban Mặt trận Tổ quốc và các đoàn thể xã", "agency"),
        ("Trưởng các thôn", "group"),
    ]


def test_lettered_agencies_under_phan_cong_nhiem_vu_with_dash_duties():
    draft = draft_of("huyen-kim-thanh-2024.txt")

    assert [t.agency for t in draft.tasks] == [
        "Phòng Lao động - Thương binh và Xã hội", "Phòng Văn hóa và Thông tin",
        "Trung tâm Văn hóa - Thể thao và Truyền thanh huyện", "UBND các xã, thị trấn",
    ]
    assert task(draft, "UBND các xã, thị trấn").kind == "group"


def test_dash_agencies_under_an_arabic_numbered_heading():
    draft = draft_of("phong-vhtt-y-yen-2022.txt")  # "5. Tổ chức thực hiện", "- Đài Truyền thanh huyện: …"

    assert [t.agency for t in draft.tasks] == ["Đài Truyền thanh huyện", "Trung tâm Văn hóa - Thể thao huyện",
                                               "UBND các xã, thị trấn"]


# --- tasks and targets -------------------------------------------------------------------------

def test_activities_under_noi_dung_nhiem_vu_become_tasks_with_types_and_targets():
    draft = draft_of("xa-yen-phong-2023.txt")

    content = [(t.activity_types, [(g.metric, g.quantity, g.period) for g in t.targets])
               for t in draft.tasks if t.kind == "content"]
    assert content == [
        (["broadcast"], [("airings", 4, "month")]),
        (["leaflet"], [("copies", 500, "plan")]),
        (["dialogue"], [("sessions", 2, "plan")]),
        (["visual"], [("items", 10, "plan")]),
    ]


def test_figures_in_an_agencys_duty_are_draft_targets():
    draft = draft_of("so-tttt-ha-nam-2022.txt")

    press = task(draft, "Phòng Thông tin - Báo chí - Xuất bản")
    assert [(g.metric, g.quantity, g.activity_type) for g in press.targets] == [
        ("sessions", 2, "training"), ("participants", 120, "training")]
    assert [(g.metric, g.quantity, g.period) for g in task(draft, "Các cơ quan báo chí của tỉnh").targets] == [
        ("items", 24, "year")]


# --- the measure -------------------------------------------------------------------------------

def test_at_least_nine_facts_in_ten_are_read_and_nothing_is_invented():
    scores = [score(name) for name in EXPECTED]

    assert sum(s.found for s in scores) >= 0.9 * sum(s.present for s in scores), [s.misses for s in scores]
    assert all(s.wrong_extra == 0 for s in scores)
    assert {s.name for s in scores} >= set(HELD_OUT)


def test_the_readme_shows_the_measured_table():
    assert table() in README.read_text(encoding="utf-8")


def test_a_citation_wrapped_by_a_narrow_column_and_an_issuer_named_by_its_level_alone():
    text = """ỦY BAN NHÂN DÂN
TỈNH NAM ĐỊNH
Số: 77/KH-UBND
Nam Định, ngày 3 tháng 4 năm 2023
KẾ HOẠCH
Truyền thông giảm nghèo năm 2023
Căn cứ Quyết định số
90/QĐ-TTg ngày 18/01/2022 của Thủ tướng Chính phủ phê duyệt
Chương trình mục tiêu quốc gia giảm nghèo bền vững;
Thực hiện Kế hoạch số 3010/KH-UBND ngày 02/8/2022 của UBND tỉnh truyền thông về giảm nghèo;
I. MỤC ĐÍCH
"""
    draft = parse_plan_text(text)

    assert [(b.number, b.date, b.issuer, b.title) for b in draft.legal_bases] == [
        ("90/QĐ-TTg", date(2022, 1, 18), "Thủ tướng Chính phủ",
         "phê duyệt Chương trình mục tiêu quốc gia giảm nghèo bền vững"),
        ("3010/KH-UBND", date(2022, 8, 2), "UBND tỉnh", "truyền thông về giảm nghèo"),
    ]
