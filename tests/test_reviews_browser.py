"""The review queue in Chromium: return one entry with a comment, approve the ticked ones."""
from datetime import date

import pytest

from tests.conftest import screenshot
from tests.dashboards_helpers import make_village, other_current_commune
from tests.factories import HAI_PHONG, PASSWORD, make_activity, make_user


def sign_in(page, live_server, user):
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


@pytest.mark.browser
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_reviewer_returns_one_entry_and_approves_the_others(session, live_server, request, device):
    from playwright.sync_api import expect

    commune = other_current_commune(session)
    village = make_village(session, commune, "Thôn Lạc Dục")
    reporter = make_user(session, "reporter", commune.id, username="ghi_xa", full_name="Vũ Thị Mai")
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp")
    entries = [
        make_activity(session, commune.id, user=reporter, status="submitted", title="Phát thanh về bảo hiểm y tế hộ nghèo",
                      airings=3, minutes_per_airing=15, start_date=date(2026, 10, 5)),
        make_activity(session, village.id, user=reporter, status="submitted", type="training",
                      title="Tập huấn cán bộ thôn về rà soát hộ nghèo", participants=45, participants_poor=20,
                      cost_central_vnd=12_000_000, start_date=date(2026, 10, 9)),
        make_activity(session, commune.id, user=reporter, status="submitted", type="leaflet",
                      title="Phát tờ rơi chính sách tín dụng", copies=1200, start_date=date(2026, 10, 12)),
    ]
    page = request.getfixturevalue(device).new_page()
    sign_in(page, live_server, reviewer)
    page.goto(f"{live_server}/reviews")
    expect(page.locator("table.queue tbody tr")).to_have_count(3)
    screenshot(page, f"reviews-queue-{device}")

    row = page.locator(f"tr[data-id='{entries[2].id}']")
    row.locator("summary", has_text="Trả lại").click()
    row.locator("button:has-text('Trả lại')").click()
    expect(row.locator(".field-error")).to_contain_text("Cần ghi lý do")
    row = page.locator(f"tr[data-id='{entries[2].id}']")
    row.locator("textarea").fill("Thiếu ảnh chụp buổi phát tờ rơi")
    row.locator("button:has-text('Trả lại')").click()
    expect(page.locator(f"tr[data-id='{entries[2].id}']")).to_contain_text("Đã trả lại")

    for entry in entries[:2]:
        page.locator(f"tr[data-id='{entry.id}'] input[type=checkbox]").check()
    page.click("button:has-text('Duyệt các mục đã chọn')")
    expect(page.locator(".alert.ok")).to_contain_text("Đã duyệt 2 hoạt động")
    expect(page.locator("table.queue")).to_have_count(0)
    screenshot(page, f"reviews-done-{device}")
    session.expire_all()
    from app.activities.models import Activity

    assert [session.get(Activity, e.id).status for e in entries] == ["approved", "approved", "returned"]
