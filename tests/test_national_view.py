"""The national view: a national admin sees every province's progress on the programme's tasks,
one row per province and target (not one per commune), and drills down province → commune."""
from datetime import date

import pytest
from sqlalchemy import select

from app.progress import progress
from app.units.models import Unit
from tests.dashboards_helpers import merged_legacy_commune, other_current_commune
from tests.factories import (HAI_PHONG, NINH_BINH, login, make_activity, make_agency, make_plan, make_task, make_user,
                             token)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(progress, "today", lambda: date(2026, 7, 1))


def country(session):
    """Hải Phòng: a task for two current communes and a legacy one (12 airings a year each);
    Ninh Bình: the same task for two of its communes."""
    legacy = merged_legacy_commune(session)
    successor = session.get(Unit, legacy.current_commune_id)
    other = other_current_commune(session, successor.id)
    nb = list(session.execute(select(Unit).where(Unit.level == "commune", Unit.province_id == NINH_BINH)
                              .order_by(Unit.id).limit(2)).scalars())
    hp_task = make_task(session, make_plan(session, HAI_PHONG), unit_ids=(successor.id, other.id, legacy.id),
                        targets=(("airings", 12, "year"),))
    nb_task = make_task(session, make_plan(session, NINH_BINH), unit_ids=tuple(u.id for u in nb),
                        targets=(("airings", 12, "year"),))
    make_activity(session, successor.id, status="approved", airings=5, start_date=date(2026, 3, 2),
                  task_ids=(hp_task.id,))
    make_activity(session, legacy.id, status="approved", airings=3, start_date=date(2026, 5, 4), task_ids=(hp_task.id,))
    make_activity(session, other.id, status="submitted", airings=2, start_date=date(2026, 4, 6),
                  task_ids=(hp_task.id,))
    make_activity(session, nb[0].id, status="approved", airings=7, start_date=date(2026, 2, 9), task_ids=(nb_task.id,))
    make_activity(session, nb[1].id, status="draft", airings=50, start_date=date(2026, 2, 9), task_ids=(nb_task.id,))
    admin = make_user(session, "admin", None, username="quantri_tw")
    session.commit()
    return admin, successor, other


def test_the_national_admin_sees_one_row_per_province_and_target(session, client):
    admin, *_ = country(session)
    response = client.get("/api/v1/progress?period=2026", headers=token(client, admin))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["unit_id"] is None and body["unit_name"] == "Toàn quốc"
    rows = {r["unit_id"]: r for r in body["rows"]}
    assert len(body["rows"]) == 2 and {r["unit_level"] for r in body["rows"]} == {"province"}
    hp, nb = rows[HAI_PHONG], rows[NINH_BINH]
    # Hải Phòng: three assigned communes (the legacy one rolled into today's province), 12 each.
    assert (hp["assigned_units"], hp["target"], hp["approved"], hp["submitted"]) == (3, 36, 8, 2)
    assert (hp["percent"], hp["status"]) == (round(100 * 10 / 36, 1), "behind")
    assert (nb["assigned_units"], nb["target"], nb["approved"], nb["submitted"]) == (2, 24, 7, 0)


def test_a_province_row_is_the_sum_of_its_communes(session, client):
    admin, successor, other = country(session)
    national = progress.progress(session, admin, period="2026")
    province = progress.progress(session, admin, unit_id=HAI_PHONG, period="2026")
    assert {r.unit_id for r in province.rows} == {successor.id, other.id}
    hp = next(r for r in national.rows if r.unit_id == HAI_PHONG)
    assert hp.target == sum(r.target for r in province.rows)
    assert (hp.approved, hp.submitted) == (sum(r.approved for r in province.rows),
                                           sum(r.submitted for r in province.rows))
    # The task totals are the same whichever way the country is cut.
    assert [(t.target, t.approved, t.submitted) for t in national.tasks if t.plan_id == hp.plan_id] == \
        [(t.target, t.approved, t.submitted) for t in province.tasks]


def test_as_of_the_day_a_legacy_commune_counts_in_the_province_it_belonged_to(session, client):
    admin, successor, other = country(session)
    legacy = merged_legacy_commune(session)
    rows = {r.unit_id: r for r in progress.progress(session, admin, period="2026", boundaries="as_of").rows}
    if legacy.province_id == HAI_PHONG:
        pytest.skip("the legacy commune's province kept its id")
    assert (rows[legacy.province_id].approved, rows[legacy.province_id].assigned_units) == (3, 1)
    assert (rows[HAI_PHONG].approved, rows[HAI_PHONG].submitted, rows[HAI_PHONG].assigned_units) == (5, 2, 2)
    assert rows[NINH_BINH].approved == 7


