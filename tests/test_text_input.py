"""Poisoned records: every text entering Loa is normalised at the edge (NFC, line breaks unified,
NUL and other control characters removed) and an unpaired surrogate is refused with 422 and the
field's path, so both databases store the same readable text and nothing breaks the lists,
exports, change feed or audit."""
import json
import uuid

from sqlalchemy import func, select

from app.accounts.models import User
from app.activities.models import Activity
from app.agencies.models import Agency
from app.plans.models import Plan, Task
from tests.activities_helpers import broadcast, commune_pair
from tests.factories import HAI_DUONG, HAI_PHONG, login, make_user, token
from tests.plans_helpers import plan_body

JSON = {"Content-Type": "application/json"}


def _raw(body: dict, marker: str, escape: str) -> bytes:
    """`body` as JSON with `marker` written as a raw JSON escape such as \\udfff, which json.dumps
    could not produce from a Python string holding a lone surrogate without this detour."""
    return json.dumps(body, ensure_ascii=False).replace(marker, escape).encode("utf-8")


def _count(session, model=Activity) -> int:
    session.expire_all()
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def _reporter(client, session):
    _, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="to_ha")
    return {**token(client, user), **JSON}, current


def _everything_still_answers(client, headers, audit: bool = False):
    urls = ["/api/v1/activities", "/api/v1/activities?updated_since=2000-01-01T00:00:00Z",
            "/api/v1/reports/activities.csv", "/api/v1/reports/activities.xlsx"]
    for url in urls + (["/api/v1/audit"] if audit else []):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])


def _admin(client, session):
    return {**token(client, make_user(session, "admin", None, username="quantri")), **JSON}


# --- unpaired surrogates -------------------------------------------------------------------------

def test_a_lone_surrogate_in_a_topic_is_refused_with_its_path_and_nothing_is_stored(client, session):
    headers, current = _reporter(client, session)
    body = _raw(broadcast(current.id, topics=["Chính sách", "xMARK"]), "MARK", "\\udfff")
    response = client.post("/api/v1/activities", content=body, headers=headers)
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert (error["path"], error["code"]) == ("body.topics.1", "invalid_character")
    assert "ký tự không hợp lệ" in error["message"]
    assert _count(session) == 0
    _everything_still_answers(client, headers)
    _everything_still_answers(client, _admin(client, session), audit=True)


def test_a_lone_surrogate_in_a_detail_value_is_refused_and_nothing_is_stored(client, session):
    headers, current = _reporter(client, session)
    details = {"channel": "commune_loudspeaker", "programme_title": "Bản tinMARK"}
    response = client.post("/api/v1/activities", content=_raw(broadcast(current.id, details=details), "MARK", "\\udfff"),
                           headers=headers)
    assert response.status_code == 422, response.text
    assert [e["path"] for e in response.json()["errors"]] == ["body.details.programme_title"]
    assert _count(session) == 0
    _everything_still_answers(client, headers)


