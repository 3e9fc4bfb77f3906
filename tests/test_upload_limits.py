"""Evidence upload sizes: an oversized request is refused before it is stored (413, from its
declared length or while it streams), at most 10 files go in one request, and converting huge
pictures keeps a worker's memory bounded."""
import io
import resource
import threading

from PIL import Image

from app.activities import evidence
from app.core.uploads import MAX_FILES, MAX_REQUEST_BYTES
from tests.activities_helpers import broadcast, commune_pair
from tests.factories import login, make_user, token

BOUNDARY = "loa-test-boundary"


def _entry(client, session):
    _, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="ghi_lon")
    headers = token(client, user)
    created = client.post("/api/v1/activities", json=broadcast(current.id), headers=headers).json()
    return user, headers, created["id"]


def _multipart_chunks(total: int, sent: list[int]):
    """A multipart body of about `total` bytes, produced as it is sent (no Content-Length)."""
    yield (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"lon.jpg\"\r\n"
           "Content-Type: image/jpeg\r\n\r\n").encode()
    chunk = b"\xff" * (1024 * 1024)
    for _ in range(total // len(chunk)):
        sent[0] += len(chunk)
        yield chunk
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def test_a_declared_length_above_the_limit_is_refused_before_reading(client, session):
    _, headers, activity_id = _entry(client, session)
    response = client.post(f"/api/v1/activities/{activity_id}/evidence", content=b"x" * 10,
                           headers={**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                                    "Content-Length": str(MAX_REQUEST_BYTES + 1)})
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "too_large" and body["errors"][0]["path"] == "body.file" and "50 MB" in body["message"]


def test_a_streamed_body_is_cut_off_once_it_passes_the_limit(client, session):
    _, headers, activity_id = _entry(client, session)
    sent = [0]
    response = client.post(f"/api/v1/activities/{activity_id}/evidence",
                           content=_multipart_chunks(MAX_REQUEST_BYTES + 2 * 2**20, sent),
                           headers={**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert client.get(f"/api/v1/activities/{activity_id}", headers=headers).json()["evidence"] == []


def test_the_parser_never_spools_more_than_the_limit(client, session, monkeypatch, live_server):
    """A 200 MB body streamed to the server without a length: what reaches the multipart parser
    (and so its temporary files) stops at the limit."""
    import httpx

    from starlette import formparsers

    parsed = [0]
    original = formparsers.MultiPartParser.parse

    async def counting_parse(self):
        stream = self.stream

        async def counted():
            async for chunk in stream:
                parsed[0] += len(chunk)
                yield chunk
        self.stream = counted()
        return await original(self)

    monkeypatch.setattr(formparsers.MultiPartParser, "parse", counting_parse)
    _, headers, activity_id = _entry(client, session)
    try:
        response = httpx.post(f"{live_server}/api/v1/activities/{activity_id}/evidence",
                              content=_multipart_chunks(200 * 2**20, [0]), timeout=120,
                              headers={**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
        assert response.status_code == 413
    except httpx.TransportError:
        pass  # the server answered 413 and closed the connection while the rest was still being sent
    assert 0 < parsed[0] <= MAX_REQUEST_BYTES
    assert client.get(f"/api/v1/activities/{activity_id}", headers=headers).json()["evidence"] == []


def test_the_form_answers_413_with_a_vietnamese_page(client, session):
    user, _, activity_id = _entry(client, session)
    csrf = login(client, user)
    response = client.post(f"/activities/{activity_id}/evidence", content=b"x",
                           headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                                    "Content-Length": str(MAX_REQUEST_BYTES + 1), "X-CSRF-Token": csrf})
    assert response.status_code == 413
    assert "Dữ liệu gửi lên quá lớn" in response.text and "10 MB" in response.text


def _png(color, size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def test_more_than_ten_files_in_one_request_are_refused(client, session):
    _, headers, activity_id = _entry(client, session)
    files = [("file", (f"anh{i}.png", _png((i, 100, 50)), "image/png")) for i in range(MAX_FILES + 1)]
    response = client.post(f"/api/v1/activities/{activity_id}/evidence", files=files, headers=headers)
    assert response.status_code == 413 and response.json()["code"] == "too_many_files"
    assert client.get(f"/api/v1/activities/{activity_id}", headers=headers).json()["evidence"] == []
    ten = client.post(f"/api/v1/activities/{activity_id}/evidence", files=files[:MAX_FILES], headers=headers)
    assert ten.status_code == 201 and len(ten.json()["evidence"]) == MAX_FILES


def _big_png(side: int, seed: int) -> bytes:
    """A side × side picture with an alpha channel that still compresses under 10 MB."""
    image = Image.linear_gradient("L").resize((side, side)).convert("RGBA")
    image.putpixel((seed, seed), (seed, 0, 0, 128))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=9)
    return out.getvalue()


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def test_four_huge_pictures_at_once_stay_within_the_memory_budget():
    """Four 7000 × 7000 PNGs converted at once: the decoded pictures never take more than the
    budget together, and the memory is handed back afterwards."""
    pictures = [_big_png(7000, i) for i in range(4)]
    assert all(len(p) <= evidence.MAX_BYTES for p in pictures)
    peak, stop = [0], threading.Event()

    def watch():
        while not stop.is_set():
            peak[0] = max(peak[0], evidence.DECODING.used)
            stop.wait(0.005)

    before = _rss_mb()
    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=evidence.prepare, args=(p, f"anh{i}.png")) for i, p in enumerate(pictures)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    watcher.join()
    after = _rss_mb()
    assert 0 < peak[0] <= evidence.DECODE_BUDGET
    assert evidence.DECODING.used == 0
    assert after - before < 150, (before, after)
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"RSS before {before:.0f} MB, after {after:.0f} MB, peak of the process {maxrss_mb:.0f} MB")