def test_the_national_page_drills_down_from_a_province_to_its_communes(session, client):
    admin, successor, other = country(session)
    login(client, admin)
    page = client.get("/progress?period=2026")
    assert page.status_code == 200
    assert "Tiến độ thực hiện: Toàn quốc" in page.text
    assert f'data-unit="{HAI_PHONG}"' in page.text and f'data-unit="{NINH_BINH}"' in page.text
    assert f'data-unit="{successor.id}"' not in page.text
    assert f'href="/progress?unit_id={HAI_PHONG}&amp;period=2026' in page.text
    crumbs = page.text.split('<nav class="crumbs"', 1)[1].split("</nav>", 1)[0]
    assert crumbs.count("Toàn quốc") == 1, "the country is named once in the breadcrumb, as the page itself"
    drilled = client.get(f"/progress?unit_id={HAI_PHONG}&period=2026")
    assert drilled.status_code == 200
    crumbs = drilled.text.split('<nav class="crumbs"', 1)[1].split("</nav>", 1)[0]
    assert ">Toàn quốc</a>" in crumbs, "below the country, the breadcrumb leads back to it"
    assert f'data-unit="{successor.id}"' in drilled.text and f'data-unit="{other.id}"' in drilled.text
    assert f'data-unit="{NINH_BINH}"' not in drilled.text


def test_a_provincial_reviewer_still_sees_communes(session, client):
    country(session)
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp")
    session.commit()
    body = client.get("/api/v1/progress?period=2026", headers=token(client, reviewer)).json()
    assert body["rows"] and {r["unit_level"] for r in body["rows"]} == {"commune"}


def test_the_progress_workbook_holds_the_figures_of_the_national_view(session, client):
    from io import BytesIO

    from openpyxl import load_workbook

    admin, *_ = country(session)
    login(client, admin)
    page = client.get("/progress?period=2026")
    assert 'href="/reports/progress.xlsx?period=2026' in page.text
    response = client.get("/reports/progress.xlsx?period=2026")
    assert response.status_code == 200
    assert "tien-do-2026.xlsx" in response.headers["content-disposition"]
    sheet = load_workbook(BytesIO(response.content)).active
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    assert rows[0] == ("Tiến độ thực hiện: Toàn quốc",) + (None,) * (len(rows[0]) - 1)
    provinces = {r[1]: r for r in rows if r[2] == "Tỉnh, thành phố"}
    assert provinces["Thành phố Hải Phòng"][3:] == (3, "Số lần phát sóng", None, 36, 8, 2, 27.8, "Chậm tiến độ")
    assert provinces["Tỉnh Ninh Bình"][6:9] == (24, 7, 0)
    assert client.get("/reports/progress.xlsx?period=2026-Q9").status_code == 422


@pytest.mark.browser
@pytest.mark.parametrize("device, viewport", [("laptop", (1366, 768)), ("phone", (375, 812))])
def test_the_national_view_in_a_browser(session, live_server, browser, device, viewport):
    from playwright.sync_api import expect

    from tests.conftest import screenshot
    from tests.test_reviews_browser import sign_in

    admin, successor, _ = country(session)
    width, height = viewport
    context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN",
                                  is_mobile=width < 600, has_touch=width < 600)
    page = context.new_page()
    sign_in(page, live_server, admin)
    page.goto(f"{live_server}/progress?period=2026")
    expect(page.locator("h1")).to_contain_text("Toàn quốc")
    expect(page.locator(f"tr[data-unit='{HAI_PHONG}']")).to_contain_text("Chậm tiến độ")
    screenshot(page, f"national-progress-{device}")
    page.locator(f"tr[data-unit='{HAI_PHONG}'] a").first.click()
    page.wait_for_url(f"**unit_id={HAI_PHONG}**")
    expect(page.locator(f"tr[data-unit='{successor.id}']")).to_be_visible()
    screenshot(page, f"national-progress-province-{device}")
    context.close()