def test_a_surrogate_sent_as_raw_utf8_bytes_or_in_a_key_is_refused_too(client, session):
    headers, current = _reporter(client, session)
    raw_bytes = json.dumps(broadcast(current.id, title="Phát thanh MARK")).encode().replace(b"MARK", b"\xed\xbf\xbf")
    assert client.post("/api/v1/activities", content=raw_bytes, headers=headers).status_code == 422
    in_key = _raw(broadcast(current.id, details={"channel": "commune_loudspeaker", "MARK": "x"}), "MARK", "\\ud800")
    response = client.post("/api/v1/activities", content=in_key, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"] == "body.details.\\ud800"
    assert _count(session) == 0


def test_a_patch_with_a_lone_surrogate_is_refused_and_the_entry_stays_readable_and_deletable(client, session):
    headers, current = _reporter(client, session)
    created = client.post("/api/v1/activities", json=broadcast(current.id, topics=["Chính sách"]), headers=headers).json()
    patch = _raw({"version": created["version"], "topics": ["aMARK"], "details": {"channel": "commune_loudspeaker",
                                                                                 "programme_title": "MARK"}},
                 "MARK", "\\udc00")
    response = client.patch(f"/api/v1/activities/{created['id']}", content=patch, headers=headers)
    assert response.status_code == 422, response.text
    assert sorted(e["path"] for e in response.json()["errors"]) == ["body.details.programme_title", "body.topics.0"]
    again = client.get(f"/api/v1/activities/{created['id']}", headers=headers)
    assert again.status_code == 200 and again.json()["topics"] == ["Chính sách"] and again.json()["version"] == 1
    _everything_still_answers(client, headers)
    assert client.delete(f"/api/v1/activities/{created['id']}", headers=headers).status_code == 204


def test_a_bulk_import_with_a_lone_surrogate_in_one_row_stores_no_row(client, session):
    headers, current = _reporter(client, session)
    rows = [broadcast(current.id, title="Hàng một"), broadcast(current.id, title="Hàng haiMARK")]
    response = client.post("/api/v1/activities/bulk", content=_raw(rows, "MARK", "\\udfff"), headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"] == "body.1.title"
    assert _count(session) == 0


def test_a_lone_surrogate_in_a_users_name_or_phone_is_refused_not_a_server_error(client, session):
    headers = _admin(client, session)
    body = {"username": "can_bo_moi", "full_name": "Nguyễn Văn AMARK", "phone": "0912MARK", "role": "viewer",
            "unit_id": HAI_PHONG, "password": "mat-khau-dai-du"}
    response = client.post("/api/v1/users", content=_raw(body, "MARK", "\\udfff"), headers=headers)
    assert response.status_code == 422, response.text
    assert sorted(e["path"] for e in response.json()["errors"]) == ["body.full_name", "body.phone"]
    assert session.execute(select(User).where(User.username == "can_bo_moi")).first() is None
    viewer = make_user(session, "viewer", HAI_PHONG, username="xem.hp")
    response = client.patch(f"/api/v1/users/{viewer.id}", content=_raw({"phone": "09MARK"}, "MARK", "\\udfff"),
                            headers=headers)
    assert response.status_code == 422 and response.json()["errors"][0]["path"] == "body.phone"
    assert client.get("/api/v1/users", headers=headers).status_code == 200


def test_a_lone_surrogate_in_a_review_comment_is_refused_and_the_entry_stays_submitted(client, session):
    headers, current = _reporter(client, session)
    created = client.post("/api/v1/activities", json=broadcast(current.id, status="submitted"), headers=headers).json()
    reviewer = {**token(client, make_user(session, "reviewer", HAI_PHONG, username="thamdinh.hp")), **JSON}
    response = client.post(f"/api/v1/activities/{created['id']}/return",
                           content=_raw({"comment": "Sửa lạiMARK"}, "MARK", "\\udfff"), headers=reviewer)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"] == "body.comment"
    assert client.get(f"/api/v1/activities/{created['id']}", headers=reviewer).json()["status"] == "submitted"
    _everything_still_answers(client, reviewer, audit=True)


def test_a_password_is_compared_as_typed(client, session):
    """Passwords are exempt from NFC and control removal (a password set before keeps working) but
    a lone surrogate in one is still refused rather than a server error."""
    decomposed = "Ma\u0323\u0302t-khau-1"  # typed with combining marks, as some keyboards do
    user = make_user(session, "viewer", HAI_PHONG, username="xem.hp", password=decomposed)
    assert client.post("/api/v1/auth/token", data={"username": "xem.hp", "password": decomposed}).status_code == 200
    response = client.post(f"/api/v1/users/{user.id}/password", headers=_admin(client, session),
                           content=_raw({"password": "mat-khau-MARK"}, "MARK", "\\udfff"))
    assert response.status_code == 422 and response.json()["errors"][0]["path"] == "body.password"


# --- NUL, control characters and NFC -------------------------------------------------------------

def test_nul_and_control_characters_are_removed_from_an_activity_and_text_is_stored_in_nfc(client, session):
    headers, current = _reporter(client, session)
    title = "Pha\u0301t\x00 thanh\x1b giảm nghèo\u2028lần 2"
    details = {"channel": "commune_loudspeaker", "programme_title": "Ba\u0309n tin\x07 sáng"}
    response = client.post("/api/v1/activities", json=broadcast(current.id, title=title, details=details,
                                                               topics=["Chi\u0301nh sa\u0301ch\x00"],
                                                               notes="Dòng 1\r\nDòng 2\x0bDòng 3\x85"),
                           headers=headers)
    assert response.status_code == 201, response.text
    stored = client.get(f"/api/v1/activities/{response.json()['id']}", headers=headers).json()
    assert stored["title"] == "Phát thanh giảm nghèo\nlần 2"
    assert stored["details"]["programme_title"] == "Bản tin sáng"
    assert stored["topics"] == ["Chính sách"]
    assert stored["notes"] == "Dòng 1\nDòng 2\nDòng 3"


def test_nul_in_plan_task_agency_and_user_fields_is_removed_the_same_on_both_databases(client, session):
    headers = _admin(client, session)
    response = client.post("/api/v1/plans", json=plan_body(number="12\x00/KH-UBND", title="Kế hoạch\x00 truyền thông",
                                                          programme="Giảm nghèo\x00"), headers=headers)
    assert response.status_code == 201, response.text
    plan = response.json()
    assert (plan["number"], plan["title"], plan["programme"]) == ("12/KH-UBND", "Kế hoạch truyền thông", "Giảm nghèo")
    task = client.post(f"/api/v1/plans/{plan['id']}/tasks",
                       json={"title": "Phát\x00 thanh", "description": "Mô\x00 tả"}, headers=headers)
    assert task.status_code == 201, task.text
    assert (task.json()["title"], task.json()["description"]) == ("Phát thanh", "Mô tả")
    agency = client.post("/api/v1/agencies", json={"name": "Sở Nội\x00 vụ", "short_name": "SNV\x00",
                                                   "unit_id": HAI_DUONG, "kind": "department"}, headers=headers)
    assert agency.status_code == 201, agency.text
    assert (agency.json()["name"], agency.json()["short_name"]) == ("Sở Nội vụ", "SNV")
    user = client.post("/api/v1/users", json={"username": "can_bo_moi", "full_name": "Lê\x00 Thị B",
                                              "phone": "0912\x00345678", "role": "viewer", "unit_id": HAI_PHONG,
                                              "password": "mat-khau-dai-du"}, headers=headers)
    assert user.status_code == 201, user.text
    assert (user.json()["full_name"], user.json()["phone"]) == ("Lê Thị B", "0912345678")
    session.expire_all()
    assert session.get(Plan, plan["id"]).title == "Kế hoạch truyền thông"
    assert session.get(Task, task.json()["id"]).title == "Phát thanh"
    assert session.get(Agency, agency.json()["id"]).name == "Sở Nội vụ"


def test_nul_in_a_query_string_answers_like_any_other_search(client, session):
    headers = _admin(client, session)
    for url in ("/api/v1/units?q=%00H%E1%BA%A3i%00", "/api/v1/agencies?q=s%00o", "/api/v1/users?q=qu%00an",
                "/api/v1/audit?entity=plan%00"):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.text)
    found = client.get("/api/v1/units?q=%00Ha\u0309i%20Ph%C3%B2ng&level=province", headers=headers).json()["items"]
    assert [u["id"] for u in found] == [HAI_PHONG]


def test_a_form_with_nul_and_decomposed_letters_saves_clean_text(client, session):
    _, current = commune_pair(session)
    reporter = make_user(session, "reporter", current.id, username="to_ha")
    csrf = login(client, reporter)
    form = {"csrf_token": csrf, "type": "broadcast", "title": "Pha\u0301t\x00 thanh buổi sáng", "start_date":
            broadcast(current.id)["start_date"], "unit_id": str(current.id), "airings": "1", "minutes_per_airing": "10",
            "details.channel": "commune_loudspeaker", "status": "draft", "id": str(uuid.uuid4())}
    response = client.post("/activities", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    session.expire_all()
    assert session.execute(select(Activity.title)).scalar_one() == "Phát thanh buổi sáng"


# --- entries poisoned before the rule --------------------------------------------------------------

def test_an_entry_stored_with_a_surrogate_before_the_rule_is_repaired_by_the_migration(client, session):
    import importlib.util
    from pathlib import Path

    from app.audit.models import AuditEntry
    from app.core.db import get_engine
    from tests.factories import make_activity

    path = Path(__file__).parent.parent / "migrations" / "versions" / "20261129_0003_clean_stored_text.py"
    spec = importlib.util.spec_from_file_location("clean_stored_text", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    _, current = commune_pair(session)
    reporter = make_user(session, "reporter", current.id, username="to_ha")
    poisoned = make_activity(session, current.id, user=reporter, topics=["Chính sách", "x\udfff"], audiences=["Hộ nghèo"],
                             details={"channel": "commune_loudspeaker", "programme_title": "\ud800 tin"})
    session.add(AuditEntry(user_id=reporter.id, entity="activity", entity_id=str(poisoned.id), action="create",
                           unit_id=current.id, changes={"topics": [None, ["x\udfff"]]}))
    session.commit()
    with get_engine().begin() as conn:
        assert migration.repair(conn) == 2
        assert migration.repair(conn) == 0
    headers = token(client, reporter)
    stored = client.get(f"/api/v1/activities/{poisoned.id}", headers=headers)
    assert stored.status_code == 200
    assert stored.json()["topics"] == ["Chính sách", "x\ufffd"] and stored.json()["audiences"] == ["Hộ nghèo"]
    assert stored.json()["details"]["programme_title"] == "\ufffd tin"
    _everything_still_answers(client, headers)
    _everything_still_answers(client, _admin(client, session), audit=True)
    assert client.delete(f"/api/v1/activities/{poisoned.id}", headers=headers).status_code == 204


def test_a_multipart_form_gets_the_same_rule_as_any_other(client, session):
    """Forms sent as multipart (with a file, or by a script) reach the same clean text: the admin's
    user form reads its fields as parameters, the activity form with a photo reads the form itself."""
    import io

    from PIL import Image

    admin = make_user(session, "admin", None, username="quantri")
    csrf = login(client, admin)
    fields = {"csrf_token": csrf, "username": "can_bo_moi", "full_name": "Le\u0302\x00 Thi\u0323 B",
              "phone": "0912\x07345678", "role": "viewer", "unit_id": str(HAI_PHONG), "password": "Ma\u0323t-khau-1\x00"}
    response = client.post("/admin/users", data=fields, files={"note": ("ghi-chu.txt", b"x")}, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    session.expire_all()
    created = session.execute(select(User).where(User.username == "can_bo_moi")).scalar_one()
    assert (created.full_name, created.phone) == ("Lê Thị B", "0912345678")
    # The password is kept as typed, combining mark and all.
    assert client.post("/api/v1/auth/token", data={"username": "can_bo_moi",
                                                   "password": "Ma\u0323t-khau-1\x00"}).status_code == 200

    _, current = commune_pair(session)
    reporter = make_user(session, "reporter", current.id, username="to_ha")
    csrf = login(client, reporter)
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), (40, 120, 80)).save(photo, "PNG")
    form = {"csrf_token": csrf, "type": "broadcast", "title": "Pha\u0301t\x00 thanh có ảnh", "start_date":
            broadcast(current.id)["start_date"], "unit_id": str(current.id), "airings": "1", "minutes_per_airing": "10",
            "details.channel": "commune_loudspeaker", "status": "draft", "id": str(uuid.uuid4())}
    response = client.post("/activities", data=form, files={"evidence": ("a\u0309nh.png", photo.getvalue(), "image/png")},
                           follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    session.expire_all()
    activity = session.execute(select(Activity).where(Activity.title == "Phát thanh có ảnh")).scalar_one()
    from app.activities.models import Evidence

    evidence = session.execute(select(Evidence).where(Evidence.activity_id == activity.id)).scalar_one()
    assert evidence.filename == "ảnh.jpg" and evidence.size_bytes > 0


def test_a_multipart_body_cut_anywhere_reads_the_same_with_only_its_text_normalised():
    import asyncio

    from starlette.datastructures import Headers
    from starlette.formparsers import MultiPartParser

    from app.core.edge import _MultipartText

    photo = b"\x89PNG\r\n--b0und\r\n\r\n\x00\xff" * 40  # looks almost like a boundary, holds NUL
    body = (b"preamble\r\n--b0undary\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n"
            + "Pha\u0301t\x00 thanh".encode() + b"\r\n--b0undary\r\nContent-Disposition: form-data; name=\"password\""
            b"\r\n\r\nMa\xcc\xa3t\x00\r\n--b0undary\r\nContent-Disposition: form-data; name=\"evidence\"; "
            b"filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n" + photo + b"\r\n--b0undary--\r\nepilogue")

    async def rewritten(size: int) -> bytes:
        chunks = [body[i:i + size] for i in range(0, len(body), size)]
        messages = iter([{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
                         for i, c in enumerate(chunks)])

        async def receive():
            return next(messages)
        edge, out = _MultipartText(b"b0undary", receive), b""
        while True:
            message = await edge.receive()
            out += message["body"]
            if not message["more_body"]:
                return out

    async def parsed(data: bytes):
        async def stream():
            yield data
        headers = Headers({"content-type": "multipart/form-data; boundary=b0undary"})
        return await MultiPartParser(headers, stream()).parse()

    for size in (1, 2, 7, 13, 64, len(body)):
        form = asyncio.run(parsed(asyncio.run(rewritten(size))))
        assert form["title"] == "Phát thanh" and form["password"] == "Ma\u0323t\x00", size
        assert asyncio.run(form["evidence"].read()) == photo and form["evidence"].filename == "a.png", size


def test_a_page_sent_a_lone_surrogate_answers_a_vietnamese_422_page(client, session):
    response = client.post("/activities", content=b'{"title": "x\\udfff"}', headers=JSON)
    assert response.status_code == 422 and "text/html" in response.headers["content-type"]
    assert "Có ký tự không hợp lệ" in response.text
