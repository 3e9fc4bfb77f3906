"""Two people changing the same record at the same moment: exactly one wins, the other is told and
loses nothing they typed. Requests go to a real server (uvicorn in a thread), released together by
a barrier, on SQLite and on PostgreSQL."""
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.audit.models import AuditEntry
from tests.activities_helpers import broadcast, commune_pair
from tests.factories import HAI_PHONG, login, make_activity, make_plan, make_task, make_user, token

TRIALS = 30


def _together(live_server: str, requests: list[tuple[str, str, dict, dict]]) -> list[httpx.Response]:
    """Sends the requests (method, path, json, headers) at the same instant, one thread each."""
    barrier = threading.Barrier(len(requests))
    clients = [httpx.Client(base_url=live_server, timeout=60) for _ in requests]

    def send(i: int) -> httpx.Response:
        method, path, body, headers = requests[i]
        barrier.wait()
        return clients[i].request(method, path, json=body, headers=headers)

    try:
        with ThreadPoolExecutor(len(requests)) as pool:
            return list(pool.map(send, range(len(requests))))
    finally:
        for c in clients:
            c.close()


def _audit(session, entity: str, entity_id, action: str) -> list[AuditEntry]:
    session.expire_all()
    query = select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id),
                                     AuditEntry.action == action).order_by(AuditEntry.id)
    return list(session.execute(query).scalars())


def _reporter(client, session):
    _, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="ghi_dong_thoi")
    return current, token(client, user)


def test_of_two_patches_from_the_same_version_exactly_one_is_stored(client, session, live_server):
    current, headers = _reporter(client, session)
    entry = client.post("/api/v1/activities", json=broadcast(current.id), headers=headers).json()
    url = f"/api/v1/activities/{entry['id']}"
    for trial in range(TRIALS):
        version = 1 + trial
        first, second = _together(live_server, [("PATCH", url, {"version": version, "airings": 10 + trial}, headers),
                                                ("PATCH", url, {"version": version, "airings": 100 + trial}, headers)])
        assert sorted([first.status_code, second.status_code]) == [200, 409], (trial, first.text, second.text)
        winner, loser = (first, second) if first.status_code == 200 else (second, first)
        assert winner.json()["version"] == version + 1
        refused = loser.json()
        assert refused["errors"][0] == {"path": "body.version", "code": "stale_version", "message": refused["message"]}
        assert refused["current"]["version"] == version + 1
        assert refused["current"]["airings"] == winner.json()["airings"]
    updates = _audit(session, "activity", entry["id"], "update")
    befores = [u.changes["version"]["before"] for u in updates]
    assert len(updates) == TRIALS and sorted(befores) == list(range(1, TRIALS + 1))


def test_two_reviewers_acting_on_one_entry_at_once_leave_one_decision(client, session, live_server):
    commune, _ = commune_pair(session)
    reporter = make_user(session, "reporter", commune.id, username="ghi_xa_dt")
    first = token(client, make_user(session, "reviewer", HAI_PHONG, username="duyet_mot"))
    second = token(client, make_user(session, "reviewer", HAI_PHONG, username="duyet_hai"))
    pairs = [("approve", {}, "return", {"comment": "Thiếu ảnh"}), ("approve", {}, "approve", {}),
             ("return", {"comment": "Sai ngày"}, "return", {"comment": "Sai số liệu"})]
    for trial in range(TRIALS):
        entry = make_activity(session, commune.id, user=reporter, status="submitted")
        a, body_a, b, body_b = pairs[trial % len(pairs)]
        base = f"/api/v1/activities/{entry.id}"
        answers = _together(live_server, [("POST", f"{base}/{a}", body_a, first), ("POST", f"{base}/{b}", body_b, second)])
        assert sorted(r.status_code for r in answers) == [200, 409], (trial, [r.text for r in answers])
        winner = next(r for r in answers if r.status_code == 200).json()
        loser = next(r for r in answers if r.status_code == 409).json()
        assert loser["current"]["status"] == winner["status"] and loser["current"]["version"] == winner["version"]
        transitions = [e for action in ("approve", "return") for e in _audit(session, "activity", entry.id, action)]
        assert len(transitions) == 1