@pytest.mark.parametrize("boundaries", ["current", "as_of"])
def test_the_national_dashboard_reads_the_province_rows_and_matches_the_unit_rows(session, client, monkeypatch,
                                                                                 boundaries):
    """The national admin's dashboard (no unit in view) is added up from the province rows; the
    same figures come out of the summary by unit."""
    from app.dashboards import queries
    from app.dashboards.queries import DashboardFilter
    from app.progress import summary, totals

    admin, successor, other = country(session)
    legacy = merged_legacy_commune(session)
    f = DashboardFilter(period="2026", boundaries=boundaries)
    assert totals.counted(session, admin, f).totals()[0] is summary.PROVINCES
    by_province = queries.dashboard(session, admin, f)
    monkeypatch.setattr(totals, "province_rows_answer", lambda user, root: False)
    assert totals.counted(session, admin, f).totals()[0] is summary.SUMMARY
    assert queries.dashboard(session, admin, f) == by_province

    assert by_province.headline.activities == 4 and by_province.headline.airings == 17
    children = {c.unit_id: (c.activities, c.submitted, c.approved, c.airings) for c in by_province.child_units}
    if boundaries == "current" or legacy.province_id == HAI_PHONG:
        assert children == {HAI_PHONG: (3, 1, 2, 10), NINH_BINH: (1, 0, 1, 7)}
    else:
        assert children == {HAI_PHONG: (2, 1, 1, 7), legacy.province_id: (1, 0, 1, 3), NINH_BINH: (1, 0, 1, 7)}
    body = client.get(f"/api/v1/dashboard?period=2026&boundaries={boundaries}", headers=token(client, admin)).json()
    assert body["headline"]["activities"] == 4 and sum(m["activities"] for m in body["over_time"]) == 4


@pytest.mark.parametrize("boundaries", ["current", "as_of"])
def test_a_province_dashboard_reads_its_totals_from_the_province_rows_unless_the_user_sees_one_agency(
        session, monkeypatch, boundaries):
    from app.dashboards import queries
    from app.dashboards.queries import DashboardFilter
    from app.progress import summary, totals

    country(session)
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_tinh")
    f = DashboardFilter(period="2026", boundaries=boundaries)
    assert totals.counted(session, reviewer, f).totals()[0] is summary.PROVINCES
    by_province = queries.dashboard(session, reviewer, f)
    assert (by_province.headline.activities, by_province.headline.airings) == (3, 10)
    monkeypatch.setattr(totals, "province_rows_answer", lambda user, root: False)
    assert queries.dashboard(session, reviewer, f) == by_province
    monkeypatch.undo()

    agency = make_agency(session, HAI_PHONG, name="Sở Văn hóa, Thể thao và Du lịch")
    session.commit()
    one_agency = make_user(session, "reviewer", HAI_PHONG, username="duyet_so", agency_id=agency.id)
    assert totals.counted(session, one_agency, f).by_province is None
    assert queries.dashboard(session, one_agency, f).headline.activities == 0


def test_national_completeness_counts_each_provinces_units_by_state_and_drills_down(session, client):
    """A national admin's "Đơn vị chưa báo cáo" is a line per province (its assigned units by state),
    not every commune of the country; a province's line opens that province's list of communes."""
    admin, successor, other = country(session)
    body = client.get("/api/v1/completeness?period=2026", headers=token(client, admin)).json()
    provinces = {p["province_id"]: p for p in body["provinces"]}
    assert set(provinces) == {HAI_PHONG, NINH_BINH}
    hp, nb = provinces[HAI_PHONG], provinces[NINH_BINH]
    # Hải Phòng: the legacy commune reports through its successor (approved), the other only submitted.
    assert (hp["assigned"], hp["counts"]["ok"], hp["counts"]["nothing_approved"]) == (2, 1, 1)
    assert (nb["assigned"], nb["counts"]["ok"], nb["counts"]["nothing_submitted"]) == (2, 1, 1)
    assert sum(p["assigned"] for p in body["provinces"]) == len(body["rows"])
    assert {s: sum(p["counts"][s] for p in body["provinces"]) for s in body["counts"]} == body["counts"]

    login(client, admin)
    national = client.get("/completeness?period=2026")
    assert national.status_code == 200
    assert f'data-province="{HAI_PHONG}"' in national.text and f'data-province="{NINH_BINH}"' in national.text
    assert f'data-unit="{other.id}"' not in national.text
    assert f"unit_id={HAI_PHONG}" in national.text
    province = client.get(f"/completeness?period=2026&unit_id={HAI_PHONG}")
    assert f'data-unit="{other.id}"' in province.text and 'data-province="' not in province.text
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp_ct")
    assert client.get("/api/v1/completeness?period=2026", headers=token(client, reviewer)).json()["provinces"] == []
