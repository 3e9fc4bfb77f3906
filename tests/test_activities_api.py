"""The activities JSON API: idempotent logging, rules, change feed, bulk import."""
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from app.activities.models import Activity
from app.audit.models import AuditEntry
from app.core.clock import today
from tests.activities_helpers import LEGACY_DAY, broadcast, commune_pair, days_ago, other_current_commune
from tests.factories import HAI_PHONG, make_plan, make_task, make_user, token


def _count(session) -> int:
    session.expire_all()
    return session.execute(select(func.count()).select_from(Activity)).scalar_one()


def _reporter(client, session):
    legacy, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="to_ha")
    return user, token(client, user), legacy, current


def test_logging_a_broadcast_answers_201_with_minutes_computed(client, session):
    _, headers, _, current = _reporter(client, session)
    response = client.post("/api/v1/activities", json=broadcast(current.id, cost_local_vnd=150000,
                                                               cost_mobilised_vnd=50000), headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["minutes"] == 30 and body["cost_vnd"] == 200000 and body["version"] == 1
    assert body["status"] == "draft" and body["details"]["channel"] == "commune_loudspeaker"
    audit = session.execute(select(AuditEntry).where(AuditEntry.entity_id == body["id"])).scalars().all()
    assert [a.action for a in audit] == ["create"]


def test_a_retry_with_the_same_id_answers_200_and_leaves_one_record(client, session):
    _, headers, _, current = _reporter(client, session)
    body = broadcast(current.id, id=str(uuid.uuid4()))
    first = client.post("/api/v1/activities", json=body, headers=headers)
    again = client.post("/api/v1/activities", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] == body["id"]
    assert _count(session) == 1


def test_a_different_body_under_an_existing_id_answers_409_with_the_stored_record(client, session):
    _, headers, _, current = _reporter(client, session)
    body = broadcast(current.id, id=str(uuid.uuid4()))
    client.post("/api/v1/activities", json=body, headers=headers)
    response = client.post("/api/v1/activities", json={**body, "airings": 5}, headers=headers)
    assert response.status_code == 409
    assert response.json()["code"] == "conflict" and response.json()["current"]["airings"] == 2
    assert _count(session) == 1


def test_the_answer_to_a_new_entry_is_the_stored_record(client, session):
    _, headers, _, current = _reporter(client, session)
    task = make_task(session, make_plan(session, current.id), unit_ids=(current.id,))
    created = client.post("/api/v1/activities", json=broadcast(current.id, task_ids=[task.id], topics=["Chính sách"]),
                          headers=headers)
    assert created.status_code == 201, created.text
    stored = client.get(f"/api/v1/activities/{created.json()['id']}", headers=headers)
    assert created.json() == stored.json()
    assert created.json()["task_ids"] == [task.id] and created.json()["evidence"] == []


def test_an_id_already_used_out_of_sight_answers_409_and_stores_nothing(client, session):
    _, headers, _, current = _reporter(client, session)
    body = broadcast(current.id, id=str(uuid.uuid4()))
    assert client.post("/api/v1/activities", json=body, headers=headers).status_code == 201
    elsewhere = other_current_commune(session, current.id)
    stranger = token(client, make_user(session, "reporter", elsewhere.id, username="nguoi_khac"))
    response = client.post("/api/v1/activities", json={**body, "unit_id": elsewhere.id}, headers=stranger)
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "id_taken" and response.json()["current"] is None
    assert _count(session) == 1


def test_copies_of_one_entry_sent_at_once_store_it_once(client, session, live_server):
    import httpx
    from concurrent.futures import ThreadPoolExecutor

    _, headers, _, current = _reporter(client, session)
    body = broadcast(current.id, id=str(uuid.uuid4()))
    with httpx.Client(base_url=live_server, headers=headers, timeout=30) as http, ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(lambda _: http.post("/api/v1/activities", json=body).status_code, range(8)))
    assert statuses == [200] * 7 + [201]
    assert _count(session) == 1


def _errors(response) -> dict[str, str]:
    """The refused fields (their paths all under `body.`, as sent) and codes."""
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert all(e["path"].startswith("body.") for e in errors), errors
    return {e["path"].removeprefix("body."): e["code"] for e in errors}


