"""The plans and tasks API: CRUD, validation messages per field, scope, expansion of "every
commune" across 1/7/2025, and cascading a provincial task to a commune."""
from sqlalchemy import select

from app.plans.models import TaskUnit
from app.units.models import CURRENT_START, Unit
from tests.factories import HAI_DUONG, HAI_PHONG, make_activity, token
from tests.plans_helpers import count_units, people, plan_body


def _errors(response) -> dict[str, str]:
    return {e["path"]: e["message"] for e in response.json()["errors"]}


def _every_commune_task(unit_id=HAI_DUONG, **overrides) -> dict:
    body = {"title": "Phát thanh trên loa truyền thanh xã", "activity_types": ["broadcast"],
            "assignment": {"every": "commune", "of_unit_id": unit_id}, "report_deadline": "2023-11-20",
            "targets": [{"metric": "airings", "quantity": 24, "period": "year", "per_unit": True}]}
    body.update(overrides)
    return body


def test_a_reviewer_creates_reads_updates_and_deletes_a_plan(client, session):
    p = people(session)
    headers = token(client, p["reviewer"])
    created = client.post("/api/v1/plans", json=plan_body(agency_id=p["ldtbxh"].id, status="draft"), headers=headers)
    assert created.status_code == 201, created.text
    plan = created.json()
    assert plan["number"] == "1234/KH-UBND" and plan["legal_bases"][0]["number"] == "90/QĐ-TTg"

    changed = client.patch(f"/api/v1/plans/{plan['id']}", json={"title": "Kế hoạch đã sửa tên", "version": plan["version"]},
                           headers=headers)
    assert changed.status_code == 200 and changed.json()["title"] == "Kế hoạch đã sửa tên"
    assert client.get(f"/api/v1/plans/{plan['id']}", headers=headers).json()["period_end"] == "2025-12-31"

    assert client.delete(f"/api/v1/plans/{plan['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/plans/{plan['id']}", headers=headers).status_code == 404


def test_only_draft_plans_can_be_deleted(client, session):
    p = people(session)
    headers = token(client, p["reviewer"])
    plan = client.post("/api/v1/plans", json=plan_body(status="active"), headers=headers).json()
    refused = client.delete(f"/api/v1/plans/{plan['id']}", headers=headers)
    assert refused.status_code == 409
    assert "dự thảo" in refused.json()["message"]


def test_a_period_ending_before_it_starts_is_refused_beside_the_end_date(client, session):
    p = people(session)
    response = client.post("/api/v1/plans", json=plan_body(period_start="2025-12-31", period_end="2023-01-01"),
                           headers=token(client, p["reviewer"]))
    assert response.status_code == 422
    assert _errors(response) == {"body.period_end": "Ngày kết thúc phải sau ngày bắt đầu."}


def test_a_duplicate_number_for_the_same_issuer_is_refused_but_unnumbered_drafts_are_not(client, session):
    p = people(session)
    headers = token(client, p["reviewer"])
    body = plan_body(agency_id=p["ldtbxh"].id)
    assert client.post("/api/v1/plans", json=body, headers=headers).status_code == 201
    again = client.post("/api/v1/plans", json=body, headers=headers)
    assert again.status_code == 422
    assert "1234/KH-UBND" in _errors(again)["body.number"]
    other_agency = client.post("/api/v1/plans", json=plan_body(agency_id=p["station"].id), headers=headers)
    assert other_agency.status_code == 201
    for _ in range(2):
        assert client.post("/api/v1/plans", json=plan_body(number="/KH-UBND"), headers=headers).status_code == 201


def test_a_target_without_a_metric_is_refused_beside_its_row(client, session):
    p = people(session)
    headers = token(client, p["reviewer"])
    plan = client.post("/api/v1/plans", json=plan_body(), headers=headers).json()
    task = _every_commune_task(targets=[{"metric": "airings", "quantity": 24, "period": "year"},
                                        {"quantity": 3, "period": "year"}])
    response = client.post(f"/api/v1/plans/{plan['id']}/tasks", json=task, headers=headers)
    assert response.status_code == 422
    assert _errors(response) == {"body.targets.1.metric": "Chọn chỉ số đo cho chỉ tiêu này."}


