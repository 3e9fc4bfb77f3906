"""Progress against targets: hand-computed numbers, roll-ups and the two ways of drawing boundaries."""
from dataclasses import dataclass
from datetime import date

import pytest

from app.progress import progress
from app.units.models import Unit
from tests.dashboards_helpers import make_village, merged_legacy_commune, other_current_commune, split_legacy_commune
from tests.factories import HAI_PHONG, NINH_BINH, login, make_activity, make_plan, make_task, make_user, token


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    # 1/7/2026: half of the year 2026 has elapsed (182/365).
    monkeypatch.setattr(progress, "today", lambda: date(2026, 7, 1))


@dataclass
class World:
    reviewer: object
    legacy: Unit
    successor: Unit
    other: Unit
    village: Unit
    plan: object
    task: object


def world(session) -> World:
    """Task "phát thanh" assigned to a current commune A, another current commune B and the legacy
    commune L that went into A; targets per unit: 12 airings a year and 4 activities over the plan."""
    legacy = merged_legacy_commune(session)
    successor = session.get(Unit, legacy.current_commune_id)
    other = other_current_commune(session, successor.id)
    village = make_village(session, other)
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp")
    plan = make_plan(session, HAI_PHONG)
    task = make_task(session, plan, unit_ids=(successor.id, other.id, legacy.id),
                     targets=(("airings", 12, "year"), ("activities", 4, "plan")))
    unplanned = make_task(session, plan, title="Tập huấn cán bộ", unit_ids=(successor.id,))
    t = (task.id,)
    make_activity(session, successor.id, status="approved", airings=5, start_date=date(2026, 3, 2), task_ids=t)
    make_activity(session, successor.id, status="submitted", airings=2, start_date=date(2026, 4, 6), task_ids=t)
    make_activity(session, legacy.id, status="approved", airings=3, start_date=date(2026, 5, 4), task_ids=t)
    make_activity(session, village.id, status="approved", airings=4, start_date=date(2026, 2, 9), task_ids=t)
    # Not counted: a draft, a returned entry, an entry of another task, one before the period.
    make_activity(session, other.id, status="draft", airings=50, task_ids=t)
    make_activity(session, other.id, status="returned", airings=50, task_ids=t)
    make_activity(session, successor.id, status="approved", airings=50, task_ids=(unplanned.id,))
    make_activity(session, other.id, status="approved", airings=50, start_date=date(2025, 12, 31), task_ids=t)
    return World(reviewer, legacy, successor, other, village, plan, task)


def rows_by(report, metric):
    return {r.unit_id: r for r in report.rows if r.metric == metric and r.task_id == report.rows[0].task_id}


def test_through_current_boundaries_the_legacy_commune_counts_toward_its_successor(session):
    w = world(session)
    report = progress.progress(session, w.reviewer, task_id=w.task.id, period="2026")
    airings = rows_by(report, "airings")
    assert set(airings) == {w.successor.id, w.other.id}
    a = airings[w.successor.id]
    # A and L are one row: two assigned units, 2 × 12 airings; 5 + 3 approved, 2 submitted.
    assert (a.assigned_units, a.target, a.approved, a.submitted) == (2, 24, 8, 2)
    assert a.percent == pytest.approx(41.7)
    assert a.status == "behind"  # 10/24 = 42 % < 50 % of the year elapsed
    b = airings[w.other.id]
    assert (b.target, b.approved, b.submitted, b.status) == (12, 4, 0, "behind")
    activities = rows_by(report, "activities")
    assert (activities[w.successor.id].target, activities[w.successor.id].approved,
            activities[w.successor.id].submitted) == (8, 2, 1)
    assert any("đơn vị mới kế thừa" in note for note in report.notes)


def test_as_of_a_date_the_legacy_commune_keeps_its_own_activities(session):
    w = world(session)
    report = progress.progress(session, w.reviewer, task_id=w.task.id, period="2026", boundaries="as_of",
                              at=date(2025, 6, 30))
    airings = rows_by(report, "airings")
    assert set(airings) == {w.successor.id, w.other.id, w.legacy.id}
    assert (airings[w.successor.id].target, airings[w.successor.id].approved) == (12, 5)
    assert (airings[w.legacy.id].target, airings[w.legacy.id].approved) == (12, 3)
    assert "trước 1/7/2025" in airings[w.legacy.id].unit_name


def test_a_village_activity_rolls_into_its_commune_and_the_task_total_into_the_province(session):
    w = world(session)
    report = progress.progress(session, w.reviewer, task_id=w.task.id, period="2026")
    total = next(t for t in report.tasks if t.metric == "airings")
    assert (total.target, total.approved, total.submitted, total.units_total, total.units_behind) == (36, 12, 2, 2, 2)
    assert total.percent == pytest.approx(38.9)


def test_a_quarter_takes_its_share_of_a_yearly_target(session):
    w = world(session)
    report = progress.progress(session, w.reviewer, task_id=w.task.id, period="2026-Q1")
    airings = rows_by(report, "airings")
    assert (airings[w.other.id].target, airings[w.other.id].approved, airings[w.other.id].status) == (3, 4, "done")
    assert (airings[w.successor.id].target, airings[w.successor.id].approved) == (6, 5)
    assert airings[w.successor.id].status == "behind"  # 5/6 with the whole quarter elapsed


def test_without_submitted_entries_only_approved_ones_count_toward_the_percentage(session):
    w = world(session)
    report = progress.progress(session, w.reviewer, task_id=w.task.id, period="2026", include_submitted=False)
    a = rows_by(report, "airings")[w.successor.id]
    assert (a.approved, a.submitted, a.percent) == (8, 2, pytest.approx(33.3))


