"""The reviewer's day in Chromium at 1366×768: a dense queue, decisions on the entry's own page
with its photo large, on to the next entry, and a bulk approval that asks first."""
from datetime import date, datetime, timedelta, timezone

import pytest

from app.activities.models import Activity
from tests.conftest import screenshot, wait_until
from tests.dashboards_helpers import other_current_commune
from tests.factories import HAI_PHONG, PASSWORD, make_activity, make_user


def _sign_in(page, live_server, user):
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _entries(session, commune, reporter, n):
    titles = ["Phát thanh về bảo hiểm y tế cho hộ nghèo", "Tập huấn cán bộ thôn về rà soát hộ nghèo",
              "Phát tờ rơi chính sách tín dụng ưu đãi", "Nói chuyện chuyên đề về sinh kế"]
    kinds = [dict(type="broadcast", airings=3, minutes_per_airing=15), dict(type="training", sessions=1, participants=45),
             dict(type="leaflet", copies=1200), dict(type="talk", participants=80)]
    out = []
    for i in range(n):
        at = datetime(2026, 11, 20, 8, tzinfo=timezone.utc) + timedelta(minutes=i)
        out.append(make_activity(session, commune.id, user=reporter, status="submitted", title=titles[i % 4],
                                 start_date=date(2026, 10, 1) + timedelta(days=i), submitted_at=at, **kinds[i % 4]))
    return out


def _attach_photo(session, activity, user):
    import io

    from PIL import Image

    from app.activities import evidence, services

    buffer = io.BytesIO()
    image = Image.new("RGB", (1200, 900), (40, 120, 80))
    for x in range(0, 1200, 60):
        image.paste((230, 200, 40), (x, 300, x + 30, 600))
    image.save(buffer, "JPEG")
    services.add_evidence(session, activity, evidence.prepare(buffer.getvalue(), "buoi-phat-thanh.jpg"), user=user)
    session.commit()  # the test is the unit of work