def test_a_task_assigned_outside_the_plans_unit_is_refused(client, session):
    p = people(session)
    headers = token(client, p["reviewer"])
    plan = client.post("/api/v1/plans", json=plan_body(), headers=headers).json()
    nam_dinh_commune = p["outsider"].unit_id
    response = client.post(f"/api/v1/plans/{plan['id']}/tasks",
                           json={"title": "Tuyên truyền tại xã", "assignment": {"unit_ids": [nam_dinh_commune]}},
                           headers=headers)
    assert response.status_code == 422
    assert "thuộc địa bàn của Tỉnh Hải Dương" in _errors(response)["body.assignment.unit_ids"]


def test_every_commune_of_a_legacy_province_covers_old_and_new_communes_across_1_7_2025(client, session):
    p = people(session)
    headers = token(client, p["reviewer"])
    plan = client.post("/api/v1/plans", json=plan_body(), headers=headers).json()
    response = client.post(f"/api/v1/plans/{plan['id']}/tasks", json=_every_commune_task(), headers=headers)
    assert response.status_code == 201, response.text
    task = response.json()
    legacy_communes = count_units(session, Unit.province_id == HAI_DUONG, Unit.level == "commune")
    assigned = set(task["unit_ids"])
    assert p["legacy_commune"].id in assigned and p["current_commune"].id in assigned
    assigned_units = session.execute(select(Unit).where(Unit.id.in_(assigned))).scalars().all()
    before = [u for u in assigned_units if u.valid_to is not None and u.valid_to < CURRENT_START]
    after = [u for u in assigned_units if u.valid_from == CURRENT_START]
    assert len(before) == legacy_communes
    assert 0 < len(after) < count_units(session, Unit.province_id == HAI_PHONG, Unit.level == "commune")
    assert task["unit_count"] == len(before) + len(after)


def test_a_plan_ending_before_1_7_2025_assigns_only_the_legacy_communes(client, session):
    p = people(session)
    headers = token(client, p["reviewer"])
    plan = client.post("/api/v1/plans", json=plan_body(period_end="2024-12-31"), headers=headers).json()
    task = client.post(f"/api/v1/plans/{plan['id']}/tasks", json=_every_commune_task(), headers=headers).json()
    assert p["legacy_commune"].id in task["unit_ids"] and p["current_commune"].id not in task["unit_ids"]
    extended = client.patch(f"/api/v1/plans/{plan['id']}", json={"period_end": "2025-12-31", "version": plan["version"]},
                            headers=headers)
    assert extended.status_code == 200
    assert p["current_commune"].id in client.get(f"/api/v1/tasks/{task['id']}", headers=headers).json()["unit_ids"]


