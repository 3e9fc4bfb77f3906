"""Evidence storage: the local folder, and an S3-compatible object store reached over HTTP (moto's
standalone server on loopback), with uploads, downloads (streamed or by signed URL), deletes and
the offline queue's form posts all going through it."""
import io
import os
import re
import socket
import subprocess
import sys
import time
import uuid

import httpx
import pytest
from PIL import Image

from app.core.config import get_settings
from app.core.storage import LocalStorage, S3Storage, get_storage
from tests.activities_helpers import broadcast, commune_pair, other_current_commune
from tests.factories import login, make_user, pdf_scan, token

BUCKET = "loa-evidence-test"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server in its own process on a loopback port (the S3 protocol over real HTTP)."""
    try:
        import moto.server  # noqa: F401
    except ImportError:
        message = "S3 storage tests skipped: moto[server] is not installed (pip install 'moto[server]')"
        if os.environ.get("CI"):
            pytest.fail(message.replace("skipped", "cannot run on CI"))
        pytest.skip(message)
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            httpx.get(endpoint, timeout=1)
            break
        except httpx.HTTPError:
            if time.time() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("moto's S3 server did not start")
            time.sleep(0.2)
    import boto3

    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **KEYS).create_bucket(Bucket=BUCKET)
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def s3_settings(s3_endpoint, monkeypatch):
    """Loa configured with LOA_STORAGE=s3 for one test."""
    settings = get_settings()
    for name, value in {"storage": "s3", "s3_bucket": BUCKET, "s3_endpoint_url": s3_endpoint,
                        "s3_access_key_id": "testing", "s3_secret_access_key": "testing",
                        "s3_prefix": f"run-{uuid.uuid4().hex[:8]}"}.items():
        monkeypatch.setattr(settings, name, value)
    get_storage.cache_clear()
    yield settings
    get_storage.cache_clear()


def _bucket_keys(endpoint: str, prefix: str) -> set[str]:
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **KEYS)
    return {item["Key"][len(prefix) + 1:] for item in
            client.list_objects_v2(Bucket=BUCKET, Prefix=prefix + "/").get("Contents", [])}


def _jpeg(width=800, height=600) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 90, 30)).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_a_store_saves_reads_lists_and_deletes(kind, tmp_path, request):
    if kind == "local":
        store = LocalStorage(tmp_path / "media")
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        store = S3Storage(BUCKET, endpoint_url=endpoint, access_key_id="testing", secret_access_key="testing",
                          prefix=f"unit-{uuid.uuid4().hex[:8]}")
    store.save("evidence/a/1.jpg", b"first", "image/jpeg")
    store.save("plans/7/doc.pdf", b"%PDF-second", "application/pdf")
    assert store.read("evidence/a/1.jpg") == b"first"
    assert store.exists("plans/7/doc.pdf") and not store.exists("plans/7/other.pdf")
    assert sorted(store.keys()) == ["evidence/a/1.jpg", "plans/7/doc.pdf"]
    store.check_writable()
    assert sorted(store.keys()) == ["evidence/a/1.jpg", "plans/7/doc.pdf"]
    store.delete("evidence/a/1.jpg")
    assert not store.exists("evidence/a/1.jpg")
    with pytest.raises(KeyError):
        store.read("evidence/a/1.jpg")
    with pytest.raises(ValueError):
        store.save("../outside.txt", b"no", "text/plain")


def test_evidence_sent_to_the_api_is_kept_in_the_bucket_and_streamed_back(client, session, s3_settings):
    _, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="anh_s3")
    headers = token(client, user)
    activity = client.post("/api/v1/activities", json=broadcast(current.id), headers=headers).json()
    response = client.post(f"/api/v1/activities/{activity['id']}/evidence", headers=headers,
                           files={"file": ("loa.jpg", _jpeg(), "image/jpeg")})
    assert response.status_code == 201, response.text
    item = response.json()["evidence"][0]

    stored = _bucket_keys(s3_settings.s3_endpoint_url, s3_settings.s3_prefix)
    assert stored == {f"evidence/{activity['id']}/{item['id']}.jpg", f"evidence/{activity['id']}/{item['id']}_thumb.jpg"}
    assert not (get_settings().media_dir / "evidence" / activity["id"]).exists()

    photo = client.get(item["url"], headers=headers)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(photo.content)).size == (800, 600)
    thumb = client.get(item["thumb_url"], headers=headers)
    assert Image.open(io.BytesIO(thumb.content)).size == (320, 240)


def test_with_signed_urls_a_download_redirects_to_a_short_lived_url(client, session, s3_settings, monkeypatch):
    scan = pdf_scan()
    monkeypatch.setattr(s3_settings, "s3_signed_urls", True)
    monkeypatch.setattr(s3_settings, "s3_url_seconds", 60)
    get_storage.cache_clear()
    _, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="ky_url")
    headers = token(client, user)
    activity = client.post("/api/v1/activities", json=broadcast(current.id), headers=headers).json()
    item = client.post(f"/api/v1/activities/{activity['id']}/evidence", headers=headers,
                       files={"file": ("bien-ban.pdf", scan, "application/pdf")}
                       ).json()["evidence"][0]

    response = client.get(item["url"], headers=headers, follow_redirects=False)
    assert response.status_code == 307
    location = response.headers["location"]
    assert location.startswith(s3_settings.s3_endpoint_url) and "X-Amz-Expires=60" in location
    fetched = httpx.get(location)
    assert fetched.status_code == 200 and fetched.content == scan
    assert fetched.headers["content-type"] == "application/pdf"
    assert "bien-ban.pdf" in fetched.headers["content-disposition"]
    outsider = make_user(session, "reporter", other_current_commune(session, current.id).id, username="nguoi_ngoai")
    assert client.get(item["url"], headers=token(client, outsider), follow_redirects=False).status_code == 404


def test_the_offline_queue_form_post_stores_photos_in_the_bucket_and_deleting_the_draft_removes_them(
        client, session, s3_settings):
    _, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="ngoai_tuyen")
    csrf = login(client, user)
    page = client.get("/activities/new?type=broadcast").text
    data = {"csrf_token": csrf, "id": re.search(r'name="id" value="([^"]+)"', page).group(1), "type": "broadcast",
            "start_date": broadcast(current.id)["start_date"], "unit_id": str(current.id),
            "details.channel": "commune_loudspeaker", "airings": "1", "minutes_per_airing": "10", "status": "draft"}
    response = client.post("/activities", data=data, files=[("evidence", ("anh.jpg", _jpeg(), "image/jpeg"))],
                           headers={"Accept": "application/json", "X-CSRF-Token": csrf})
    assert response.status_code == 201, response.text
    activity_id = response.json()["id"]
    assert len(_bucket_keys(s3_settings.s3_endpoint_url, s3_settings.s3_prefix)) == 2

    deleted = client.post(f"/activities/{activity_id}/delete", data={"csrf_token": csrf}, follow_redirects=False)
    assert deleted.status_code == 303
    assert _bucket_keys(s3_settings.s3_endpoint_url, s3_settings.s3_prefix) == set()


def test_a_plan_document_is_kept_in_the_bucket_and_downloaded(client, session, s3_settings):
    from app.plans import services as plan_services
    from tests.factories import make_plan

    _, current = commune_pair(session)
    reviewer = make_user(session, "reviewer", current.parent_id, username="ke_hoach_s3")
    plan = make_plan(session, current.parent_id)
    plan_services.attach_document(session, plan, "Kế hoạch 12.docx", b"PK\x03\x04 noi dung", user=reviewer)
    session.commit()  # the test is the unit of work
    assert plan.document_path.startswith(f"plans/{plan.id}/")
    assert plan.document_path in _bucket_keys(s3_settings.s3_endpoint_url, s3_settings.s3_prefix)
    login(client, reviewer)
    response = client.get(f"/plans/{plan.id}/document")
    assert response.status_code == 200 and response.content == b"PK\x03\x04 noi dung"
    assert "attachment" in response.headers["content-disposition"]
