"""The reviewer's dashboard: headline numbers, child units, charts, filters kept in the URL."""
from datetime import date

import pytest

from app.dashboards import queries
from app.dashboards.queries import DashboardFilter
from app.progress import totals
from app.units.models import Unit
from tests.dashboards_helpers import make_village, merged_legacy_commune, other_current_commune
from tests.factories import HAI_PHONG, login, make_activity, make_plan, make_task, make_user, token


@pytest.fixture
def scope(session):
    legacy = merged_legacy_commune(session)
    successor = session.get(Unit, legacy.current_commune_id)
    other = other_current_commune(session, successor.id)
    village = make_village(session, other, "Thôn Đông Hưng")
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp", full_name="Nguyễn Thị Hằng")
    plan = make_plan(session, HAI_PHONG, number="45/KH-UBND")
    task = make_task(session, plan, unit_ids=(successor.id, other.id), targets=(("airings", 24, "year"),))
    t = (task.id,)
    make_activity(session, successor.id, status="approved", type="broadcast", airings=10, minutes_per_airing=15,
                  start_date=date(2026, 1, 12), task_ids=t, cost_local_vnd=300_000)
    make_activity(session, legacy.id, status="submitted", type="broadcast", airings=4, minutes_per_airing=10,
                  start_date=date(2026, 3, 3), task_ids=t)
    make_activity(session, village.id, status="approved", type="training", participants=40, participants_poor=12,
                  start_date=date(2026, 3, 20), cost_central_vnd=5_000_000, cost_mobilised_vnd=1_000_000)
    make_activity(session, other.id, status="approved", type="leaflet", copies=800, start_date=date(2026, 5, 5))
    make_activity(session, other.id, status="draft", type="leaflet", copies=9999, start_date=date(2026, 5, 6))
    make_activity(session, HAI_PHONG, status="approved", type="press", items=3, start_date=date(2026, 6, 1))
    make_activity(session, other.id, status="approved", type="talk", participants=99, start_date=date(2025, 12, 1))
    return reviewer, plan, task, legacy, successor, other, village


def test_headline_numbers_add_up_submitted_and_approved_entries_of_the_period(session, scope):
    reviewer = scope[0]
    h = totals.headline(session, reviewer, DashboardFilter(period="2026"))
    assert (h.activities, h.participants, h.participants_poor, h.copies, h.airings, h.minutes) == (5, 40, 12, 800, 14, 190)
    assert (h.cost_central_vnd, h.cost_local_vnd, h.cost_mobilised_vnd, h.cost_vnd) == (5_000_000, 300_000, 1_000_000,
                                                                                       6_300_000)
    approved = totals.headline(session, reviewer, DashboardFilter(period="2026", status="approved"))
    assert (approved.activities, approved.airings) == (4, 10)


def test_child_units_roll_the_legacy_commune_into_its_successor_and_villages_into_their_commune(session, scope):
    reviewer, plan, task, legacy, successor, other, village = scope
    rows = {r.unit_id: r for r in queries.child_units(session, reviewer, DashboardFilter(period="2026"))}
    assert set(rows) == {successor.id, other.id, HAI_PHONG}
    assert (rows[successor.id].activities, rows[successor.id].submitted, rows[successor.id].airings) == (2, 1, 14)
    assert (rows[other.id].activities, rows[other.id].participants, rows[other.id].copies) == (2, 40, 800)
    assert rows[HAI_PHONG].is_root
    drilled = queries.child_units(session, reviewer, DashboardFilter(period="2026", unit_id=other.id))
    assert [(r.unit_name, r.activities) for r in drilled] == [("Thôn Đông Hưng", 1), (other.name + " (trực tiếp)", 1)]


def test_child_units_sort_by_any_column(session, scope):
    reviewer = scope[0]
    by_copies = queries.child_units(session, reviewer, DashboardFilter(period="2026", sort="-copies"))
    assert by_copies[0].copies == 800
    by_name = queries.child_units(session, reviewer, DashboardFilter(period="2026", sort="unit_name"))
    assert [r.unit_name for r in by_name] == sorted((r.unit_name for r in by_name),
                                                    key=lambda n: __import__("app.core.text").core.text.search_key(n))


def test_activity_over_time_has_every_month_of_the_period(session, scope):
    months = queries.over_time(session, scope[0], DashboardFilter(period="2026"))
    assert len(months) == 12
    assert [m.activities for m in months[:6]] == [1, 0, 2, 0, 1, 1]
    kinds = {t.type: t.activities for t in queries.by_type(session, scope[0], DashboardFilter(period="2026"))}
    assert kinds == {"broadcast": 2, "training": 1, "leaflet": 1, "press": 1}


