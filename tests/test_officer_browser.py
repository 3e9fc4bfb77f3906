"""The commune officer's day in Chromium on a 375×812 phone (and one desktop check)."""
import pytest

from app.core.clock import today
from tests.activities_helpers import commune_pair
from tests.conftest import screenshot, wait_until
from tests.factories import HAI_PHONG, PASSWORD, make_activity, make_plan, make_task, make_user


def _login(page, live_server, username):
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.browser
def test_with_four_returned_entries_the_quick_buttons_stay_on_the_first_phone_screen(live_server, session, phone):
    _, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="to_ha", full_name="Lê Thị Thu Hà")
    for n in range(4):
        make_activity(session, current.id, user=user, start_date=today(), status="returned",
                      title=f"Phát thanh chính sách giảm nghèo tuần {n + 1}",
                      review_comment="Số phút mỗi lần phát chưa đúng với lịch phát của đài xã, đề nghị kiểm tra lại.")
    page = phone.new_page()
    _login(page, live_server, "to_ha")
    page.goto(f"{live_server}/activities/home")
    for name in ("Phát thanh", "Tập huấn", "Đối thoại"):
        box = page.get_by_role("link", name=name, exact=True).bounding_box()
        assert box["y"] + box["height"] <= 812, name
    summary = page.locator("summary", has_text="Cần sửa (4)")
    assert summary.is_visible()
    assert not page.get_by_text("Phát thanh chính sách giảm nghèo tuần 1").is_visible()
    page.screenshot(path="test-artifacts/officer-home-four-returned-phone.png")
    summary.click()
    assert page.get_by_text("Phát thanh chính sách giảm nghèo tuần 1").is_visible()
    screenshot(page, "officer-home-returned-open-phone")
    # 44 px targets in the top bar; a skip link is the first stop of the keyboard.
    logout = page.get_by_role("button", name="Đăng xuất").bounding_box()
    assert logout["height"] >= 44
    page.goto(f"{live_server}/activities/home")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Bỏ qua thanh điều hướng"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.browser
def test_the_officer_of_a_merged_commune_logs_a_training_at_the_commune_it_went_into(live_server, session, phone):
    legacy, current = commune_pair(session)
    make_user(session, "reporter", legacy.id, username="xa_cu", full_name="Phạm Văn Đức")
    plan = make_plan(session, HAI_PHONG, period_start=today().replace(month=1, day=1),
                     period_end=today().replace(month=12, day=31))
    make_task(session, plan, unit_ids=(current.id,), title="Phát thanh về giảm nghèo bền vững trên loa truyền thanh xã",
              activity_types=["broadcast"])
    page = phone.new_page()
    _login(page, live_server, "xa_cu")
    page.goto(f"{live_server}/activities/new?type=training")
    assert page.get_by_text(f"Từ 1/7/2025, {legacy.name} đã nhập vào {current.name}").is_visible()
    assert page.get_by_role("radio", name="Không thuộc nhiệm vụ nào").is_checked()
    screenshot(page, "officer-merged-commune-training-phone")
    page.fill("input[name=sessions]", "1")
    page.get_by_role("button", name="Gửi", exact=True).click()
    page.wait_for_url("**/activities/home?saved=*")
    assert page.get_by_role("status").inner_text().startswith("Đã gửi")
    assert "Phải là số nguyên" not in page.inner_text("body")


@pytest.mark.browser
def test_a_desktop_page_does_not_say_that_nothing_waits_to_be_sent(live_server, session, desktop):
    _, current = commune_pair(session)
    make_user(session, "reporter", current.id, username="to_ha")
    page = desktop.new_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    _login(page, live_server, "to_ha")
    page.goto(f"{live_server}/activities")
    page.wait_for_timeout(500)
    assert "Không có mục chờ gửi" not in page.inner_text("body")
    screenshot(page, "officer-activities-desktop")