def test_dates_after_tomorrow_and_ends_before_starts_are_refused(client, session):
    _, headers, _, current = _reporter(client, session)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    assert client.post("/api/v1/activities", json=broadcast(current.id, start_date=tomorrow),
                       headers=headers).status_code == 201
    late = (today() + timedelta(days=2)).isoformat()
    assert _errors(client.post("/api/v1/activities", json=broadcast(current.id, start_date=late),
                               headers=headers)) == {"start_date": "future"}
    response = client.post("/api/v1/activities", json=broadcast(current.id, start_date=days_ago(3),
                                                               end_date=days_ago(5)), headers=headers)
    assert _errors(response) == {"end_date": "before_start"}


def test_negative_counts_and_a_breakdown_above_the_total_are_refused(client, session):
    _, headers, _, current = _reporter(client, session)
    body = {**broadcast(current.id, airings=0, minutes_per_airing=0, details={}), "type": "talk", "participants": 40,
            "participants_women": 41, "participants_poor": -1, "cost_local_vnd": 1000.5}
    errors = _errors(client.post("/api/v1/activities", json=body, headers=headers))
    assert errors == {"participants_poor": "greater_than_equal", "cost_local_vnd": "int_from_float"}
    body.update(participants_poor=3, cost_local_vnd=1000)
    errors = _errors(client.post("/api/v1/activities", json=body, headers=headers))
    assert errors == {"participants_women": "above_total"}


def test_a_broadcast_needs_a_channel_and_airings(client, session):
    _, headers, _, current = _reporter(client, session)
    errors = _errors(client.post("/api/v1/activities", json=broadcast(current.id, airings=0, details={}),
                                 headers=headers))
    assert errors == {"airings": "required", "details.channel": "required"}


def test_a_2024_activity_goes_to_the_legacy_commune_and_a_2026_one_to_the_current(client, session):
    _, headers, legacy, current = _reporter(client, session)
    assert _errors(client.post("/api/v1/activities", json=broadcast(current.id, start_date=LEGACY_DAY),
                               headers=headers)) == {"unit_id": "unit_not_valid_on_date"}
    assert client.post("/api/v1/activities", json=broadcast(legacy.id, start_date=LEGACY_DAY),
                       headers=headers).status_code == 201
    assert _errors(client.post("/api/v1/activities", json=broadcast(legacy.id),
                               headers=headers)) == {"unit_id": "unit_not_valid_on_date"}


def test_a_reporter_of_one_commune_cannot_log_in_another(client, session):
    _, headers, _, current = _reporter(client, session)
    other = other_current_commune(session, current.id)
    assert _errors(client.post("/api/v1/activities", json=broadcast(other.id), headers=headers)) == {
        "unit_id": "out_of_scope"}
    viewer = make_user(session, "viewer", current.id, username="chi_xem")
    assert client.post("/api/v1/activities", json=broadcast(current.id),
                       headers=token(client, viewer)).status_code == 403
    assert _count(session) == 0


def test_a_task_must_belong_to_a_plan_covering_the_date_and_the_unit(client, session):
    _, headers, legacy, current = _reporter(client, session)
    other = other_current_commune(session, current.id)
    plan = make_plan(session, HAI_PHONG, period_start=today() - timedelta(days=100),
                     period_end=today() + timedelta(days=100))
    ours = make_task(session, plan, unit_ids=(current.id,))
    theirs = make_task(session, plan, unit_ids=(other.id,), title="Nhiệm vụ của xã khác")
    province_wide = make_task(session, plan, title="Nhiệm vụ chung của thành phố")
    old_plan = make_plan(session, HAI_PHONG, title="Kế hoạch cũ", period_start=today() - timedelta(days=900),
                         period_end=today() - timedelta(days=400))
    expired = make_task(session, old_plan, unit_ids=(current.id,))
    for task in (ours, province_wide):
        assert client.post("/api/v1/activities", json=broadcast(current.id, task_ids=[task.id]),
                           headers=headers).status_code == 201
    for task in (theirs, expired):
        assert _errors(client.post("/api/v1/activities", json=broadcast(current.id, task_ids=[task.id]),
                                   headers=headers)) == {"task_ids": "task_not_applicable"}


def test_a_stale_version_is_refused_with_the_current_record(client, session):
    _, headers, _, current = _reporter(client, session)
    created = client.post("/api/v1/activities", json=broadcast(current.id), headers=headers).json()
    url = f"/api/v1/activities/{created['id']}"
    first = client.patch(url, json={"version": 1, "airings": 3}, headers=headers)
    assert first.status_code == 200 and first.json()["version"] == 2 and first.json()["minutes"] == 45
    stale = client.patch(url, json={"version": 1, "airings": 4}, headers=headers)
    assert stale.status_code == 409 and stale.json()["current"]["airings"] == 3


