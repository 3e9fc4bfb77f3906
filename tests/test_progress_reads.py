"""Where progress reads its numbers: the summary for whole months, the rows for a span that cuts a
month, and one consistent read of each target with its plan."""
from datetime import date

import pytest
from sqlalchemy import event
from sqlmodel import Session

from app.plans import services as plan_services
from app.plans.models import Plan, Target
from app.progress import progress
from tests.dashboards_helpers import other_current_commune
from tests.factories import HAI_PHONG, make_activity, make_plan, make_task, make_user


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(progress, "today", lambda: date(2026, 7, 1))


def test_a_plan_from_the_middle_of_a_month_is_counted_from_the_rows_day_by_day(session):
    commune = other_current_commune(session)
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_hp")
    plan = make_plan(session, HAI_PHONG, period_start=date(2026, 3, 15), period_end=date(2026, 9, 14))
    task = make_task(session, plan, unit_ids=(commune.id,), targets=(("airings", 10, "plan"),))
    session.add(Target(task_id=task.id, metric="airings", quantity=30, period="plan", per_unit=False,
                       activity_type="visual"))
    for day, airings in ((date(2026, 3, 14), 100), (date(2026, 3, 15), 3), (date(2026, 9, 14), 4),
                         (date(2026, 9, 15), 100)):
        make_activity(session, commune.id, status="approved", airings=airings, start_date=day, task_ids=(task.id,))
    session.commit()
    report = progress.progress(session, reviewer, plan_id=plan.id, period="plan")
    assert [(r.target, r.approved) for r in report.rows] == [(10, 7)]
    assert [(t.target, t.approved) for t in report.tasks if t.activity_type == "visual"] == [(30, 0)]


def test_a_plan_deleted_while_the_progress_of_the_year_is_read_is_not_a_server_error(database, session):
    """Each statement of a request sees what was committed when it began (PostgreSQL's read
    committed): a target read with its task must carry its plan, not look it up in a later query."""
    commune = other_current_commune(session)
    admin = make_user(session, "admin", None, username="quantri_tw")
    kept = make_plan(session, HAI_PHONG)
    make_task(session, kept, unit_ids=(commune.id,), targets=(("airings", 12, "year"),))
    draft = make_plan(session, HAI_PHONG, title="Kế hoạch dự thảo", status="draft")
    draft_task = make_task(session, draft, unit_ids=(commune.id,))
    session.add(Target(task_id=draft_task.id, metric="airings", quantity=5, period="year", per_unit=False))
    make_activity(session, commune.id, status="approved", airings=2, start_date=date(2026, 2, 2))
    session.commit()
    draft_id = draft.id

    def delete_the_draft_meanwhile(state):
        # Someone deletes the draft plan just before the query that would look its period up.
        entity = state.statement.column_descriptions[0].get("entity") if state.is_select else None
        if entity is Plan and not getattr(delete_the_draft_meanwhile, "done", False):
            compiled = state.statement.compile()
            if any(draft_id in (v if isinstance(v, (list, tuple, set)) else [v]) for v in compiled.params.values()):
                delete_the_draft_meanwhile.done = True
                with Session(database) as other:
                    plan_services.delete_plan(other, other.get(Plan, draft_id), user=admin)
                    other.commit()

    event.listen(session, "do_orm_execute", delete_the_draft_meanwhile)
    try:
        report = progress.progress(session, admin, period="2026")
    finally:
        event.remove(session, "do_orm_execute", delete_the_draft_meanwhile)
    assert {r.plan_id for r in report.rows} == {kept.id}
    assert all(t.plan_id in (kept.id, draft_id) for t in report.tasks)