@pytest.mark.browser
def test_a_reviewer_sees_many_rows_decides_on_the_entry_page_and_moves_to_the_next(session, live_server, desktop):
    from playwright.sync_api import expect

    commune = other_current_commune(session)
    reporter = make_user(session, "reporter", commune.id, username="ghi_xa", full_name="Vũ Thị Mai")
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp", full_name="Nguyễn Thị Hồng Nhung")
    entries = _entries(session, commune, reporter, 12)
    _attach_photo(session, entries[0], reporter)
    page = desktop.new_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    _sign_in(page, live_server, reviewer)
    page.goto(f"{live_server}/reviews")
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(12)
    visible = sum(1 for i in range(12) if rows.nth(i).bounding_box()["y"] + rows.nth(i).bounding_box()["height"] <= 768)
    assert visible >= 6, f"only {visible} rows fit on a 1366×768 screen"
    box = page.locator("table.queue td.pick label").first.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    assert "sắp xếp theo thời điểm gửi, cũ nhất trước" in page.locator(".queue-head").inner_text()
    page.screenshot(path="test-artifacts/reviewer-queue-1366.png")

    assert page.locator(f"tr[data-id='{entries[0].id}'] td.evidence img").bounding_box()["width"] >= 48
    assert "1 tệp" in page.locator(f"tr[data-id='{entries[0].id}'] td.evidence").inner_text()
    page.get_by_role("link", name=entries[0].title).first.click()
    expect(page.get_by_role("heading", name="Thẩm định")).to_be_visible()
    photo = page.locator(".evidence-large img").first
    photo.wait_for()
    wait_until(page, "document.querySelector('.evidence-large img').complete")
    assert photo.bounding_box()["width"] >= 400, "the photo is large enough to judge"
    page.screenshot(path="test-artifacts/reviewer-entry-1366.png")
    page.get_by_role("button", name="Duyệt", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Đã duyệt mục trước.")
    expect(page.get_by_role("heading", name=entries[1].title)).to_be_visible()
    page.fill("textarea[name=comment]", "Thiếu danh sách học viên")
    page.get_by_role("button", name="Trả lại", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Đã trả lại mục trước")
    expect(page.get_by_role("heading", name=entries[2].title)).to_be_visible()

    page.goto(f"{live_server}/reviews")
    page.get_by_role("button", name="Duyệt tất cả 10 mục theo bộ lọc…").click()
    expect(page.get_by_role("heading", name="Duyệt 10 hoạt động?")).to_be_visible()
    screenshot(page, "reviewer-bulk-confirm-1366")
    session.expire_all()
    assert session.get(Activity, entries[5].id).status == "submitted"
    page.get_by_role("button", name="Duyệt 10 hoạt động").click()
    expect(page.locator(".alert.ok")).to_contain_text("Đã duyệt 10 hoạt động")
    session.expire_all()
    assert [session.get(Activity, e.id).status for e in entries[:3]] == ["approved", "returned", "approved"]


@pytest.mark.browser
def test_a_reviewer_pages_the_queue_sorts_it_approves_a_communes_month_and_reopens_an_entry(session, live_server,
                                                                                          desktop):
    from playwright.sync_api import expect

    commune = other_current_commune(session)
    reporter = make_user(session, "reporter", commune.id, username="ghi_xa", full_name="Vũ Thị Mai")
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp", full_name="Nguyễn Thị Hồng Nhung")
    entries = _entries(session, commune, reporter, 55)  # 1/10 … 24/11, submitted one a minute in that order
    # Submitted last but done first: first in the order of the activity's date.
    early = make_activity(session, commune.id, user=reporter, status="submitted", title="Phát thanh đầu tháng chín",
                          start_date=date(2026, 9, 1), submitted_at=datetime(2026, 11, 21, tzinfo=timezone.utc))
    page = desktop.new_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    _sign_in(page, live_server, reviewer)
    page.goto(f"{live_server}/reviews")
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(50)
    assert "56 hoạt động chờ duyệt" in page.locator(".queue-head").inner_text()
    months = page.locator(".periods tbody tr").all_inner_texts()
    assert len(months) == 2 and "10/2026" in months[0] and "11/2026" in months[1]
    page.get_by_role("link", name="Trang sau →").click()
    expect(rows).to_have_count(6)
    assert early.title in page.locator("table.queue").inner_text()
    screenshot(page, "reviewer-queue-page-2-1366")

    page.goto(f"{live_server}/reviews")
    page.select_option("select[name=sort]", "date")
    expect(page.locator(".queue-head")).to_contain_text("sắp xếp theo ngày thực hiện, cũ nhất trước")
    expect(rows.first).to_contain_text(early.title)
    screenshot(page, "reviewer-queue-by-date-1366")

    october = page.locator(".periods tbody tr", has_text="10/2026")
    count = october.locator("td.num").inner_text()
    october.get_by_role("button", name="Duyệt cả tháng…").click()
    expect(page.get_by_role("heading", name=f"Duyệt {count} hoạt động?")).to_be_visible()
    assert f"{commune.name}, tháng 10/2026" in page.locator("main").inner_text()
    screenshot(page, "reviewer-period-confirm-1366")
    page.get_by_role("button", name=f"Duyệt {count} hoạt động").click()
    expect(page.locator(".alert.ok")).to_contain_text(f"Đã duyệt {count} hoạt động")

    page.goto(f"{live_server}/activities/{entries[0].id}")
    page.get_by_role("link", name="Lịch sử thay đổi").click()
    expect(page.locator("table.audit")).to_contain_text(f"Duyệt theo kỳ: duyệt cùng {count} hoạt động của "
                                                        f"{commune.name} tháng 10/2026")
    screenshot(page, "reviewer-entry-history-1366")
    page.go_back()
    page.fill("textarea[name=reason]", "Số lần phát chưa khớp lịch phát của đài xã")
    page.get_by_role("button", name="Mở lại để sửa").click()
    expect(page.get_by_role("status")).to_be_visible()
    session.expire_all()
    assert session.get(Activity, entries[0].id).status == "returned"
    screenshot(page, "reviewer-reopened-1366")