def test_submit_then_edit_is_refused_and_only_drafts_are_deleted(client, session):
    _, headers, _, current = _reporter(client, session)
    draft = client.post("/api/v1/activities", json=broadcast(current.id), headers=headers).json()
    kept = client.post("/api/v1/activities", json=broadcast(current.id), headers=headers).json()
    submitted = client.post(f"/api/v1/activities/{kept['id']}/submit", headers=headers)
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert client.patch(f"/api/v1/activities/{kept['id']}", json={"airings": 9, "version": 2},
                        headers=headers).status_code == 403
    assert client.delete(f"/api/v1/activities/{kept['id']}", headers=headers).status_code == 409
    assert client.delete(f"/api/v1/activities/{draft['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/activities/{draft['id']}", headers=headers).status_code == 404


def test_the_change_feed_pages_through_updates_in_order(client, session):
    _, headers, _, current = _reporter(client, session)
    since = "2000-01-01T00:00:00Z"
    ids = [client.post("/api/v1/activities", json=broadcast(current.id), headers=headers).json()["id"]
           for _ in range(5)]
    client.patch(f"/api/v1/activities/{ids[0]}", json={"airings": 7, "version": 1}, headers=headers)
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/activities", params={"updated_since": since, "limit": 2,
                                                        **({"cursor": cursor} if cursor else {})},
                          headers=headers).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids[1:] + ids[:1]


def test_the_list_filters_by_type_and_unit(client, session):
    _, headers, legacy, current = _reporter(client, session)
    client.post("/api/v1/activities", json=broadcast(current.id), headers=headers)
    client.post("/api/v1/activities", json=broadcast(legacy.id, start_date=LEGACY_DAY), headers=headers)
    items = client.get("/api/v1/activities", params={"unit_id": legacy.id}, headers=headers).json()["items"]
    assert [i["unit_id"] for i in items] == [legacy.id]
    assert client.get("/api/v1/activities", params={"type": "training"}, headers=headers).json()["items"] == []