def test_a_commune_view_shows_only_that_commune(session):
    w = world(session)
    report = progress.progress(session, w.reviewer, task_id=w.task.id, period="2026", unit_id=w.other.id)
    assert {r.unit_id for r in report.rows} == {w.other.id}


def test_a_split_commune_is_counted_under_its_default_successor_and_the_page_says_so(session):
    split = split_legacy_commune(session)
    successor = session.get(Unit, split.current_commune_id)
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp")
    plan = make_plan(session, HAI_PHONG)
    task = make_task(session, plan, unit_ids=(successor.id,), targets=(("activities", 2, "plan"),))
    make_activity(session, split.id, status="approved", task_ids=(task.id,))
    report = progress.progress(session, reviewer, task_id=task.id, period="2026")
    assert [(r.unit_id, r.approved) for r in report.rows] == [(successor.id, 1)]
    assert any(split.name in n and successor.name in n and "mặc định" in n for n in report.notes)


def test_a_reviewer_of_another_province_cannot_see_the_plan(session, client):
    w = world(session)
    outsider = make_user(session, "reviewer", NINH_BINH, username="duyet_nb")
    response = client.get(f"/api/v1/progress?task_id={w.task.id}", headers=token(client, outsider))
    assert response.status_code == 404


def test_the_api_returns_the_numbers_of_the_page(session, client):
    w = world(session)
    headers = token(client, w.reviewer)
    response = client.get(f"/api/v1/progress?plan_id={w.plan.id}&period=2026", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    row = next(r for r in body["rows"] if r["unit_id"] == w.successor.id and r["metric"] == "airings")
    assert (row["target"], row["approved"], row["submitted"], row["status"]) == (24, 8, 2, "behind")
    login(client, w.reviewer)
    page = client.get(f"/progress?plan_id={w.plan.id}&period=2026")
    assert page.status_code == 200
    assert f'data-unit="{w.successor.id}"' in page.text and ">24<" in page.text.replace(" ", "")


def test_a_bad_period_or_boundary_is_a_structured_422(session, client):
    w = world(session)
    headers = token(client, w.reviewer)
    for query in ("period=2026-Q7", "boundaries=sometime"):
        response = client.get(f"/api/v1/progress?plan_id={w.plan.id}&{query}", headers=headers)
        assert response.status_code == 422
        assert response.json()["errors"][0]["path"].startswith("query.")


def test_a_target_set_for_the_task_as_a_whole_adds_up_every_assigned_unit(session):
    from app.plans.models import Target

    w = world(session)
    session.add(Target(task_id=w.task.id, metric="minutes", quantity=600, period="plan", per_unit=False))
    session.commit()
    make_activity(session, w.successor.id, status="approved", airings=4, minutes_per_airing=15,
                  task_ids=(w.task.id,), start_date=date(2026, 2, 3))
    make_activity(session, w.other.id, status="submitted", airings=2, minutes_per_airing=10,
                  task_ids=(w.task.id,), start_date=date(2026, 3, 3))
    report = progress.progress(session, w.reviewer, plan_id=w.plan.id, period="plan")
    whole = next(t for t in report.tasks if t.metric == "minutes")
    assert (whole.target, whole.approved, whole.submitted) == (600, 60, 20)
    assert whole.percent == round(100 * 80 / 600, 1)
    assert not any(r.metric == "minutes" for r in report.rows)


def test_without_a_plan_named_only_the_plans_the_reviewer_may_see_are_listed(session, client):
    """A task target of another province's plan (set for the task as a whole) is not the Hải
    Phòng reviewer's to see: neither its title nor its figures appear in the progress of all plans."""
    from app.plans.models import Target

    w = world(session)
    elsewhere = make_plan(session, NINH_BINH, title="Kế hoạch của tỉnh Ninh Bình")
    hidden = make_task(session, elsewhere, title="Hội nghị đối thoại ở Ninh Bình", unit_ids=())
    session.add(Target(task_id=hidden.id, metric="activities", quantity=10, period="plan", per_unit=False))
    session.add(Target(task_id=w.task.id, metric="minutes", quantity=600, period="plan", per_unit=False))
    session.commit()
    body = client.get("/api/v1/progress?period=2026", headers=token(client, w.reviewer)).json()
    assert {t["task_id"] for t in body["tasks"]} == {w.task.id}
    assert "Ninh Bình" not in str(body)


def test_the_totals_alone_are_the_totals_of_the_rows_in_the_same_order(session):
    """The dashboard asks only for the totals per task and target, not a row per commune."""
    w = world(session)
    for scope in ({"task_id": w.task.id}, {"plan_id": w.plan.id}, {}):
        full = progress.progress(session, w.reviewer, period="2026", **scope)
        bars = progress.progress(session, w.reviewer, period="2026", unit_rows=False, **scope)
        assert bars.rows == [] and full.rows
        assert bars.tasks == full.tasks and bars.notes == full.notes


def test_the_dashboard_bars_show_each_target_over_the_communes_and_how_many_are_behind(session, client):
    w = world(session)
    login(client, w.reviewer)
    page = client.get("/dashboard?period=2026")
    assert page.status_code == 200
    bars = page.text.split('id="h-progress"')[1].split("</section>")[0]
    # Airings: 3 × 12 a year over 2 rows (A with L, B); 12 approved and 2 submitted; both behind.
    assert "<b>14</b> / 36 (38,9%)" in bars and "đã duyệt 12, chờ duyệt 2" in bars
    assert "2/2 đơn vị chậm tiến độ" in bars