def test_a_task_is_read_updated_and_deleted_with_its_partners_and_targets(client, session):
    p = people(session)
    headers = token(client, p["reviewer"])
    plan = client.post("/api/v1/plans", json=plan_body(), headers=headers).json()
    task = client.post(f"/api/v1/plans/{plan['id']}/tasks",
                       json=_every_commune_task(lead_agency_id=p["ldtbxh"].id, partner_agency_ids=[p["station"].id]),
                       headers=headers).json()
    assert task["partner_agency_ids"] == [p["station"].id] and task["targets"][0]["quantity"] == 24
    changed = client.patch(f"/api/v1/tasks/{task['id']}",
                           json={"targets": [{"metric": "participants", "quantity": 500, "period": "plan",
                                              "per_unit": False}],
                                 "assignment": {"unit_ids": [p["current_commune"].id]}, "version": task["version"]},
                           headers=headers)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert [t["metric"] for t in body["targets"]] == ["participants"] and body["unit_ids"] == [p["current_commune"].id]
    assert body["partner_agency_ids"] == [p["station"].id] and body["title"] == task["title"]
    listed = client.get(f"/api/v1/plans/{plan['id']}/tasks", headers=headers).json()["items"]
    assert [t["id"] for t in listed] == [task["id"]]
    assert client.delete(f"/api/v1/tasks/{task['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=headers).status_code == 404


def test_a_task_with_logged_activities_cannot_be_deleted(client, session):
    p = people(session)
    headers = token(client, p["reviewer"])
    plan = client.post("/api/v1/plans", json=plan_body(), headers=headers).json()
    task = client.post(f"/api/v1/plans/{plan['id']}/tasks", json=_every_commune_task(), headers=headers).json()
    make_activity(session, p["current_commune"].id, task_ids=(task["id"],), airings=3)
    assert client.delete(f"/api/v1/tasks/{task['id']}", headers=headers).status_code == 409


def test_a_commune_officer_sees_the_provincial_plan_that_assigns_it_tasks(client, session):
    p = people(session)
    reviewer = token(client, p["reviewer"])
    plan = client.post("/api/v1/plans", json=plan_body(), headers=reviewer).json()
    unassigned = client.post("/api/v1/plans", json=plan_body(number="99/KH-UBND"), headers=reviewer).json()
    client.post(f"/api/v1/plans/{plan['id']}/tasks", json=_every_commune_task(), headers=reviewer)
    officer = token(client, p["reporter"])
    listed = client.get("/api/v1/plans", headers=officer).json()["items"]
    assert [x["id"] for x in listed] == [plan["id"]]
    assert client.get(f"/api/v1/plans/{unassigned['id']}", headers=officer).status_code == 404
    assert client.patch(f"/api/v1/plans/{plan['id']}", json={"title": "Đổi tên", "version": plan["version"]},
                        headers=officer).status_code == 403


def test_a_reporter_of_another_province_gets_404(client, session):
    p = people(session)
    reviewer = token(client, p["reviewer"])
    plan = client.post("/api/v1/plans", json=plan_body(), headers=reviewer).json()
    task = client.post(f"/api/v1/plans/{plan['id']}/tasks", json=_every_commune_task(), headers=reviewer).json()
    outsider = token(client, p["outsider"])
    assert client.get(f"/api/v1/plans/{plan['id']}", headers=outsider).status_code == 404
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=outsider).status_code == 404
    assert client.get(f"/api/v1/plans/{plan['id']}/tasks", headers=outsider).status_code == 404
    assert client.get("/api/v1/plans", headers=outsider).json()["items"] == []
    assert client.delete(f"/api/v1/plans/{plan['id']}", headers=outsider).status_code == 404


def test_a_reviewer_of_another_province_cannot_create_plans_here(client, session):
    p = people(session)
    response = client.post("/api/v1/plans", json=plan_body(), headers=token(client, p["outside_reviewer"]))
    assert response.status_code == 403
    viewer = client.post("/api/v1/plans", json=plan_body(unit_id=HAI_PHONG), headers=token(client, p["viewer"]))
    assert viewer.status_code == 403


def test_plans_are_filtered_by_year_status_and_unit(client, session):
    p = people(session)
    headers = token(client, p["reviewer"])
    old = client.post("/api/v1/plans", json=plan_body(), headers=headers).json()
    new = client.post("/api/v1/plans", json=plan_body(unit_id=HAI_PHONG, number="5/KH-UBND", status="draft",
                                                      period_start="2026-01-01", period_end="2026-12-31"),
                      headers=headers).json()

    def ids(**params):
        return [x["id"] for x in client.get("/api/v1/plans", params=params, headers=headers).json()["items"]]

    assert ids() == [new["id"], old["id"]]
    assert ids(year=2024) == [old["id"]]
    assert ids(status="draft") == [new["id"]]
    assert ids(unit_id=HAI_DUONG) == [old["id"]]
    first = client.get("/api/v1/plans", params={"limit": 1}, headers=headers).json()
    second = client.get("/api/v1/plans", params={"limit": 1, "cursor": first["next_cursor"]}, headers=headers).json()
    assert [x["id"] for x in first["items"] + second["items"]] == [new["id"], old["id"]]


