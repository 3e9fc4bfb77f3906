"""Saving a drafted plan: which agencies, which unit, who may save it. Named users: a reviewer of the
current Ninh Bình province (which took in the legacy Nam Định and Hà Nam), a reviewer of Hải Phòng, and
the reviewer of the current Xã Ý Yên (which took in the legacy Xã Yên Phong of huyện Ý Yên)."""
from datetime import date

import pytest
from sqlmodel import select

from app.agencies.models import Agency, AgencyKind
from app.plans.models import Plan, Target, Task, TaskUnit
from app.units.loader import CURRENT, LEGACY, unit_id
from app.units.models import Unit
from tests.conftest import screenshot
from tests.factories import HAI_PHONG, NAM_DINH, NINH_BINH, PASSWORD, login, make_agency, make_user
from tests.plan_texts_facts import TEXTS
from tests.test_plan_import import as_data, form_values, replace, value_of

HA_NAM = unit_id(LEGACY, "province", "35")
YEN_PHONG = 13013846          # Xã Yên Phong, huyện Ý Yên, tỉnh Nam Định (until 30/6/2025)
YEN_PHONG_NINH_BINH = 13014719  # another Xã Yên Phong, of the legacy Ninh Bình, in the same current province
Y_YEN_COMMUNE = unit_id(CURRENT, "commune", "13795")  # Xã Ý Yên (from 1/7/2025), successor of Xã Yên Phong


@pytest.fixture
def ninh_binh(session):
    return make_user(session, "reviewer", NINH_BINH, username="thamdinh.ninhbinh")


def read(client, csrf, name: str):
    response = client.post("/plans/import", data={"csrf_token": csrf, "text": (TEXTS / name).read_text(encoding="utf-8")})
    assert response.status_code == 200, response.text
    return response, form_values(response.text)


def save(client, fields, **changes):
    for name, value in changes.items():
        fields = replace(fields, name.replace("__", "-"), value)
    return client.post("/plans/import/save", data=as_data(fields), follow_redirects=False)


def task_fields(fields, agency: str) -> str:
    """The 'task-N-' prefix of the task drafted for `agency`."""
    name = next(k for k, v in fields if k.endswith("-agency") and v == agency)
    return name[: -len("agency")]


# --- agencies ----------------------------------------------------------------------------------

def test_saving_a_department_plan_as_drafted_creates_no_agency(client, session, ninh_binh):
    csrf = login(client, ninh_binh)
    _, fields = read(client, csrf, "so-tttt-ha-nam-2022.txt")

    assert {v for k, v in fields if k.endswith("-agency_id")} == {""}
    saved = save(client, fields)

    assert saved.status_code == 303, saved.text
    assert session.exec(select(Agency)).all() == []
    assert {t.lead_agency_id for t in session.exec(select(Task)).all()} == {None}


def test_a_group_cannot_be_created_as_an_agency(client, session, ninh_binh):
    csrf = login(client, ninh_binh)
    _, fields = read(client, csrf, "so-tttt-ha-nam-2022.txt")
    press = task_fields(fields, "Các cơ quan báo chí của tỉnh")
    fields = replace(fields, press + "agency_id", "new")
    fields = replace(fields, press + "new_agency", "Các cơ quan báo chí của tỉnh")

    response = save(client, fields)

    assert response.status_code == 422
    assert "là một nhóm cơ quan, không phải một cơ quan" in response.text
    assert session.exec(select(Agency)).all() == []


def test_a_defunct_department_is_suggested_its_successor_by_function(client, session, ninh_binh):
    culture = make_agency(session, NINH_BINH, "Sở Văn hóa, Thể thao và Du lịch", valid_from=date(2025, 7, 1))
    science = make_agency(session, NINH_BINH, "Sở Khoa học và Công nghệ", valid_from=date(2025, 7, 1))
    csrf = login(client, ninh_binh)

    page, fields = read(client, csrf, "so-tttt-ha-nam-2022.txt")

    assert value_of(fields, "agency_id") == str(culture.id)  # the issuer: press and grassroots information
    assert value_of(fields, task_fields(fields, "Phòng Thông tin - Báo chí - Xuất bản") + "agency_id") == str(culture.id)
    assert value_of(fields, task_fields(fields, "Phòng Bưu chính, Viễn thông và Công nghệ thông tin") + "agency_id") == \
        str(science.id)
    assert "gợi ý cơ quan kế nhiệm theo chức năng" in page.text


