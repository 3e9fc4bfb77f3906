"""Sizes: every text and list a client sends has a bound, documented in the OpenAPI document and
refused above it with 422 and the field's path (never a 500, never stored); a null budget is
refused rather than breaking the plan."""
import io

from PIL import Image
from sqlalchemy import func, select

from app.activities.models import Activity, Evidence
from app.plans.models import Plan
from tests.activities_helpers import broadcast, commune_pair
from tests.factories import HAI_DUONG, HAI_PHONG, make_plan, make_user, token
from tests.plans_helpers import plan_body


def _count(session, model=Activity) -> int:
    session.expire_all()
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def _reporter(client, session):
    _, current = commune_pair(session)
    return token(client, make_user(session, "reporter", current.id, username="to_ha")), current


def _paths(response) -> list[str]:
    return sorted(e["path"] for e in response.json()["errors"])


def test_oversized_details_topics_and_audiences_are_refused_with_their_paths(client, session):
    headers, current = _reporter(client, session)
    details = {"channel": "commune_loudspeaker", "programme_title": "x" * 2001}
    response = client.post("/api/v1/activities", json=broadcast(current.id, details=details, topics=["a"] * 21,
                                                               audiences=["Hộ nghèo", "b" * 201]), headers=headers)
    assert response.status_code == 422, response.text
    assert _paths(response) == ["body.audiences.1", "body.details.programme_title", "body.topics"]
    messages = {e["path"]: e["message"] for e in response.json()["errors"]}
    assert "tối đa 2.000 ký tự" in messages["body.details.programme_title"] and "tối đa 20" in messages["body.topics"]
    assert _count(session) == 0


def test_a_ten_megabyte_detail_is_refused_and_not_stored(client, session):
    headers, current = _reporter(client, session)
    details = {"channel": "commune_loudspeaker", "programme_title": "x" * 10_000_000}
    response = client.post("/api/v1/activities", json=broadcast(current.id, details=details), headers=headers)
    assert response.status_code == 422 and _paths(response) == ["body.details.programme_title"]
    assert _count(session) == 0


def test_the_largest_allowed_lists_and_texts_are_stored_whole(client, session):
    headers, current = _reporter(client, session)
    topics = [f"{i:03d}" + "ắ" * 197 for i in range(20)]
    details = {"channel": "commune_loudspeaker", "programme_title": "ệ" * 2000}
    response = client.post("/api/v1/activities", json=broadcast(current.id, details=details, topics=topics),
                           headers=headers)
    assert response.status_code == 201, response.text
    stored = client.get(f"/api/v1/activities/{response.json()['id']}", headers=headers).json()
    assert stored["topics"] == topics and stored["details"]["programme_title"] == "ệ" * 2000


def test_a_patch_above_a_bound_is_refused_and_changes_nothing(client, session):
    headers, current = _reporter(client, session)
    created = client.post("/api/v1/activities", json=broadcast(current.id, topics=["Chính sách"]), headers=headers).json()
    response = client.patch(f"/api/v1/activities/{created['id']}",
                            json={"version": 1, "topics": ["a"] * 21, "audiences": ["x" * 201]}, headers=headers)
    assert response.status_code == 422 and _paths(response) == ["body.audiences.0", "body.topics"]
    assert client.get(f"/api/v1/activities/{created['id']}", headers=headers).json()["topics"] == ["Chính sách"]


def test_a_hundred_thousand_task_ids_answer_422_not_a_server_error(client, session):
    headers, current = _reporter(client, session)
    response = client.post("/api/v1/activities", json=broadcast(current.id, task_ids=list(range(1, 100_001))),
                           headers=headers)
    assert response.status_code == 422, response.text[:300]
    assert _paths(response) == ["body.task_ids"] and "tối đa 50" in response.json()["errors"][0]["message"]
    created = client.post("/api/v1/activities", json=broadcast(current.id), headers=headers).json()
    response = client.patch(f"/api/v1/activities/{created['id']}",
                            json={"version": 1, "task_ids": list(range(1, 100_001))}, headers=headers)
    assert response.status_code == 422 and _paths(response) == ["body.task_ids"]
    rows = [broadcast(current.id, task_ids=list(range(1, 60_001)))]
    bulk = client.post("/api/v1/activities/bulk", json=rows, headers=headers)
    assert bulk.status_code == 200 and bulk.json()["results"][0]["status"] == "error"
    assert _count(session) == 1


def test_oversized_plan_and_task_lists_answer_422(client, session):
    admin = token(client, make_user(session, "admin", None, username="quantri"))
    response = client.post("/api/v1/plans", json=plan_body(legal_bases=[{"number": "1/QĐ"}] * 101), headers=admin)
    assert response.status_code == 422 and _paths(response) == ["body.legal_bases"]
    plan = make_plan(session, HAI_DUONG)
    task = {"title": "Phát thanh", "assignment": {"unit_ids": list(range(1, 100_001))},
            "partner_agency_ids": list(range(1, 70_001)), "activity_types": ["broadcast"] * 51}
    response = client.post(f"/api/v1/plans/{plan.id}/tasks", json=task, headers=admin)
    assert response.status_code == 422, response.text[:300]
    assert _paths(response) == ["body.activity_types", "body.assignment.unit_ids", "body.partner_agency_ids"]
    assert _count(session, Plan) == 1