def test_bulk_reports_each_failing_row_and_saves_the_good_ones(client, session):
    _, headers, _, current = _reporter(client, session)
    repeated = broadcast(current.id, id=str(uuid.uuid4()))
    changed = broadcast(current.id, id=str(uuid.uuid4()))
    client.post("/api/v1/activities", json=repeated, headers=headers)
    client.post("/api/v1/activities", json=changed, headers=headers)
    rows = [broadcast(current.id), repeated, broadcast(current.id, airings=-1), {"type": "nope"},
            broadcast(current.id, start_date="2099-01-01"), {**changed, "airings": 9}]
    response = client.post("/api/v1/activities/bulk", json=rows, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["created", "unchanged", "error", "error", "error", "error"]
    assert body["results"][2]["errors"][0]["path"] == "body.2.airings"
    assert {e["path"] for e in body["results"][3]["errors"]} >= {"body.3.start_date", "body.3.unit_id"}
    assert body["results"][4]["errors"][0]["code"] == "future"
    assert body["results"][5]["errors"][0]["code"] == "conflict" and body["results"][5]["id"] == changed["id"]
    assert _count(session) == 3
    created = session.execute(select(AuditEntry.entity_id).where(AuditEntry.action == "create",
                                                                 AuditEntry.entity == "activity")).scalars().all()
    assert sorted(created) == sorted([repeated["id"], changed["id"], body["results"][0]["id"]])


def test_a_bulk_dry_run_validates_without_saving(client, session):
    _, headers, _, current = _reporter(client, session)
    rows = [broadcast(current.id), broadcast(current.id, airings=-1)]
    body = client.post("/api/v1/activities/bulk", params={"dry_run": "true"}, json={"activities": rows},
                       headers=headers).json()
    assert body["dry_run"] is True and body["created"] == 1 and body["error"] == 1
    assert _count(session) == 0


def test_bulk_refuses_more_than_a_thousand_rows(client, session):
    _, headers, _, current = _reporter(client, session)
    response = client.post("/api/v1/activities/bulk", json=[broadcast(current.id)] * 1001, headers=headers)
    assert response.status_code == 413 and _count(session) == 0


def test_numbers_too_large_to_store_are_refused_beside_the_field_in_every_path(client, session):
    _, headers, _, current = _reporter(client, session)
    huge = {"airings": 2**70, "cost_local_vnd": 2**63, "unit_id": 2**70, "task_ids": [2**70]}
    errors = _errors(client.post("/api/v1/activities", json={**broadcast(current.id), **huge}, headers=headers))
    assert errors == {"airings": "less_than_equal", "cost_local_vnd": "less_than_equal",
                      "unit_id": "less_than_equal", "task_ids.0": "less_than_equal"}
    # Each cost fits, but their sum must too: every source is bounded so the total is.
    two_costs = broadcast(current.id, cost_central_vnd=2**62, cost_local_vnd=2**62)
    assert set(_errors(client.post("/api/v1/activities", json=two_costs, headers=headers))) == {
        "cost_central_vnd", "cost_local_vnd"}
    longest = client.post("/api/v1/activities", json=broadcast(current.id, airings=1_000_000, minutes_per_airing=1440),
                          headers=headers)
    assert longest.status_code == 201 and longest.json()["minutes"] == 1_440_000_000
    patched = client.patch(f"/api/v1/activities/{longest.json()['id']}", json={"airings": 2**70, "version": 1},
                           headers=headers)
    assert _errors(patched) == {"airings": "less_than_equal"}
    bulk = client.post("/api/v1/activities/bulk", json=[broadcast(current.id, airings=2**70), broadcast(current.id)],
                       headers=headers).json()
    assert [r["status"] for r in bulk["results"]] == ["error", "created"]
    listed = client.get("/api/v1/activities", params={"unit_id": 10**20}, headers=headers)
    assert listed.status_code == 422 and listed.json()["code"] in ("validation_error", "out_of_range")


def test_a_cursor_or_a_feed_time_that_cannot_be_read_answers_4xx_not_500(client, session):
    import base64
    import json

    _, headers, _, _ = _reporter(client, session)
    for values in (["2026-01-01", 5], ["2026-01-01", [1]], {"a": 1}):
        cursor = base64.urlsafe_b64encode(json.dumps(values).encode()).decode()
        response = client.get("/api/v1/activities", params={"cursor": cursor}, headers=headers)
        assert response.status_code == 400 and response.json()["code"] == "invalid_cursor"
    early = client.get("/api/v1/activities", params={"updated_since": "0001-01-01T00:00:00+14:00"}, headers=headers)
    assert early.status_code == 422 and early.json()["errors"] is not None


def test_quantities_of_another_type_are_refused_and_a_new_type_drops_the_old_ones(client, session):
    _, headers, _, current = _reporter(client, session)
    training = {**broadcast(current.id, details={}), "type": "training", "sessions": 1, "participants": 30,
                "copies": 1000}
    errors = _errors(client.post("/api/v1/activities", json=training, headers=headers))
    assert errors == {"airings": "not_for_type", "minutes_per_airing": "not_for_type", "copies": "not_for_type"}
    with_people = broadcast(current.id, participants=5000)
    assert _errors(client.post("/api/v1/activities", json=with_people, headers=headers)) == {
        "participants": "not_for_type"}
    created = client.post("/api/v1/activities", json=broadcast(current.id, cost_local_vnd=50000), headers=headers).json()
    changed = client.patch(f"/api/v1/activities/{created['id']}",
                           json={"type": "training", "sessions": 2, "participants": 25, "version": 1}, headers=headers)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["airings"], body["minutes"], body["sessions"], body["participants"]) == (0, 0, 2, 25)
    assert body["cost_local_vnd"] == 50000  # cost belongs to every type


def test_a_request_to_submit_is_not_the_retry_of_a_stored_draft(client, session):
    _, headers, _, current = _reporter(client, session)
    body = broadcast(current.id, id=str(uuid.uuid4()))
    assert client.post("/api/v1/activities", json=body, headers=headers).status_code == 201
    response = client.post("/api/v1/activities", json={**body, "status": "submitted"}, headers=headers)
    assert response.status_code == 409 and response.json()["current"]["status"] == "draft"
    submitted = broadcast(current.id, id=str(uuid.uuid4()), status="submitted")
    assert client.post("/api/v1/activities", json=submitted, headers=headers).status_code == 201
    # The stored entry moved on (submitted); the original request to save it as a draft is still a retry.
    assert client.post("/api/v1/activities", json={**submitted, "status": "draft"}, headers=headers).status_code == 200