def test_an_existing_agency_that_ended_suggests_its_recorded_successor(client, session, ninh_binh):
    successor = make_agency(session, NINH_BINH, "Sở Văn hóa, Thể thao và Du lịch", valid_from=date(2025, 7, 1))
    make_agency(session, NAM_DINH, "Sở Thông tin và Truyền thông", valid_to=date(2025, 2, 28), successor_id=successor.id)
    labour = make_agency(session, NAM_DINH, "Sở Lao động - Thương binh và Xã hội")
    csrf = login(client, ninh_binh)

    _, fields = read(client, csrf, "quyet-dinh-nam-dinh-2022.txt")

    assert value_of(fields, task_fields(fields, "Sở Thông tin và Truyền thông") + "agency_id") == str(successor.id)
    assert value_of(fields, task_fields(fields, "Sở Lao động - Thương binh và Xã hội") + "agency_id") == str(labour.id)


# --- the plan's unit ---------------------------------------------------------------------------

def test_a_merged_provinces_plan_goes_on_the_legacy_province_and_its_districts(client, session, ninh_binh):
    csrf = login(client, ninh_binh)
    page, fields = read(client, csrf, "quyet-dinh-nam-dinh-2022.txt")

    assert value_of(fields, "unit_id") == str(NAM_DINH)
    assert "Tỉnh Nam Định (đến 30/06/2025, nay thuộc Tỉnh Ninh Bình)" in page.text
    districts = task_fields(fields, "Ủy ban nhân dân các huyện, thành phố")
    assert value_of(fields, districts + "assign_every") == "district"
    assert save(client, fields).status_code == 303

    plan = session.exec(select(Plan)).one()
    assert plan.unit_id == NAM_DINH
    assigned = session.exec(select(Unit).join(TaskUnit, TaskUnit.unit_id == Unit.id)).all()
    assert len(assigned) == 9  # the districts of Nam Định, none of Ninh Bình's
    assert {u.province_id for u in assigned} == {NAM_DINH}
    listed = client.get(f"/api/v1/plans?unit_id={NINH_BINH}").json()
    assert [p["id"] for p in listed["items"]] == [plan.id]


def test_a_plan_of_a_province_outside_the_reviewers_scope_gets_no_unit(client, session):
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="thamdinh.haiphong")
    csrf = login(client, reviewer)

    page, fields = read(client, csrf, "quyet-dinh-nam-dinh-2022.txt")

    assert value_of(fields, "unit_id") != str(HAI_PHONG)
    assert "Không tìm thấy đơn vị của “Ủy ban nhân dân tỉnh Nam Định” trong phạm vi bạn quản lý" in page.text
    assert save(client, fields).status_code == 422
    assert session.exec(select(Plan)).all() == []


def test_a_department_plan_without_its_province_in_the_header_goes_on_the_province_of_its_date_line(client, session,
                                                                                                        ninh_binh):
    csrf = login(client, ninh_binh)
    _, fields = read(client, csrf, "so-tttt-ha-nam-2022.txt")

    assert value_of(fields, "unit_id") == str(HA_NAM)


def test_an_unallocated_total_and_integrated_funds_are_saved(client, session, ninh_binh):
    csrf = login(client, ninh_binh)
    _, fields = read(client, csrf, "so-tttt-ha-nam-2022.txt")
    assert save(client, fields).status_code == 303

    plan = session.exec(select(Plan)).one()
    assert (plan.budget_central_vnd, plan.budget_unallocated_vnd) == (0, 350_000_000)


# --- a commune's plan ----------------------------------------------------------------------------

def test_the_province_reviewer_gets_the_commune_whose_district_the_plan_names(client, session, ninh_binh):
    csrf = login(client, ninh_binh)

    _, fields = read(client, csrf, "xa-yen-phong-2023.txt")

    assert value_of(fields, "unit_id") == str(YEN_PHONG)
    assert str(YEN_PHONG_NINH_BINH) in [v for k, v in fields if k == "unit_suggestions"]


