"""Evidence: photos resized and stripped of metadata, PDF scans, limits, scoped file URLs."""
import io

from PIL import Image
from sqlalchemy import func, select

from app.activities.models import Activity, Evidence
from tests.activities_helpers import broadcast, commune_pair, other_current_commune
from tests.factories import make_user, pdf_scan, token


def _jpeg_with_gps(width=3000, height=2000) -> bytes:
    image = Image.new("RGB", (width, height), (40, 120, 80))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif.get_ifd(0x8769)[36867] = "2026:03:02 08:15:00"  # DateTimeOriginal, local time
    exif.get_ifd(0x8825)[2] = (21.0, 1.0, 30.0)  # GPS latitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def _activity(client, session):
    _, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="to_ha")
    headers = token(client, user)
    created = client.post("/api/v1/activities", json=broadcast(current.id), headers=headers).json()
    return headers, created["id"], current


def _upload(client, headers, activity_id, name, content, content_type="image/jpeg"):
    return client.post(f"/api/v1/activities/{activity_id}/evidence", files={"file": (name, content, content_type)},
                       headers=headers)


def test_a_photo_is_resized_to_1600_px_keeping_only_the_capture_date(client, session):
    headers, activity_id, _ = _activity(client, session)
    response = _upload(client, headers, activity_id, "IMG_0001.jpg", _jpeg_with_gps())
    assert response.status_code == 201, response.text
    item = response.json()["evidence"][0]
    assert (item["width"], item["height"]) == (1600, 1067)
    assert item["captured_at"].startswith("2026-03-02T01:15:00")  # 08:15 in Vietnam
    stored = client.get(item["url"], headers=headers)
    assert stored.status_code == 200 and stored.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(stored.content))
    assert max(image.size) == 1600
    exif = image.getexif()
    assert not exif.get_ifd(0x8825) and 0x010F not in exif
    thumb = client.get(item["thumb_url"], headers=headers)
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320


def test_the_same_photo_sent_twice_is_stored_once(client, session):
    headers, activity_id, _ = _activity(client, session)
    content = _jpeg_with_gps(800, 600)
    assert _upload(client, headers, activity_id, "a.jpg", content).status_code == 201
    assert _upload(client, headers, activity_id, "a.jpg", content).status_code == 200
    session.expire_all()
    assert session.execute(select(func.count()).select_from(Evidence)).scalar_one() == 1


def test_a_pdf_scan_is_kept_as_sent(client, session):
    headers, activity_id, _ = _activity(client, session)
    pdf = pdf_scan(2)
    response = _upload(client, headers, activity_id, "danh-sach.pdf", pdf, "application/pdf")
    assert response.status_code == 201
    item = response.json()["evidence"][0]
    assert item["kind"] == "pdf" and client.get(item["url"], headers=headers).content == pdf


def test_files_over_10_mb_and_other_types_are_refused_in_vietnamese(client, session):
    headers, activity_id, _ = _activity(client, session)
    big = _upload(client, headers, activity_id, "lon.jpg", b"\xff\xd8" + b"0" * (10 * 1024 * 1024))
    assert big.status_code == 422
    assert big.json()["errors"][0]["code"] == "too_large" and "10 MB" in big.json()["errors"][0]["message"]
    text = _upload(client, headers, activity_id, "ghi-chu.txt", b"khong phai anh", "text/plain")
    assert text.status_code == 422 and text.json()["errors"][0]["code"] == "unsupported_type"
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    assert _upload(client, headers, activity_id, "a.gif", gif.getvalue(), "image/gif").status_code == 422
    session.expire_all()
    assert session.execute(select(func.count()).select_from(Evidence)).scalar_one() == 0


def test_evidence_files_are_not_served_outside_the_scope(client, session):
    headers, activity_id, current = _activity(client, session)
    item = _upload(client, headers, activity_id, "a.jpg", _jpeg_with_gps(400, 300)).json()["evidence"][0]
    outsider = make_user(session, "reporter", other_current_commune(session, current.id).id, username="xa_khac")
    assert client.get(item["url"], headers=token(client, outsider)).status_code == 404
    assert client.get(item["url"], follow_redirects=False).status_code == 303  # no login: to the login page


def test_a_heic_photo_from_an_iphone_is_converted_to_jpeg(client, session):
    import pillow_heif

    pillow_heif.register_heif_opener()
    heic = io.BytesIO()
    Image.new("RGB", (2400, 1800), (200, 30, 30)).save(heic, "HEIF")
    headers, activity_id, _ = _activity(client, session)
    response = _upload(client, headers, activity_id, "IMG_4032.HEIC", heic.getvalue(), "image/heic")
    assert response.status_code == 201, response.text
    item = response.json()["evidence"][0]
    assert (item["content_type"], item["filename"], item["width"]) == ("image/jpeg", "IMG_4032.jpg", 1600)