def test_an_agency_is_refused_for_a_day_it_did_not_exist(client, session):
    from datetime import date

    from tests.factories import make_agency

    _, headers, _, current = _reporter(client, session)
    ended = make_agency(session, HAI_PHONG, "Sở Lao động - Thương binh và Xã hội Hải Phòng",
                        valid_to=date(2025, 2, 28))
    errors = _errors(client.post("/api/v1/activities", json=broadcast(current.id, agency_id=ended.id),
                                 headers=headers))
    assert errors == {"agency_id": "agency_not_valid_on_date"}


def test_deleted_drafts_appear_in_the_deletions_feed_of_those_who_could_see_them(client, session):
    from datetime import datetime, timezone

    _, headers, _, current = _reporter(client, session)
    since = datetime.now(timezone.utc).isoformat()
    ids = [client.post("/api/v1/activities", json=broadcast(current.id), headers=headers).json()["id"] for _ in range(3)]
    for activity_id in ids:
        assert client.delete(f"/api/v1/activities/{activity_id}", headers=headers).status_code == 204
    seen, cursor = [], None
    while True:
        params = {"since": since, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/activities/deleted", params=params, headers=headers).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    elsewhere = other_current_commune(session, current.id)
    stranger = token(client, make_user(session, "reporter", elsewhere.id, username="nguoi_khac"))
    assert client.get("/api/v1/activities/deleted", params={"since": since}, headers=stranger).json()["items"] == []
    missing = client.get("/api/v1/activities/deleted", headers=headers)
    assert missing.status_code == 422 and missing.json()["errors"][0]["path"] == "query.since"


def test_pasted_control_characters_are_cleaned_and_the_excel_export_still_opens(client, session):
    import io

    from openpyxl import load_workbook

    _, headers, _, current = _reporter(client, session)
    body = broadcast(current.id, title="Bản tin\x0bgiảm nghèo\x00", notes="Dòng một\x0bdòng hai\x01",
                     topics=["Tín dụng\x07"], details={"channel": "commune_loudspeaker", "programme_title": "A\x1fB"})
    created = client.post("/api/v1/activities", json=body, headers=headers)
    assert created.status_code == 201, created.text
    stored = created.json()
    assert (stored["title"], stored["notes"], stored["topics"]) == ("Bản tin\ngiảm nghèo", "Dòng một\ndòng hai",
                                                                    ["Tín dụng"])
    assert stored["details"]["programme_title"] == "AB"
    export = client.get("/api/v1/reports/activities.xlsx", headers=headers)
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content), read_only=True).worksheets[1]
    assert any("Bản tin\ngiảm nghèo" in (cell or "") for row in sheet.iter_rows(values_only=True) for cell in row
               if isinstance(cell, str))


def test_details_of_another_type_and_dates_before_2000_are_refused(client, session):
    _, headers, _, current = _reporter(client, session)
    training = {"type": "training", "start_date": days_ago(2), "unit_id": current.id, "sessions": 1,
                "details": {"channel": "commune_loudspeaker", "trainer": "Cô Lan"}}
    assert _errors(client.post("/api/v1/activities", json=training, headers=headers)) == {
        "details.channel": "not_for_type"}
    old = broadcast(current.id, start_date="1900-01-01")
    errors = _errors(client.post("/api/v1/activities", json=old, headers=headers))
    assert errors["start_date"] == "too_early"


def test_a_misspelled_field_or_a_yes_no_count_is_refused_but_a_record_read_back_is_accepted(client, session):
    _, headers, _, current = _reporter(client, session)
    errors = _errors(client.post("/api/v1/activities", json=broadcast(current.id, airngs=3, minutes_per_airing=True),
                                 headers=headers))
    assert errors == {"airngs": "unknown_field", "minutes_per_airing": "bool_not_allowed"}
    created = client.post("/api/v1/activities", json=broadcast(current.id), headers=headers).json()
    # An integrator may send back what it read: read-only fields are ignored, not refused.
    changed = client.patch(f"/api/v1/activities/{created['id']}", json={**created, "airings": 3}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["airings"] == 3 and changed.json()["version"] == 2
    assert _errors(client.patch(f"/api/v1/activities/{created['id']}", json={"tittle": "x", "version": 2},
                                 headers=headers)) == {
        "tittle": "unknown_field"}