def test_reopening_an_approved_entry_twice_at_once_reopens_it_once(client, session, live_server):
    commune, _ = commune_pair(session)
    reporter = make_user(session, "reporter", commune.id, username="ghi_xa_mo")
    reviewers = [token(client, make_user(session, "reviewer", HAI_PHONG, username=f"duyet_mo_{i}")) for i in (1, 2)]
    for _ in range(10):
        entry = make_activity(session, commune.id, user=reporter, status="approved")
        path = f"/api/v1/activities/{entry.id}/reopen"
        answers = _together(live_server, [("POST", path, {"reason": f"Lý do {i}"}, h) for i, h in enumerate(reviewers)])
        assert sorted(r.status_code for r in answers) == [200, 409]
        assert len(_audit(session, "activity", entry.id, "reopen")) == 1


def test_plans_tasks_and_users_take_one_of_two_edits_from_the_same_version(client, session, live_server):
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="lap_ke_hoach")
    admin = token(client, make_user(session, "admin", None, username="quan_tri_dt"))
    headers = token(client, reviewer)
    plan = make_plan(session, HAI_PHONG)
    task = client.get(f"/api/v1/tasks/{make_task(session, plan).id}", headers=headers).json()
    officer = make_user(session, "reporter", HAI_PHONG, username="can_bo_dt")
    records = [("plan", f"/api/v1/plans/{plan.id}", "title", headers, 1),
               ("task", f"/api/v1/tasks/{task['id']}", "title", headers, task["version"]),
               ("user", f"/api/v1/users/{officer.id}", "full_name", admin, 1)]
    for entity, path, field, auth, version in records:
        for trial in range(10):
            answers = _together(live_server, [
                ("PATCH", path, {"version": version + trial, field: f"Tên thứ nhất {trial}"}, auth),
                ("PATCH", path, {"version": version + trial, field: f"Tên thứ hai {trial}"}, auth)])
            assert sorted(r.status_code for r in answers) == [200, 409], (entity, trial, [r.text for r in answers])
            loser = next(r for r in answers if r.status_code == 409).json()
            winner = next(r for r in answers if r.status_code == 200).json()
            assert loser["current"][field] == winner[field] and loser["current"]["version"] == version + trial + 1
        befores = [u.changes["version"]["before"] for u in _audit(session, entity, path.rsplit("/", 1)[1], "update")]
        assert sorted(befores) == list(range(version, version + 10)), entity


def test_a_change_without_a_version_is_refused_with_a_field_error(client, session):
    current, headers = _reporter(client, session)
    entry = client.post("/api/v1/activities", json=broadcast(current.id), headers=headers).json()
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="lap_ke_hoach_2")
    admin = token(client, make_user(session, "admin", None, username="quan_tri_2"))
    plan = make_plan(session, HAI_PHONG)
    task = make_task(session, plan)
    for path, body, auth in [(f"/api/v1/activities/{entry['id']}", {"airings": 5}, headers),
                             (f"/api/v1/plans/{plan.id}", {"title": "Không có phiên bản"}, token(client, reviewer)),
                             (f"/api/v1/tasks/{task.id}", {"title": "Không có phiên bản"}, token(client, reviewer)),
                             (f"/api/v1/users/{reviewer.id}", {"full_name": "Không có phiên bản"}, admin)]:
        response = client.patch(path, json=body, headers=auth)
        assert response.status_code == 422, (path, response.text)
        assert [e["code"] for e in response.json()["errors"] if e["path"].endswith("version")] == ["missing"], path