@pytest.mark.browser
def test_the_broadcast_form_offers_the_channels_and_units_of_the_entrys_date_in_full_width(live_server, session,
                                                                                          phone):
    legacy, current = commune_pair(session)
    make_user(session, "reporter", current.id, username="to_ha")
    page = phone.new_page()
    _login(page, live_server, "to_ha")
    page.goto(f"{live_server}/activities/new?type=broadcast")
    channels = page.locator("select[name='details.channel'] option").all_inner_texts()
    assert "Đài huyện/cơ sở" not in channels and "Loa truyền thanh xã" in channels
    for name in ("details.channel", "unit_id"):
        assert page.locator(f"select[name='{name}']").bounding_box()["width"] >= 340, name
    screenshot(page, "officer-broadcast-today-phone")
    page.fill("input[name=start_date]", "2024-05-10")
    page.locator("input[name=start_date]").dispatch_event("change")
    wait_until(page, "[...document.querySelectorAll(\"select[name='details.channel'] option\")]"
                     ".some(o => o.textContent === 'Đài huyện/cơ sở')")
    offered = page.locator("select[name=unit_id] option").all_inner_texts()
    assert legacy.name in offered and current.name not in offered
    screenshot(page, "officer-broadcast-2024-phone")


@pytest.mark.browser
def test_a_training_form_offers_its_tasks_and_the_communes_own_bodies_first_on_a_phone(live_server, session, phone):
    from datetime import timedelta

    from app.agencies.models import AgencyKind
    from tests.factories import make_agency

    _, current = commune_pair(session)
    make_user(session, "reporter", current.id, username="to_ha")
    plan = make_plan(session, HAI_PHONG, period_start=today() - timedelta(days=60),
                     period_end=today() + timedelta(days=60))
    loudspeaker = make_task(session, plan, unit_ids=(current.id,), title="Phát thanh trên loa truyền thanh xã",
                            activity_types=["broadcast"])
    training = make_task(session, plan, unit_ids=(current.id,), title="Tập huấn cán bộ giảm nghèo",
                         activity_types=["training", "dialogue"], position=1)
    make_agency(session, HAI_PHONG, "Sở Nông nghiệp và Môi trường thành phố Hải Phòng", short_name="Sở NN&MT")
    make_agency(session, current.id, "Ủy ban Mặt trận Tổ quốc " + current.name, short_name="Mặt trận xã",
                kind=AgencyKind.mass_organisation)
    page = phone.new_page()
    _login(page, live_server, "to_ha")
    page.goto(f"{live_server}/activities/new?type=training")
    assert page.get_by_role("radio", name=training.title).is_checked()
    assert not page.locator(f"input[name=task_ids][value='{loudspeaker.id}']").is_checked()
    text = page.locator("main").text_content()
    assert text.index(training.title) < text.index("Nhiệm vụ khác") < text.index(loudspeaker.title)
    groups = page.locator("select[name=agency_id] optgroup").evaluate_all("gs => gs.map(g => g.label)")
    assert groups[0] == "Của xã, phường" and "Cấp tỉnh, thành phố" in groups
    first_group = page.locator("select[name=agency_id] optgroup").first.locator("option").all_inner_texts()
    assert "Mặt trận xã" in " ".join(first_group)
    for target in page.locator("input[name=task_ids]:visible").all():
        label = target.locator("xpath=ancestor::label[1]")
        assert label.bounding_box()["height"] >= 44
    screenshot(page, "officer-training-form-tasks-agencies-phone")


@pytest.mark.browser
def test_a_returned_entry_sent_again_says_it_went_for_review_on_a_phone(live_server, session, phone):
    _, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="to_ha")
    entry = make_activity(session, current.id, user=user, start_date=today(), status="returned", airings=2,
                          minutes_per_airing=10, review_comment="Sai số phút mỗi lần phát",
                          details={"channel": "commune_loudspeaker"})
    page = phone.new_page()
    _login(page, live_server, "to_ha")
    page.goto(f"{live_server}/activities/{entry.id}/edit")
    page.fill("input[name=minutes_per_airing]", "15")
    page.get_by_role("button", name="Gửi lại", exact=True).click()
    from playwright.sync_api import expect

    expect(page.get_by_role("status")).to_contain_text("Đã gửi lại để duyệt")
    body = page.inner_text("main")
    assert "Đã gửi lại để duyệt" in body and "Đã lưu." not in body
    assert "2 lần × 15 phút = 30 phút" in body
    again = page.get_by_role("link", name="Ghi thêm giống mục này")
    assert again.is_visible() and again.bounding_box()["height"] >= 44
    screenshot(page, "officer-resubmitted-phone")
