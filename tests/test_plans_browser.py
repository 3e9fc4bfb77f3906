"""What a reviewer sees creating a plan and its tasks on a phone, and the plan page on a desktop."""
import pytest

from tests.conftest import screenshot
from tests.factories import HAI_DUONG, HAI_PHONG, PASSWORD, token
from tests.plans_helpers import people, plan_body

pytestmark = pytest.mark.browser


def _sign_in(page, base, username, target="/plans"):
    page.goto(f"{base}/login?next={target}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{target}")


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_reviewer_creates_a_plan_and_a_task_on_a_phone(live_server, phone, session):
    people(session)
    page = phone.new_page()
    _sign_in(page, live_server, "thamdinh.hp")
    page.click("text=Lập kế hoạch")
    page.fill("textarea[name=title]", "Kế hoạch truyền thông giảm nghèo năm 2026")
    page.fill("input[name=number]", "25/KH-UBND")
    page.select_option("select[name=unit_id]", str(HAI_PHONG))
    page.fill("input[name=period_start]", "2026-12-31")
    page.fill("input[name=period_end]", "2026-01-01")
    page.fill("input[name=budget_local_vnd]", "3.500.000.000")
    page.locator("input[name=basis_number]").first.fill("90/QĐ-TTg")
    page.click("button[value=save]")
    assert page.locator(".field-error", has_text="Ngày kết thúc phải sau ngày bắt đầu.").is_visible()
    assert page.input_value("input[name=number]") == "25/KH-UBND"
    assert page.locator("input[name=basis_number]").first.input_value() == "90/QĐ-TTg"
    assert _no_horizontal_scroll(page)
    screenshot(page, "plans-form-error-phone")

    page.fill("input[name=period_start]", "2026-01-01")
    page.fill("input[name=period_end]", "2026-12-31")
    page.click("button[value=save]")
    page.wait_for_url("**/plans/*?saved=1")
    assert page.locator("h1", has_text="Kế hoạch truyền thông giảm nghèo năm 2026").is_visible()

    page.click("text=Thêm nhiệm vụ")
    page.fill("textarea[name=title]", "Phát thanh trên loa truyền thanh xã, phường")
    page.check("input[name=activity_types][value=broadcast]")
    page.select_option("select[name=target_metric]", "airings")
    page.fill("input[name=target_quantity]", "48")
    assert _no_horizontal_scroll(page)
    screenshot(page, "plans-task-form-phone")
    page.click("button[value=save]")
    page.wait_for_url("**/plans/*?saved=1")
    assert page.locator("td", has_text="Số lần phát sóng").is_visible()
    assert page.locator("text=114 đơn vị").is_visible()
    assert _no_horizontal_scroll(page)
    screenshot(page, "plans-detail-phone")


def test_the_plan_page_and_form_on_a_desktop(client, live_server, desktop, session):
    p = people(session)
    headers = token(client, p["reviewer"])
    plan = client.post("/api/v1/plans", json=plan_body(agency_id=p["ldtbxh"].id), headers=headers).json()
    client.post(f"/api/v1/plans/{plan['id']}/tasks", headers=headers, json={
        "title": "Nhiệm vụ của Ủy ban nhân dân các huyện, thị xã, thành phố", "lead_agency_id": p["ldtbxh"].id,
        "partner_agency_ids": [p["station"].id], "activity_types": ["broadcast", "talk"],
        "description": "- Xây dựng, ban hành kế hoạch và tổ chức triển khai thực hiện.\n- Hằng năm, tổng hợp, báo cáo.",
        "assignment": {"every": "commune", "of_unit_id": HAI_DUONG}, "report_deadline": "2023-11-20",
        "targets": [{"metric": "airings", "quantity": 48, "period": "year"},
                    {"metric": "participants", "quantity": 100, "period": "year", "activity_type": "talk"}]})
    page = desktop.new_page()
    _sign_in(page, live_server, "thamdinh.hp")
    page.goto(f"{live_server}/plans")
    assert page.locator("a.plan-title").count() == 1
    screenshot(page, "plans-list-desktop")
    page.click("a.plan-title")
    assert page.locator("text=trước ngày 20/11").is_visible()
    screenshot(page, "plans-detail-desktop")
    page.click("text=Sửa kế hoạch")
    page.click("button[value=add_basis]")
    assert page.locator("input[name=basis_number]").count() == 3
    screenshot(page, "plans-form-desktop")