def test_the_reviewer_of_the_successor_commune_saves_the_legacy_communes_plan_with_its_targets(client, session):
    reviewer = make_user(session, "reviewer", Y_YEN_COMMUNE, username="thamdinh.xayyen")
    csrf = login(client, reviewer)
    _, fields = read(client, csrf, "xa-yen-phong-2023.txt")
    assert value_of(fields, "unit_id") == str(YEN_PHONG)

    assert save(client, fields).status_code == 303

    plan = session.exec(select(Plan)).one()
    assert (plan.unit_id, plan.budget_local_vnd) == (YEN_PHONG, 25_000_000)
    targets = session.exec(select(Target.metric, Target.quantity, Target.period).join(Task)
                           .where(Task.plan_id == plan.id).order_by(Task.position)).all()
    assert targets[:4] == [("airings", 4, "month"), ("copies", 500, "plan"), ("sessions", 2, "plan"), ("items", 10, "plan")]


def test_a_reviewer_of_another_commune_may_not_put_the_plan_on_this_commune(client, session):
    other = make_user(session, "reviewer", unit_id(CURRENT, "commune", "13285"), username="thamdinh.xakhac")
    csrf = login(client, other)
    _, fields = read(client, csrf, "xa-yen-phong-2023.txt")

    response = save(client, fields, unit_id=str(YEN_PHONG))

    assert response.status_code == 422
    assert "Bạn không quản lý kế hoạch của đơn vị này." in response.text
    assert session.exec(select(Plan)).all() == []


def test_a_communes_reporter_cannot_import_plans(client, session):
    reporter = make_user(session, "reporter", Y_YEN_COMMUNE)
    login(client, reporter)

    assert client.get("/plans/import").status_code == 403


# --- every test text ---------------------------------------------------------------------------

KIM_THANH = 12000293  # Huyện Kim Thành, tỉnh Hải Dương (until 30/6/2025)
Y_YEN_DISTRICT = 12000360


@pytest.mark.parametrize("name, scope, unit", [
    ("so-tttt-ha-nam-2022.txt", NINH_BINH, HA_NAM),
    ("xa-yen-phong-2023.txt", NINH_BINH, YEN_PHONG),
    ("huyen-kim-thanh-2024.txt", HAI_PHONG, KIM_THANH),
    ("quyet-dinh-nam-dinh-2022.txt", NINH_BINH, NAM_DINH),
    ("web-so-tttt-nam-dinh-2023.txt", NINH_BINH, NAM_DINH),
    ("phong-vhtt-y-yen-2022.txt", NINH_BINH, Y_YEN_DISTRICT),
    ("xa-y-yen-2025.txt", NINH_BINH, Y_YEN_COMMUNE),
])
def test_each_test_text_saved_as_drafted_lands_on_its_own_unit_and_creates_no_agency(client, session, name, scope, unit):
    reviewer = make_user(session, "reviewer", scope, username="thamdinh.tinh")
    csrf = login(client, reviewer)
    _, fields = read(client, csrf, name)

    assert save(client, fields).status_code == 303

    assert session.exec(select(Plan.unit_id)).one() == unit
    assert session.exec(select(Agency)).all() == []


# --- in a browser ----------------------------------------------------------------------------

def _read_in_browser(page, base, username, name):
    page.goto(f"{base}/login?next=/plans/import")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/plans/import")
    page.fill("textarea[name=text]", (TEXTS / name).read_text(encoding="utf-8"))
    page.click("button:has-text('Đọc văn bản')")
    page.wait_for_selector("text=Kiểm tra bản nháp kế hoạch")


@pytest.mark.browser
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_review_shows_successors_groups_and_targets(live_server, request, session, ninh_binh, device):
    make_agency(session, NINH_BINH, "Sở Văn hóa, Thể thao và Du lịch", valid_from=date(2025, 7, 1))
    page = request.getfixturevalue(device).new_page()
    _read_in_browser(page, live_server, ninh_binh.username, "so-tttt-ha-nam-2022.txt")

    assert page.locator("select[name=unit_id] option:checked").inner_text().startswith("Tỉnh Hà Nam (đến 30/06/2025")
    assert page.locator(".suggestion", has_text="gợi ý cơ quan kế nhiệm theo chức năng").first.is_visible()
    group = page.locator("fieldset.task").filter(has=page.locator("legend", has_text="Các cơ quan báo chí của tỉnh"))
    assert group.locator(".badge", has_text="Nhóm, giao theo địa bàn").is_visible()
    assert group.locator("select[name$=agency_id] option:checked").inner_text() == "— Chưa chọn —"
    assert group.locator("option[value=new]").count() == 0
    assert page.locator("input[name=budget_unallocated_vnd]").input_value() == "350.000.000"
    screenshot(page, f"plan-import-department-{device}")
