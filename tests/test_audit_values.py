"""The audit page shows every kind of recorded change: lists (a task's activity types, a plan's
legal bases) and objects (a task's assignment) read as text, never as a server error."""
from tests.factories import HAI_DUONG, login, token
from tests.plans_helpers import people, plan_body


def _plan_with_a_task(client, reviewer) -> dict:
    headers = token(client, reviewer)
    plan = client.post("/api/v1/plans", json=plan_body(), headers=headers)
    assert plan.status_code == 201, plan.text
    task = client.post(f"/api/v1/plans/{plan.json()['id']}/tasks", headers=headers, json={
        "title": "Phát thanh trên loa truyền thanh xã", "activity_types": ["broadcast", "talk"],
        "assignment": {"every": "commune", "of_unit_id": HAI_DUONG},
        "targets": [{"metric": "airings", "quantity": 24, "period": "year", "per_unit": True}]})
    assert task.status_code == 201, task.text
    return plan.json()


def test_the_audit_page_shows_a_plan_with_legal_bases_and_a_task_with_activity_types(client, session):
    p = people(session)
    plan = _plan_with_a_task(client, p["reviewer"])
    login(client, p["reviewer"])
    for params in ({}, {"entity": "plan"}, {"entity": "task"}, {"entity": "plan", "entity_id": plan["id"]}):
        page = client.get("/audit", params=params)
        assert page.status_code == 200, (params, page.text[:200])
    everything = client.get("/audit").text
    assert "90/QĐ-TTg" in everything
    assert "Phát thanh, truyền hình, Nói chuyện chuyên đề" in client.get("/audit", params={"entity": "task"}).text


def test_the_audit_fragment_for_htmx_answers_too(client, session):
    p = people(session)
    _plan_with_a_task(client, p["reviewer"])
    login(client, p["admin"])
    fragment = client.get("/audit", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "90/QĐ-TTg" in fragment.text
