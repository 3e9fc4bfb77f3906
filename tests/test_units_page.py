"""The /units pages: search as you type, both eras, before/after 2025 links."""
import pytest

from tests.conftest import screenshot
from tests.factories import PASSWORD, find_unit, login, make_user


def test_the_units_page_needs_a_login(client):
    response = client.get("/units", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/units")


def test_search_without_javascript_finds_units_accent_insensitively(client, session):
    login(client, make_user(session, "viewer", 21000031))
    page = client.get("/units", params={"q": "da nang"})
    assert page.status_code == 200
    assert "Thành phố Đà Nẵng" in page.text


def test_htmx_search_answers_only_the_rows_fragment(client, session):
    login(client, make_user(session, "viewer", 21000031))
    page = client.get("/units", params={"q": "dai an", "at": "2025-06-30"}, headers={"HX-Request": "true"})
    assert "<html" not in page.text and "Xã Đại An" in page.text
    assert "HX-Request" in page.headers["vary"]


def test_a_legacy_commune_page_links_to_its_successor(client, session):
    login(client, make_user(session, "viewer", 21000031))
    dai_an = find_unit(session, "Xã Đại An", legacy=True, parent_name="Huyện Vụ Bản")
    page = client.get(f"/units/{dai_an.id}")
    assert "Sau sắp xếp 1/7/2025" in page.text
    assert "Huyện Vụ Bản" in page.text and "Tỉnh Nam Định" in page.text


@pytest.mark.browser
def test_a_person_searches_units_and_opens_the_successor(browser, live_server, session, phone, desktop):
    make_user(session, "viewer", 21000031, username="xem")
    for name, context in (("phone", phone), ("desktop", desktop)):
        page = context.new_page()
        page.goto(f"{live_server}/units")
        page.fill("input[name=username]", "xem")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/units")
        page.select_option("select[name=at]", "2025-06-30")
        page.fill("input[name=q]", "dai an vu ban")
        page.wait_for_timeout(200)
        page.fill("input[name=q]", "dai an")
        page.locator("#unit-rows a", has_text="Xã Đại An").first.wait_for()
        screenshot(page, f"units-search-{name}")
        page.goto(f"{live_server}/units/{find_unit(session, 'Xã Đại An', legacy=True, parent_name='Huyện Vụ Bản').id}")
        assert page.get_by_role("heading", name="Sau sắp xếp 1/7/2025").is_visible()
        page.locator("section.card a").first.click()
        page.wait_for_url("**/units/2*")
        assert page.get_by_role("heading", name="Trước sắp xếp 1/7/2025").is_visible()
        screenshot(page, f"units-successor-{name}")
        page.close()


def test_a_day_that_cannot_be_read_lists_todays_units(client, session):
    login(client, make_user(session, "viewer", 21000031))
    page = client.get("/units", params={"q": "da nang", "at": "30/6/2025"})
    assert page.status_code == 200
    assert "Thành phố Đà Nẵng" in page.text