def test_photos_sent_with_the_logging_form_are_attached(client, session):
    import re

    from tests.factories import login

    _, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="to_ha")
    csrf = login(client, user)
    page = client.get("/activities/new?type=broadcast").text
    data = {"csrf_token": csrf, "id": re.search(r'name="id" value="([^"]+)"', page).group(1), "type": "broadcast",
            "start_date": broadcast(current.id)["start_date"], "unit_id": str(current.id),
            "details.channel": "commune_loudspeaker", "airings": "1", "minutes_per_airing": "10", "status": "submitted"}
    files = [("evidence", ("loa.jpg", _jpeg_with_gps(900, 600), "image/jpeg")),
             ("evidence", ("bien-ban.pdf", pdf_scan(), "application/pdf"))]
    response = client.post("/activities", data=data, files=files, headers={"Accept": "application/json"})
    assert response.status_code == 201, response.text
    assert sorted(e["kind"] for e in response.json()["evidence"]) == ["pdf", "photo"]
    refused = client.post("/activities", data={**data, "id": "6f1f6f6e-0000-4000-8000-000000000001"},
                          files=[("evidence", ("x.txt", b"hello", "text/plain"))])
    assert refused.status_code == 422 and "Chỉ nhận ảnh JPEG, PNG, WebP, HEIC hoặc tệp PDF." in refused.text
    assert 'value="6f1f6f6e-0000-4000-8000-000000000001"' in refused.text
    session.expire_all()
    assert session.execute(select(func.count()).select_from(Activity)).scalar_one() == 1


def test_the_stored_photo_keeps_its_capture_time_in_its_own_metadata(client, session):
    headers, activity_id, _ = _activity(client, session)
    item = _upload(client, headers, activity_id, "IMG_0002.jpg", _jpeg_with_gps(1200, 900)).json()["evidence"][0]
    exif = Image.open(io.BytesIO(client.get(item["url"], headers=headers).content)).getexif()
    assert exif.get_ifd(0x8769).get(36867) == "2026:03:02 08:15:00"
    assert not exif.get_ifd(0x8825) and 0x010F not in exif


def test_an_image_of_too_many_pixels_is_refused_before_it_is_decoded(client, session):
    headers, activity_id, _ = _activity(client, session)
    messages = {}
    for side in (8000, 20000):  # a few dozen KB on the wire; 64 and 400 megapixels once decoded
        bomb = io.BytesIO()
        Image.new("1", (side, side)).save(bomb, "PNG")
        response = _upload(client, headers, activity_id, "bom.png", bomb.getvalue(), "image/png")
        assert response.status_code == 422
        assert response.json()["errors"][0]["code"] == "too_many_pixels"
        messages[side] = response.json()["errors"][0]["message"]
    assert "độ phân giải quá lớn (trên 50 megapixel)" in messages[8000]
    assert "độ phân giải quá lớn" in messages[20000]


def test_a_damaged_photo_on_the_logging_form_saves_nothing(client, session):
    import re

    from tests.factories import login

    _, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="to_ha")
    csrf = login(client, user)
    page = client.get("/activities/new?type=broadcast").text
    entry_id = re.search(r'name="id" value="([^"]+)"', page).group(1)
    data = {"csrf_token": csrf, "id": entry_id, "type": "broadcast",
            "start_date": broadcast(current.id)["start_date"], "unit_id": str(current.id),
            "details.channel": "commune_loudspeaker", "airings": "1", "minutes_per_airing": "10", "status": "submitted"}
    damaged = _jpeg_with_gps(900, 600)[:4000]  # the header reads as a JPEG; the picture is cut short
    response = client.post("/activities", data=data, files=[("evidence", ("loa.jpg", damaged, "image/jpeg"))])
    assert response.status_code == 422 and "Tệp không phải ảnh hoặc PDF hợp lệ" in response.text
    assert f'value="{entry_id}"' in response.text
    session.expire_all()
    assert session.execute(select(func.count()).select_from(Activity)).scalar_one() == 0


def test_a_photo_taken_sideways_is_stored_upright(client, session):
    headers, activity_id, _ = _activity(client, session)
    image = Image.new("RGB", (1200, 800), (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, 600, 800))  # left half blue: once upright, the top half is blue
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the phone was held sideways (rotate 90° clockwise to view)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    item = _upload(client, headers, activity_id, "doc.jpg", out.getvalue()).json()["evidence"][0]
    stored = Image.open(io.BytesIO(client.get(item["url"], headers=headers).content)).convert("RGB")
    assert stored.size == (800, 1200) and (item["width"], item["height"]) == (800, 1200)
    top, bottom = stored.getpixel((400, 200)), stored.getpixel((400, 1000))
    assert top[2] > 150 > top[0] and bottom[0] > 150 > bottom[2]