def test_a_stale_plan_form_keeps_what_was_typed_and_says_why(client, session):
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="sua_ke_hoach")
    plan = make_plan(session, HAI_PHONG)
    csrf = login(client, reviewer)
    form = client.get(f"/plans/{plan.id}/edit")
    assert 'name="version" value="1"' in form.text
    changed = client.patch(f"/api/v1/plans/{plan.id}", json={"version": 1, "title": "Tên sửa ở nơi khác"},
                           headers={"X-CSRF-Token": csrf})
    assert changed.status_code == 200
    data = {"csrf_token": csrf, "version": "1", "title": "Tên tôi vừa gõ", "unit_id": str(HAI_PHONG),
            "period_start": "2026-01-01", "period_end": "2026-12-31", "status": "draft"}
    refused = client.post(f"/plans/{plan.id}/edit", data=data, follow_redirects=False)
    assert refused.status_code == 409
    assert "Tên tôi vừa gõ" in refused.text and "đã được người khác thay đổi" in refused.text
    assert 'name="version" value="2"' in refused.text
    saved = client.post(f"/plans/{plan.id}/edit", data={**data, "version": "2"}, follow_redirects=False)
    assert saved.status_code == 303
    assert client.get(f"/api/v1/plans/{plan.id}", headers={"X-CSRF-Token": csrf}).json()["title"] == "Tên tôi vừa gõ"


def test_a_stale_user_form_keeps_what_was_typed_and_says_why(client, session):
    admin = make_user(session, "admin", None, username="quan_tri_form")
    officer = make_user(session, "reporter", HAI_PHONG, username="can_bo_form")
    csrf = login(client, admin)
    assert 'name="version" value="1"' in client.get(f"/admin/users/{officer.id}").text
    assert client.patch(f"/api/v1/users/{officer.id}", json={"version": 1, "phone": "0900000009"},
                        headers={"X-CSRF-Token": csrf}).status_code == 200
    refused = client.post(f"/admin/users/{officer.id}", data={
        "csrf_token": csrf, "version": "1", "full_name": "Tên tôi vừa gõ", "phone": "", "email": "",
        "role": "reporter", "unit_id": str(HAI_PHONG), "agency_id": ""}, follow_redirects=False)
    assert refused.status_code == 409
    assert "Tên tôi vừa gõ" in refused.text and "đã được người khác thay đổi" in refused.text


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.sampled_from([-1, 0, 0, 2]), st.sampled_from([-1, 0, 0, 2])), min_size=1, max_size=4))
def test_concurrent_patches_with_any_versions_store_exactly_what_one_winner_sent(client, session, live_server, rounds):
    """Random pairs of simultaneous PATCHes, each from the current version or a wrong one (older, or
    one that will not exist yet even after the other wins): a wrong version never wins, of the right ones exactly one does, and the version moves by
    one per stored change."""
    current, headers = _reporter_once(client, session)
    entry = client.post("/api/v1/activities", json=broadcast(current.id), headers=headers).json()
    url, version, stored = f"/api/v1/activities/{entry['id']}", 1, 0
    for i, offsets in enumerate(rounds):
        answers = _together(live_server, [("PATCH", url, {"version": version + o, "airings": 1 + i * 2 + k}, headers)
                                          for k, o in enumerate(offsets)])
        right = [o == 0 for o in offsets]
        wins = [r.status_code == 200 for r in answers]
        assert all(r.status_code in (200, 409) for r in answers)
        assert not any(w and not ok for w, ok in zip(wins, right))
        assert sum(wins) == (1 if any(right) else 0)
        version += sum(wins)
        stored += sum(wins)
    final = client.get(url, headers=headers).json()
    assert final["version"] == 1 + stored
    assert len(_audit(session, "activity", entry["id"], "update")) == stored


def _reporter_once(client, session):
    """The same reporter across Hypothesis examples (the tables are cleaned between tests, not examples)."""
    from app.accounts.models import User

    _, current = commune_pair(session)
    user = session.execute(select(User).where(User.username == "ghi_ngau_nhien")).scalars().first()
    user = user or make_user(session, "reporter", current.id, username="ghi_ngau_nhien")
    return current, token(client, user)
