"""Completeness and timeliness: who logged nothing, submitted nothing, has nothing approved; what came late."""
from datetime import date, datetime, timezone

import pytest

from app.progress import completeness
from tests.dashboards_helpers import make_village, merged_legacy_commune
from tests.factories import HAI_PHONG, login, make_activity, make_plan, make_task, make_user, token


@pytest.fixture
def province(session):
    from sqlalchemy import select

    from app.units.models import Unit

    communes = session.execute(select(Unit).where(Unit.level == "commune", Unit.province_id == HAI_PHONG)
                               .order_by(Unit.id).limit(4)).scalars().all()
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp")
    officer = make_user(session, "reporter", communes[0].id, username="ghi_xa0", full_name="Phạm Thị Lan",
                        phone="0912 345 678")
    plan = make_plan(session, HAI_PHONG)
    task = make_task(session, plan, unit_ids=tuple(c.id for c in communes), targets=(("activities", 4, "year"),),
                     report_deadline=date(2026, 11, 20), report_frequency="year")
    t = (task.id,)
    # communes[0]: nothing; [1]: a draft only; [2]: submitted, not approved; [3]: approved (one late).
    make_activity(session, communes[1].id, status="draft", task_ids=t)
    make_activity(session, communes[2].id, status="submitted", task_ids=t)
    on_time = make_activity(session, communes[3].id, status="approved", task_ids=t)
    late = make_activity(session, make_village(session, communes[3]).id, status="approved", task_ids=t)
    on_time.submitted_at = datetime(2026, 11, 20, 16, 0, tzinfo=timezone.utc)  # 23:00 on 20/11 in Vietnam
    late.submitted_at = datetime(2026, 11, 20, 17, 30, tzinfo=timezone.utc)    # 00:30 on 21/11
    session.add_all([on_time, late])
    session.commit()
    return reviewer, officer, communes, plan, task


def test_each_assigned_commune_gets_the_state_of_its_reporting(session, province):
    reviewer, _, communes, plan, task = province
    report = completeness.completeness(session, reviewer, plan_id=plan.id, period="2026")
    states = {r.unit_id: (r.state, r.logged, r.submitted, r.approved) for r in report.rows}
    assert states == {
        communes[0].id: ("nothing_logged", 0, 0, 0),
        communes[1].id: ("nothing_submitted", 1, 0, 0),
        communes[2].id: ("nothing_approved", 1, 1, 0),
        communes[3].id: ("ok", 2, 2, 2),
    }
    assert {r.unit_id for r in report.lagging} == {c.id for c in communes[:3]}
    assert report.counts == {"nothing_logged": 1, "nothing_submitted": 1, "nothing_approved": 1, "ok": 1}


def test_a_submission_after_the_end_of_the_deadline_day_in_vietnam_is_late(session, province):
    reviewer, _, communes, plan, task = province
    report = completeness.completeness(session, reviewer, task_id=task.id, period="2026")
    row = next(r for r in report.rows if r.unit_id == communes[3].id)
    assert (row.late, row.deadline, report.late_total) == (1, date(2026, 11, 20), 1)


def test_a_quarter_without_activity_makes_every_commune_lag(session, province):
    reviewer, _, communes, plan, _ = province
    report = completeness.completeness(session, reviewer, plan_id=plan.id, period="2026-Q2")
    assert {r.state for r in report.rows} == {"nothing_logged"}


def test_the_legacy_commune_reports_for_its_successor_through_current_boundaries(session):
    legacy = merged_legacy_commune(session)
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp")
    plan = make_plan(session, HAI_PHONG)
    task = make_task(session, plan, unit_ids=(legacy.current_commune_id,))
    make_activity(session, legacy.id, status="approved", task_ids=(task.id,))
    current = completeness.completeness(session, reviewer, task_id=task.id, period="2026")
    assert [(r.unit_id, r.state) for r in current.rows] == [(legacy.current_commune_id, "ok")]
    as_of = completeness.completeness(session, reviewer, task_id=task.id, period="2026", boundaries="as_of")
    assert [(r.unit_id, r.state) for r in as_of.rows] == [(legacy.current_commune_id, "nothing_logged")]


def test_the_page_lists_lagging_communes_with_a_phone_link_to_their_officer(session, client, province):
    reviewer, officer, communes, plan, _ = province
    login(client, reviewer)
    page = client.get(f"/completeness?plan_id={plan.id}&period=2026")
    assert page.status_code == 200
    assert 'href="tel:0912345678"' in page.text and "Phạm Thị Lan" in page.text
    assert f'data-unit="{communes[3].id}"' not in page.text.split("Gửi sau hạn")[0]
    assert "Gửi sau hạn báo cáo" in page.text


def test_the_api_gives_the_same_rows(session, client, province):
    reviewer, officer, communes, plan, _ = province
    body = client.get(f"/api/v1/completeness?plan_id={plan.id}&period=2026", headers=token(client, reviewer)).json()
    assert {r["unit_id"]: r["state"] for r in body["rows"]}[communes[2].id] == "nothing_approved"
    first = next(r for r in body["lagging"] if r["unit_id"] == communes[0].id)
    assert [(c["full_name"], c["phone"]) for c in first["contacts"]] == [("Phạm Thị Lan", "0912 345 678")]


def test_a_date_that_is_not_yyyy_mm_dd_is_refused_by_progress_and_completeness(session, client, province):
    reviewer, _, _, plan, _ = province
    headers = token(client, reviewer)
    for path in ("/api/v1/completeness", "/api/v1/progress"):
        refused = client.get(f"{path}?plan_id={plan.id}&period=2026&boundaries=as_of&at=0", headers=headers)
        assert refused.status_code == 422
        assert [e["path"] for e in refused.json()["errors"]] == ["query.at"]
        read = client.get(f"{path}?plan_id={plan.id}&period=2026&boundaries=as_of&at=2026-11-20", headers=headers)
        assert read.status_code == 200