def test_patching_a_plan_budget_with_null_is_refused_and_keeps_the_amount(client, session):
    admin = token(client, make_user(session, "admin", None, username="quantri"))
    plan = client.post("/api/v1/plans", json=plan_body(budget_local_vnd=150_000_000), headers=admin).json()
    response = client.patch(f"/api/v1/plans/{plan['id']}", json={"budget_local_vnd": None, "version": plan["version"]},
                            headers=admin)
    assert response.status_code == 422, response.text
    assert _paths(response) == ["body.budget_local_vnd"] and "gửi 0" in response.json()["errors"][0]["message"]
    assert client.get(f"/api/v1/plans/{plan['id']}", headers=admin).json()["budget_local_vnd"] == 150_000_000
    cleared = client.patch(f"/api/v1/plans/{plan['id']}", json={"budget_local_vnd": 0, "version": plan["version"]},
                           headers=admin)
    assert cleared.status_code == 200 and cleared.json()["budget_local_vnd"] == 0


def test_a_users_name_and_phone_above_their_bounds_are_refused_on_both_databases(client, session):
    admin = token(client, make_user(session, "admin", None, username="quantri"))
    viewer = make_user(session, "viewer", HAI_PHONG, username="xem.hp")
    response = client.patch(f"/api/v1/users/{viewer.id}", json={"full_name": "A" * 201, "phone": "0" * 33, "version": viewer.version},
                            headers=admin)
    assert response.status_code == 422 and _paths(response) == ["body.full_name", "body.phone"]


def test_an_evidence_file_name_is_cleaned_and_shortened_to_200_characters(client, session):
    headers, current = _reporter(client, session)
    created = client.post("/api/v1/activities", json=broadcast(current.id), headers=headers).json()
    image = io.BytesIO()
    Image.new("RGB", (40, 30), (40, 120, 80)).save(image, "PNG")
    # Written by hand: HTTP clients percent-encode control characters in a file name, phones may not.
    name = "A\u0309nh\x07-" + "ả" * 1000 + ".png"  # decomposed letters and a control character
    head = f'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
    body = (head + "Content-Type: image/png\r\n\r\n").encode() + image.getvalue() + b"\r\n--b0undary--\r\n"
    response = client.post(f"/api/v1/activities/{created['id']}/evidence", content=body,
                           headers={**headers, "Content-Type": "multipart/form-data; boundary=b0undary"})
    assert response.status_code == 201, response.text
    stored = session.execute(select(Evidence.filename)).scalar_one()
    assert stored.startswith("Ảnh-ả") and len(stored) <= 200


def test_the_bounds_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json()
    create = spec["paths"]["/api/v1/activities"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert create["$ref"] == "#/components/schemas/ActivityCreate"
    # One schema per type: a broadcast takes its channel, airings and minutes, no participants.
    variants = spec["components"]["schemas"]["ActivityCreate"]["oneOf"]
    assert {"$ref": "#/components/schemas/BroadcastActivity"} in variants
    props = spec["components"]["schemas"]["BroadcastActivity"]["properties"]
    assert props["airings"]["minimum"] == 1 and "participants" not in props
    channel = spec["components"]["schemas"]["BroadcastDetails"]["properties"]["channel"]
    assert "commune_loudspeaker" in channel["enum"]
    assert props["topics"]["maxItems"] == 20 and props["topics"]["items"]["maxLength"] == 200
    assert props["audiences"]["maxItems"] == 20
    details = spec["components"]["schemas"]["BroadcastDetails"]
    assert details["additionalProperties"] is False and details["properties"]["programme_title"]["maxLength"] == 2000
    assert props["task_ids"]["maxItems"] == 50
    patch = spec["paths"]["/api/v1/activities/{activity_id}"]["patch"]["requestBody"]["content"]["application/json"]
    assert patch["schema"] == {"$ref": "#/components/schemas/ActivityUpdate"}
    update = spec["components"]["schemas"]["ActivityUpdate"]
    assert "version" in update["required"] and update["additionalProperties"] is False
    task = spec["components"]["schemas"]["TaskCreate"]["properties"]
    assert task["partner_agency_ids"]["maxItems"] == 100
    assert spec["components"]["schemas"]["UserUpdate"]["properties"]["phone"]["anyOf"][0]["maxLength"] == 32


def test_the_activity_form_keeps_what_was_typed_and_says_the_bound_in_vietnamese(client, session):
    from tests.factories import login

    _, current = commune_pair(session)
    csrf = login(client, make_user(session, "reporter", current.id, username="to_ha"))
    topics = ", ".join(f"chủ đề {i}" for i in range(21))
    form = {"csrf_token": csrf, "type": "broadcast", "title": "Phát thanh buổi sáng", "start_date":
            broadcast(current.id)["start_date"], "unit_id": str(current.id), "airings": "1", "minutes_per_airing": "10",
            "details.channel": "commune_loudspeaker", "details.programme_title": "ệ" * 2001, "topics": topics}
    response = client.post("/activities", data=form, follow_redirects=False)
    assert response.status_code == 422
    assert "Quá nhiều mục: tối đa 20." in response.text and "tối đa 2.000 ký tự" in response.text
    assert "chủ đề 20" in response.text and "Phát thanh buổi sáng" in response.text
    assert _count(session) == 0
