"""The phone flow in Chromium at 375×812: log a broadcast in one form and one tap, fix an error."""
import pytest
from sqlalchemy import select

from app.activities.models import Activity
from app.core.clock import today
from tests.activities_helpers import commune_pair
from tests.conftest import screenshot
from tests.factories import PASSWORD, make_activity, make_user


def _login(page, live_server, username):
    page.goto(f"{live_server}/activities/home")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/activities/home")


@pytest.mark.browser
def test_a_reporter_logs_a_broadcast_from_home_with_one_tap(live_server, session, phone):
    _, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="to_ha", full_name="Lê Thị Thu Hà")
    make_activity(session, current.id, user=user, start_date=today(), status="returned", title="Phát thanh tuần trước",
                  review_comment="Số phút chưa đúng, vui lòng kiểm tra lại.")
    page = phone.new_page()
    _login(page, live_server, "to_ha")
    screenshot(page, "activities-home-phone")
    page.get_by_role("link", name="Phát thanh", exact=True).click()
    page.wait_for_url("**/activities/new?type=broadcast")
    page.fill("input[name=minutes_per_airing]", "15")
    screenshot(page, "activities-broadcast-form-phone")
    page.get_by_role("button", name="Gửi", exact=True).click()
    page.wait_for_url("**/activities/home?saved=*")
    assert page.get_by_role("status").inner_text().startswith("Đã gửi")
    page.goto(f"{live_server}/activities")
    page.locator("#activity-rows .entry", has_text="Phát thanh").first.wait_for()
    page.select_option("select[name=status]", "submitted")
    page.wait_for_url("**/activities?*status=submitted*")
    rows = page.locator("#activity-rows .entry")
    assert rows.count() == 1 and "Đã gửi" in rows.first.inner_text()
    screenshot(page, "activities-list-phone")
    stored = session.execute(select(Activity).where(Activity.status == "submitted")).scalars().one()
    assert stored.minutes == stored.airings * 15 and stored.unit_id == current.id


@pytest.mark.browser
def test_a_validation_error_is_fixed_without_retyping(live_server, session, phone):
    _, current = commune_pair(session)
    make_user(session, "reporter", current.id, username="to_ha")
    page = phone.new_page()
    _login(page, live_server, "to_ha")
    page.goto(f"{live_server}/activities/new?type=broadcast")
    page.fill("input[name=airings]", "3")
    page.fill("input[name=minutes_per_airing]", "-5")
    page.fill("input[name='details.programme_title']", "Chuyên mục Vì người nghèo")
    page.get_by_role("button", name="Gửi", exact=True).click()
    error = page.locator(".field-error", has_text="Không được là số âm")
    error.wait_for()
    screenshot(page, "activities-broadcast-error-phone")
    assert page.input_value("input[name=airings]") == "3"
    assert page.input_value("input[name='details.programme_title']") == "Chuyên mục Vì người nghèo"
    page.fill("input[name=minutes_per_airing]", "10")
    page.get_by_role("button", name="Gửi", exact=True).click()
    page.wait_for_url("**/activities/home?saved=*")
    stored = session.execute(select(Activity)).scalars().one()
    assert (stored.airings, stored.minutes, stored.details["programme_title"]) == (3, 30, "Chuyên mục Vì người nghèo")


@pytest.mark.browser
def test_the_detail_page_reads_well_on_a_phone_and_a_desktop(live_server, session, phone, desktop):
    _, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="to_ha")
    activity = make_activity(session, current.id, user=user, start_date=today(), type="talk",
                             title="Nói chuyện chuyên đề về chính sách giảm nghèo", participants=85,
                             participants_women=47, participants_poor=12, cost_local_vnd=1500000)
    for name, context in (("phone", phone), ("desktop", desktop)):
        page = context.new_page()
        _login(page, live_server, "to_ha")
        page.goto(f"{live_server}/activities/{activity.id}")
        assert page.get_by_role("heading", name="Nói chuyện chuyên đề về chính sách giảm nghèo").is_visible()
        assert "1.500.000 đ" in page.inner_text("main")
        screenshot(page, f"activities-detail-{name}")
        page.goto(f"{live_server}/activities/new?type=talk")
        screenshot(page, f"activities-talk-form-{name}")
        page.close()