def test_a_commune_reviewer_cascades_a_provincial_task_into_its_own_plan(client, session):
    p = people(session)
    province = token(client, p["reviewer"])
    plan = client.post("/api/v1/plans", json=plan_body(), headers=province).json()
    task = client.post(f"/api/v1/plans/{plan['id']}/tasks", json=_every_commune_task(), headers=province).json()

    commune = token(client, p["commune_reviewer"])
    response = client.post(f"/api/v1/tasks/{task['id']}/cascade", json={}, headers=commune)
    assert response.status_code == 201, response.text
    child = response.json()
    assert child["unit_id"] == p["current_commune"].id and child["parent_plan_id"] == plan["id"]
    assert child["parent_task_id"] == task["id"] and child["status"] == "draft"
    assert child["period_start"] == "2025-07-01"  # the commune exists from the reorganisation on
    child_tasks = client.get(f"/api/v1/plans/{child['id']}/tasks", headers=commune).json()["items"]
    assert len(child_tasks) == 1
    assert child_tasks[0]["parent_task_id"] == task["id"] and child_tasks[0]["unit_ids"] == [p["current_commune"].id]
    assert child_tasks[0]["targets"][0]["quantity"] == 24

    again = client.post(f"/api/v1/tasks/{task['id']}/cascade", json={}, headers=commune)
    assert again.status_code == 200 and again.json()["id"] == child["id"]


def test_progress_of_a_task_rolls_up_its_cascaded_tasks(client, session):
    from app.plans.queries import descendant_task_ids

    p = people(session)
    plan = client.post("/api/v1/plans", json=plan_body(), headers=token(client, p["reviewer"])).json()
    task = client.post(f"/api/v1/plans/{plan['id']}/tasks", json=_every_commune_task(),
                       headers=token(client, p["reviewer"])).json()
    child = client.post(f"/api/v1/tasks/{task['id']}/cascade", json={},
                        headers=token(client, p["commune_reviewer"])).json()
    child_task = client.get(f"/api/v1/plans/{child['id']}/tasks",
                            headers=token(client, p["commune_reviewer"])).json()["items"][0]
    assert descendant_task_ids(session, [task["id"]]) == {task["id"], child_task["id"]}


def test_a_reporter_cannot_cascade_and_an_unassigned_unit_is_refused(client, session):
    p = people(session)
    province = token(client, p["reviewer"])
    plan = client.post("/api/v1/plans", json=plan_body(), headers=province).json()
    task = client.post(f"/api/v1/plans/{plan['id']}/tasks",
                       json=_every_commune_task(assignment={"unit_ids": [p["legacy_commune"].id]}),
                       headers=province).json()
    assert client.post(f"/api/v1/tasks/{task['id']}/cascade", json={},
                       headers=token(client, p["reporter"])).status_code == 403
    other = session.execute(select(Unit).where(Unit.province_id == HAI_PHONG, Unit.level == "commune",
                                               Unit.id != p["current_commune"].id).limit(1)).scalar_one()
    refused = client.post(f"/api/v1/tasks/{task['id']}/cascade", json={"unit_id": other.id}, headers=province)
    assert refused.status_code == 422 and "body.unit_id" in _errors(refused)


def test_a_plan_is_created_with_its_tasks_in_one_request(client, session):
    p = people(session)
    body = plan_body(tasks=[_every_commune_task(lead_agency_id=p["ldtbxh"].id),
                            {"title": "Tổ chức đối thoại chính sách", "lead_agency_id": p["ldtbxh"].id}])
    created = client.post("/api/v1/plans", json=body, headers=token(client, p["reviewer"]))
    assert created.status_code == 201 and created.json()["task_count"] == 2
    invalid = plan_body(number="2/KH", tasks=[{"title": "Nhiệm vụ", "targets": [{"quantity": 1}]}])
    refused = client.post("/api/v1/plans", json=invalid, headers=token(client, p["reviewer"]))
    assert _errors(refused) == {"body.tasks.0.targets.0.metric": "Chọn chỉ số đo cho chỉ tiêu này."}
    numbers = [x["number"] for x in client.get("/api/v1/plans", headers=token(client, p["reviewer"])).json()["items"]]
    assert numbers == ["1234/KH-UBND"]
    assert len(session.execute(select(TaskUnit.unit_id).where(TaskUnit.task_id.is_not(None))).all()) > 200
