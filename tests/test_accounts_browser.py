"""What a reviewer sees on a phone and an admin on a desktop: user admin, tokens and audit pages."""
import pytest

from tests.accounts_helpers import people
from tests.conftest import screenshot, wait_until
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page, base, username):
    page.goto(f"{base}/login?next=/admin/users")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/users")


def test_a_reviewer_adds_a_reporter_from_a_phone(live_server, phone, session):
    p = people(session)
    page = phone.new_page()
    _sign_in(page, live_server, "thamdinh.hp")
    assert page.locator("text=baocao.a").is_visible()
    assert page.locator("text=baocao.b").count() == 0
    screenshot(page, "accounts-users-phone")
    page.click("text=Thêm người dùng")
    page.fill("input[name=username]", "vhxh.moi")
    page.fill("input[name=full_name]", "Hoàng Thị Mới")
    page.fill("input[name=password]", "ngan")
    page.click("button[value=save]")
    assert page.locator(".field-error", has_text="Mật khẩu cần ít nhất 8 ký tự.").is_visible()
    assert page.input_value("input[name=full_name]") == "Hoàng Thị Mới"
    screenshot(page, "accounts-user-form-error-phone")
    page.fill("input[name=unit_q]", p["commune_a"].name)
    wait_until(page, "document.querySelectorAll('#unit-select option').length > 1")
    page.select_option("#unit-select", str(p["commune_a"].id))
    page.fill("input[name=password]", "mat-khau-du-dai")
    page.click("button[value=save]")
    page.wait_for_url("**/admin/users/*?created=1")
    assert page.locator("text=Đã tạo người dùng.").is_visible()
    screenshot(page, "accounts-user-edit-phone")


def test_an_admin_reads_the_audit_and_tokens_on_a_desktop(live_server, desktop, session):
    p = people(session)
    page = desktop.new_page()
    _sign_in(page, live_server, "quantri")
    page.goto(f"{live_server}/admin/users/{p['reporter'].id}")
    page.fill("input[name=full_name]", "Nguyễn Văn An Sửa")
    page.click("button[value=save]")
    page.wait_for_url("**?saved=1")
    screenshot(page, "accounts-user-edit-desktop")
    page.goto(f"{live_server}/audit")
    assert page.locator("ins", has_text="Nguyễn Văn An Sửa").is_visible()
    screenshot(page, "audit-desktop")
    page.goto(f"{live_server}/account/tokens")
    page.fill("input[name=name]", "Cổng thông tin tỉnh")
    page.click("button:has-text(\"Tạo mã\")")
    assert page.locator(".token-value").input_value().startswith("loa_")
    screenshot(page, "tokens-desktop")
    page.goto(f"{live_server}/admin/users")
    screenshot(page, "accounts-users-desktop")


def test_the_audit_reads_well_on_a_phone(live_server, phone, session):
    p = people(session)
    page = phone.new_page()
    _sign_in(page, live_server, "quantri")
    page.goto(f"{live_server}/admin/users/{p['viewer'].id}")
    page.click("button:has-text('Khóa tài khoản')")
    page.wait_for_url("**?saved=1")
    page.goto(f"{live_server}/audit")
    assert page.locator("del", has_text="có").first.is_visible()
    screenshot(page, "audit-phone")
    page.goto(f"{live_server}/account/tokens")
    screenshot(page, "tokens-phone")


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_blocked_sign_in_says_for_how_long_in_vietnamese(live_server, session, request, device):
    people(session)
    page = request.getfixturevalue(device).new_page()
    page.goto(f"{live_server}/login")
    for _ in range(6):
        page.fill("input[name=username]", "baocao.a")
        page.fill("input[name=password]", "sai-mat-khau")
        page.click("button[type=submit]")
        page.wait_for_selector(".alert.error")
    alert = page.locator(".alert.error")
    assert alert.inner_text().startswith("Đăng nhập sai quá 5 lần trong 15 phút. Vui lòng thử lại sau 15 phút.")
    assert page.input_value("input[name=username]") == "baocao.a"
    screenshot(page, f"login-throttled-{device}")