def test_the_page_shows_the_numbers_charts_and_keeps_filters_in_the_url(session, client, scope):
    reviewer, plan, task, legacy, successor, other, village = scope
    login(client, reviewer)
    page = client.get(f"/dashboard?period=2026&plan_id={plan.id}&type=broadcast")
    assert page.status_code == 200
    text = page.text
    assert 'hx-push-url="true"' in text and f'<option value="{plan.id}" selected>' in text
    assert '<option value="broadcast" selected>' in text
    assert text.count("<svg") >= 2 and "<title id=\"months-t\">Số hoạt động theo tháng" in text
    assert "T1/2026: 1 hoạt động" in text
    assert f'data-unit="{successor.id}"' in text and "Phát thanh trên loa truyền thanh xã" in text
    assert f"unit_id={successor.id}" in text  # drill-down link
    fragment = client.get(f"/dashboard?period=2026&unit_id={other.id}", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "Thôn Đông Hưng" in fragment.text


def test_the_api_answers_the_same_headline(session, client, scope):
    reviewer = scope[0]
    body = client.get("/api/v1/dashboard?period=2026", headers=token(client, reviewer)).json()
    assert body["headline"]["airings"] == 14 and body["headline"]["activities"] == 5
    assert len(body["over_time"]) == 12


def test_bad_filters_are_refused_not_crashed(session, client, scope):
    reviewer = scope[0]
    headers = token(client, reviewer)
    for query in ("status=lost", "type=nothing", "period=2026-13", "unit_id=abc"):
        response = client.get(f"/api/v1/dashboard?{query}", headers=headers)
        assert response.status_code == 422, query
    login(client, reviewer)
    assert client.get("/dashboard?period=hôm-nay").status_code == 422


def test_a_viewer_outside_the_unit_cannot_drill_into_it(session, client, scope):
    from tests.factories import NINH_BINH

    outsider = make_user(session, "viewer", NINH_BINH, username="xem_nb")
    login(client, outsider)
    assert client.get(f"/dashboard?unit_id={scope[5].id}").status_code == 404


@pytest.mark.browser
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_dashboard_in_a_browser(session, scope, live_server, request, device):
    from playwright.sync_api import expect

    from tests.conftest import screenshot

    reviewer, plan, task, legacy, successor, other, village = scope
    context = request.getfixturevalue(device)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", reviewer.username)
    page.fill("input[name=password]", "mat-khau-thu-nghiem")
    page.click("button[type=submit]")
    page.goto(f"{live_server}/dashboard?period=2026")
    expect(page.locator("h1")).to_contain_text("Hải Phòng")
    screenshot(page, f"dashboard-{device}")
    if device == "desktop":
        page.emulate_media(media="print")
        expect(page.locator(".dash-filters")).to_be_hidden()
        screenshot(page, "dashboard-print")
        page.emulate_media(media="screen")
    page.select_option("select[name=type]", "broadcast")
    page.wait_for_url("**type=broadcast**")
    expect(page.locator(".dash-stats .stat").first).to_contain_text("2")
    page.click("table.children th a:has-text('Lần phát')")
    page.wait_for_url("**sort=**")
    page.click(f"table.children tr[data-unit='{successor.id}'] a")
    page.wait_for_url(f"**unit_id={successor.id}**")
    expect(page.locator("h1")).to_contain_text(successor.name)
    screenshot(page, f"dashboard-drilled-{device}")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1


def test_switching_plan_drops_the_task_of_the_previous_plan(session, client, scope):
    reviewer, task = scope[0], scope[2]
    other_plan = make_plan(session, HAI_PHONG, title="Kế hoạch tuyên truyền năm 2026 của Sở")
    login(client, reviewer)
    page = client.get(f"/dashboard?period=2026&plan_id={other_plan.id}&task_id={task.id}")
    assert page.status_code == 200
    assert "Phát thanh trên loa truyền thanh xã" not in page.text  # the old plan's task is no longer shown
    assert f'<option value="{other_plan.id}" selected>' in page.text


def test_an_id_or_a_day_the_pages_cannot_read_answers_422_and_a_good_one_is_kept(session, client, scope):
    reviewer = scope[0]
    login(client, reviewer)
    for url in ("/dashboard?unit_id=abc", "/dashboard?plan_id=1.5", "/progress?task_id=x",
                "/progress?boundaries=as_of&at=31/12/2026", "/completeness?unit_id=-"):
        assert client.get(url).status_code == 422, url
    assert client.get("/progress?boundaries=as_of&at=2026-06-30").status_code == 200
    assert client.get(f"/dashboard?unit_id={HAI_PHONG}&at=ngày-nào").status_code == 200
