"""One unit of work per request: services write and never commit; the request commits once, or
rolls everything back. A failure half-way through an action leaves nothing of it behind."""
from datetime import date

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import event, func
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, select

from app.agencies import services as agency_services
from app.agencies.models import Agency, AgencyCreate
from app.audit.models import AuditEntry
from app.core.db import UnitOfWork, get_session
from app.core.storage import get_storage
from app.plans import services as plan_services
from app.plans.models import Plan, PlanCreate, Target, Task, TaskCreate
from tests.factories import HAI_DUONG, login, make_plan, make_user, token
from tests.test_plan_import import as_data, draft_fields, form_values, replace, value_of


@pytest.fixture
def app_client(database):
    """A client that answers a server error with the 500 page, as a browser would see it."""
    from app.main import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


def count(session: Session, model, *where) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def stored_documents() -> set[str]:
    return {key for key in get_storage().keys() if key.startswith("plans/")}


def assert_no_trace_of_the_import(session: Session, documents_before: set[str]) -> None:
    session.expire_all()
    assert count(session, Agency, Agency.name == "Báo Hải Dương") == 0
    assert count(session, Plan) == 0
    assert count(session, Task) == 0
    assert count(session, Target) == 0
    assert count(session, AuditEntry, AuditEntry.entity.in_(("plan", "task", "agency"))) == 0
    assert stored_documents() == documents_before


def test_a_plan_import_whose_document_cannot_be_stored_leaves_nothing_behind(app_client, session, monkeypatch):
    reviewer = make_user(session, "reviewer", HAI_DUONG)
    csrf = login(app_client, reviewer)
    fields = replace(draft_fields(app_client, csrf), "task-1-agency_id", "new")  # a new agency is created first

    class FullDisk:
        def save(self, key, data, content_type):
            raise OSError("No space left on device")

    monkeypatch.setattr(plan_services, "get_storage", lambda: FullDisk())
    documents = stored_documents()
    response = app_client.post("/plans/import/save", data=as_data(fields), follow_redirects=False)

    assert response.status_code == 500
    assert_no_trace_of_the_import(session, documents)


def test_a_plan_import_failing_after_its_document_was_stored_leaves_neither_rows_nor_file(app_client, session,
                                                                                         monkeypatch):
    reviewer = make_user(session, "reviewer", HAI_DUONG)
    csrf = login(app_client, reviewer)
    fields = replace(draft_fields(app_client, csrf), "task-1-agency_id", "new")
    record = plan_services.record

    def failing_record(session, **kwargs):
        if kwargs["action"] == "attach_document":
            raise RuntimeError("the audit trail cannot be written")
        return record(session, **kwargs)

    monkeypatch.setattr(plan_services, "record", failing_record)
    documents = stored_documents()
    response = app_client.post("/plans/import/save", data=as_data(fields), follow_redirects=False)

    assert response.status_code == 500
    assert_no_trace_of_the_import(session, documents)


def test_an_import_refused_after_its_new_agency_was_written_shows_the_form_again_and_keeps_nothing(app_client,
                                                                                                   session):
    reviewer = make_user(session, "reviewer", HAI_DUONG)
    make_plan(session, HAI_DUONG, number="12/KH-UBND")  # the number the draft carries is taken
    csrf = login(app_client, reviewer)
    fields = replace(draft_fields(app_client, csrf), "task-1-agency_id", "new")
    documents = stored_documents()

    response = app_client.post("/plans/import/save", data=as_data(fields))

    assert response.status_code == 422
    assert "Số hiệu 12/KH-UBND đã dùng" in response.text
    assert value_of(form_values(response.text), "task-1-agency_id") == "new"  # to be created with the plan
    session.expire_all()
    assert count(session, Agency, Agency.name == "Báo Hải Dương") == 0
    assert count(session, AuditEntry, AuditEntry.entity.in_(("plan", "task", "agency"))) == 0
    assert stored_documents() == documents


def test_the_same_import_saves_everything_once_nothing_fails(app_client, session):
    reviewer = make_user(session, "reviewer", HAI_DUONG)
    csrf = login(app_client, reviewer)
    fields = replace(draft_fields(app_client, csrf), "task-1-agency_id", "new")

    response = app_client.post("/plans/import/save", data=as_data(fields), follow_redirects=False)

    assert response.status_code == 303
    plan = session.exec(select(Plan)).one()
    assert plan.document_path in set(get_storage().keys())
    assert count(session, Agency, Agency.name == "Báo Hải Dương") == 1
    assert count(session, AuditEntry, AuditEntry.entity == "plan") == 2  # created, document attached


def _plan_with_a_new_agency(session: Session, user) -> tuple[Agency, Plan]:
    agency = agency_services.create_agency(session, AgencyCreate(name="Báo Hải Dương", unit_id=HAI_DUONG), user=user)
    plan = plan_services.create_plan(session, PlanCreate(
        title="Truyền thông giảm nghèo năm 2024", unit_id=HAI_DUONG, agency_id=agency.id,
        period_start=date(2024, 1, 1), period_end=date(2024, 12, 31),
        tasks=[TaskCreate(title="Đăng tin, bài về giảm nghèo", lead_agency_id=agency.id)]), user=user)
    return agency, plan


def test_two_service_calls_make_one_unit_of_work_that_rolls_back_together(database, session):
    reviewer = make_user(session, "reviewer", HAI_DUONG)
    with Session(database, expire_on_commit=False) as work:
        _plan_with_a_new_agency(work, work.get(type(reviewer), reviewer.id))
        assert count(work, Plan) == 1  # written in the unit of work...
        assert count(session, Plan) == 0  # ...and seen by nobody else before its commit
        work.rollback()

    assert count(session, Agency) == 0
    assert count(session, Plan) == 0
    assert count(session, Task) == 0
    assert count(session, AuditEntry, AuditEntry.entity.in_(("plan", "task", "agency"))) == 0


def test_two_service_calls_in_one_unit_of_work_commit_together(database, session):
    reviewer = make_user(session, "reviewer", HAI_DUONG)
    with Session(database, expire_on_commit=False) as work:
        agency, plan = _plan_with_a_new_agency(work, work.get(type(reviewer), reviewer.id))
        work.commit()

    assert session.get(Plan, plan.id).agency_id == agency.id
    assert count(session, AuditEntry, AuditEntry.entity.in_(("plan", "task", "agency"))) == 3


def test_a_commit_that_fails_answers_the_error_and_not_a_success(client, session):
    reviewer = make_user(session, "reviewer", HAI_DUONG)
    headers = token(client, reviewer)

    def refuse(work):
        if work.execute(select(func.count()).select_from(Agency)).scalar_one():  # the agency's commit
            raise StaleDataError("another writer won")

    event.listen(Session, "before_commit", refuse)
    try:
        response = client.post("/api/v1/agencies", json={"name": "Báo Hải Dương", "unit_id": HAI_DUONG},
                               headers=headers)
    finally:
        event.remove(Session, "before_commit", refuse)

    assert response.status_code == 409
    assert count(session, Agency) == 0


def test_every_route_that_takes_the_request_session_commits_through_the_unit_of_work():
    from app.main import create_app

    def uses_session(dependant) -> bool:
        return any(d.call is get_session or uses_session(d) for d in dependant.dependencies)

    routes = [r for r in create_app().routes if isinstance(r, APIRoute) and uses_session(r.dependant)]
    assert routes
    # "/" only sends the visitor on (to the login page or their home page)
    assert [r.path for r in routes if not isinstance(r, UnitOfWork) and r.path != "/"] == []
