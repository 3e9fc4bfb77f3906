"""Progress and completeness pages in Chromium, at desktop and phone width."""
from datetime import date

import pytest

from tests.conftest import screenshot
from tests.dashboards_helpers import merged_legacy_commune, other_current_commune
from tests.factories import HAI_PHONG, make_activity, make_plan, make_task, make_user
from tests.test_reviews_browser import sign_in


@pytest.mark.browser
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_progress_and_lagging_communes_in_a_browser(session, live_server, request, device):
    from playwright.sync_api import expect

    from app.units.models import Unit

    legacy = merged_legacy_commune(session)
    successor = session.get(Unit, legacy.current_commune_id)
    other = other_current_commune(session, successor.id)
    make_user(session, "reporter", other.id, username="ghi_xa", full_name="Đỗ Văn Tùng", phone="0987 654 321")
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp")
    plan = make_plan(session, HAI_PHONG, number="45/KH-UBND")
    task = make_task(session, plan, unit_ids=(successor.id, other.id), targets=(("airings", 24, "year"),))
    make_activity(session, legacy.id, status="approved", airings=20, start_date=date(2026, 4, 3), task_ids=(task.id,))
    make_activity(session, successor.id, status="submitted", airings=6, start_date=date(2026, 9, 3), task_ids=(task.id,))

    page = request.getfixturevalue(device).new_page()
    sign_in(page, live_server, reviewer)
    page.goto(f"{live_server}/progress?plan_id={plan.id}&period=2026")
    row = page.locator(f"tr[data-unit='{successor.id}']")
    expect(row).to_contain_text("Hoàn thành")
    expect(page.locator(f"tr[data-unit='{other.id}']")).to_contain_text("Chậm tiến độ")
    screenshot(page, f"progress-{device}")
    page.select_option("select[name=boundaries]", "as_of")
    page.wait_for_url("**boundaries=as_of**")
    expect(page.locator(f"tr[data-unit='{successor.id}']")).to_contain_text("Chậm tiến độ")

    page.goto(f"{live_server}/completeness?plan_id={plan.id}&period=2026")
    expect(page.locator(f"tr[data-unit='{other.id}'] a.tel")).to_have_attribute("href", "tel:0987654321")
    expect(page.locator(f"tr[data-unit='{successor.id}']")).to_have_count(0)
    screenshot(page, f"completeness-{device}")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1
