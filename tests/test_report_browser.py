"""The report's print page at the Decree 30/2020 layout, in Chromium on a 375×812 phone and a
1366×768 desktop, then as printed: the issuer's reference "Số: /BC-UBND", the "Kính gửi" line,
sections numbered 1 to 5 without restarting, task results as a), b), the plan's budget, and each
activity under the task expecting its type."""
import shutil
import subprocess

import pytest

from tests.conftest import ARTIFACTS, screenshot
from tests.factories import PASSWORD
from tests.reports_helpers import province_with_activities

SIZES = {"phone": (375, 812), "desktop": (1366, 768)}


def _sign_in(page, live_server, user):
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_reports_print_page_reads_as_the_decree_form_on_a_phone_and_a_desktop(session, live_server, request,
                                                                                 device):
    p = province_with_activities(session)
    p.plan.budget_central_vnd, p.plan.budget_local_vnd = 400_000_000, 100_000_000
    session.add(p.plan)
    session.commit()
    context = request.getfixturevalue(device)
    page = context.new_page()
    width, height = SIZES[device]
    page.set_viewport_size({"width": width, "height": height})
    _sign_in(page, live_server, p.reviewer)
    page.goto(f"{live_server}/reports/plan/{p.plan.id}?unit_id={p.plan.unit_id}&period=2026&at=2026-11-20")
    sheet = page.locator("article.a4")
    text = sheet.inner_text()
    assert "ỦY BAN NHÂN DÂN" in text and "THÀNH PHỐ HẢI PHÒNG" in text
    assert "Số: /BC-UBND" in " ".join(page.locator(".reference").inner_text().split()).replace("Số:/", "Số: /")
    assert page.locator(".addressee").inner_text() == "Kính gửi: Bộ Nông nghiệp và Môi trường."
    numbers = [h.split(".")[0] for h in page.locator("article.a4 h3").all_inner_texts()]
    assert numbers == ["1", "2", "3", "4", "5"], "sections are numbered without restarting"
    tasks = page.locator("article.a4 h4").all_inner_texts()
    assert tasks[:2] == ["a) Phát thanh trên hệ thống loa truyền thanh xã",
                         "b) Tập huấn nâng cao năng lực cán bộ giảm nghèo"]
    training = text.split(tasks[1])[1].split("3. Kết quả thực hiện chỉ tiêu")[0]
    loudspeaker = text.split(tasks[0])[1].split(tasks[1])[0]
    assert "tập huấn" in training.lower() and "tập huấn" not in loudspeaker.lower()
    funding = page.locator("article.a4 table.grid").last.inner_text()
    assert "400.000.000" in funding and "500.000.000" in funding
    # The sheet fits the screen: on a phone only the wide targets table scrolls, in its own frame.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    box = sheet.bounding_box()
    assert box["width"] <= width and (device == "phone" or box["width"] >= 700)
    for control in page.locator(".report-controls button, .report-controls a, .report-controls select").all():
        assert control.bounding_box()["height"] >= 44
    screenshot(page, f"report-print-page-{device}")
    # As printed: the sheet alone, on A4 pages.
    page.emulate_media(media="print")
    assert not page.locator(".report-controls").is_visible() and not page.locator(".topbar").is_visible()
    screenshot(page, f"report-print-page-{device}-as-printed")
    pdf = ARTIFACTS / f"report-print-page-{device}.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    if shutil.which("pdftotext"):
        printed = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                                 check=True).stdout
        assert "Kính gửi: Bộ Nông nghiệp và Môi trường." in printed
        assert "Tải Word" not in printed and "Đăng xuất" not in printed
