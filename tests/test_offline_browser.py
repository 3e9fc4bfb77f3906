"""A commune officer logs broadcasts on a phone where the signal comes and goes: entries wait on the
phone, reach the server exactly once when the connection returns, and conflicts are the officer's call."""
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from app.accounts.models import AuthSession
from app.activities.models import Activity, Evidence
from app.core.db import get_engine
from tests.activities_helpers import commune_pair
from tests.conftest import screenshot, wait_until
from tests.factories import PASSWORD, make_activity, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def officer(session):
    _, commune = commune_pair(session)
    return make_user(session, "reporter", commune.id, username="vhxh.xa", full_name="Lò Văn Sáng")


def _sign_in(page, base, username, then="/activities/new?type=broadcast"):
    page.goto(f"{base}/login?next={then}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{then}")


def _ready_for_offline(page):
    """Waits until the service worker controls the page and has kept the pages for offline use."""
    wait_until(page, "navigator.serviceWorker.controller !== null && !!localStorage.getItem('loa.warm')", timeout=15)


def _count(model, **where) -> int:
    with Session(get_engine()) as s:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return s.execute(query).scalar_one()


def _wait_for(predicate, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


TAKEN_AT = "2025:03:14 09:26:53"  # the camera's clock, Vietnam time


def _photo(tmp_path: Path) -> Path:
    """A phone-sized camera photo (4000×3000, noisy so that it stays large as a JPEG) with the time
    it was taken and the camera's GPS position in its EXIF."""
    path = tmp_path / "loa-xa.jpg"
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = TAKEN_AT
    exif.get_ifd(0x8825)[1] = "N"  # GPS: must not reach the server
    Image.effect_noise((4000, 3000), 60).convert("RGB").save(path, "JPEG", quality=92, exif=exif)
    return path


def _log(page, title, photo=None):
    page.fill("input[name=title]", title)
    page.fill("input[name=minutes_per_airing]", "15")
    if photo:
        page.set_input_files("input[name=evidence][accept^=image]", str(photo))
    client_id = page.input_value("input[name=id]")
    page.click("button[value=submitted]")
    wait_until(page, "id => document.querySelector('input[name=id]').value !== id", arg=client_id)
    assert "Đã lưu trên máy, sẽ gửi khi có mạng" in page.locator(".offline-notice").inner_text()
    return client_id


def test_three_broadcasts_logged_offline_reach_the_server_once_each_after_a_reload(live_server, phone, officer,
                                                                                   tmp_path):
    page = phone.new_page()
    _sign_in(page, live_server, officer.username)
    _ready_for_offline(page)

    phone.set_offline(True)
    page.reload()
    assert page.locator("#offline-bar .ob-offline").inner_text() == "Đang ngoại tuyến"
    ids = set()
    for n, title in enumerate(["Phát thanh sáng thứ Hai", "Phát thanh về vay vốn ưu đãi", "Phát thanh buổi tối"]):
        ids.add(_log(page, title, photo=_photo(tmp_path) if n == 1 else None))
    assert len(ids) == 3, "each new entry gets a new client id"
    assert page.input_value("input[name=minutes_per_airing]") == "15", "the next entry starts from the last minutes"
    assert page.locator("#offline-bar .ob-count").inner_text() == "3 chờ gửi"
    stored = page.evaluate("""loaOffline.tx('readonly', s => s.getAll()).then(l => l.flatMap(e => e.files)
        .map(([k, f]) => ({type: f.type, size: f.size})))""")
    assert stored[0]["type"] == "image/jpeg" and stored[0]["size"] < _photo(tmp_path).stat().st_size / 2
    screenshot(page, "offline-form-queued-phone")

    page.reload()
    page.goto(f"{live_server}/activities/home")
    assert page.locator("#offline-bar").get_by_text("Chờ gửi (3)").is_visible()
    assert page.locator(".ob-item").count() == 3
    screenshot(page, "offline-home-queue-phone")
    assert _count(Activity, created_by_id=officer.id) == 0

    phone.set_offline(False)
    assert _wait_for(lambda: _count(Activity, created_by_id=officer.id) == 3)
    page.locator("#offline-bar .ob-count", has_text="Không có mục chờ gửi").wait_for()
    assert "lần gửi cuối lúc" in page.locator("#offline-bar").inner_text()
    with Session(get_engine()) as s:
        titles = sorted(s.execute(select(Activity.title).where(Activity.created_by_id == officer.id)).scalars())
        photo_of = s.execute(select(Activity.title, Evidence.captured_at, Evidence.width, Evidence.height)
                             .join(Evidence, Evidence.activity_id == Activity.id)).all()
    assert titles == ["Phát thanh buổi tối", "Phát thanh sáng thứ Hai", "Phát thanh về vay vốn ưu đãi"]
    assert [p.title for p in photo_of] == ["Phát thanh về vay vốn ưu đãi"]
    # Resized on the phone, the photo still says when it was taken (09:26 in Vietnam is 02:26 UTC).
    assert photo_of[0].captured_at == datetime(2025, 3, 14, 2, 26, 53, tzinfo=timezone.utc)
    assert max(photo_of[0].width, photo_of[0].height) == 1600
    page.reload()
    screenshot(page, "offline-home-sent-phone")


def test_an_upload_cut_after_the_server_saved_it_is_retried_and_stored_once(live_server, phone, officer, tmp_path):
    page = phone.new_page()
    _sign_in(page, live_server, officer.username)
    _ready_for_offline(page)
    cut = []

    def lose_the_answer(route):
        if route.request.method == "POST" and not cut:
            cut.append(route.fetch())  # the server receives and saves the entry ...
            route.abort("connectionreset")  # ... and the phone never hears back
        else:
            route.continue_()

    page.route("**/activities", lose_the_answer)
    _log(page, "Phát thanh khi sóng yếu", photo=_photo(tmp_path))
    assert cut and cut[0].status == 201
    assert _count(Activity, created_by_id=officer.id) == 1
    assert page.locator("#offline-bar .ob-count").inner_text() == "1 chờ gửi"

    page.locator("#offline-bar button", has_text="Gửi ngay").click()
    page.locator("#offline-bar .ob-count", has_text="Không có mục chờ gửi").wait_for()
    assert _count(Activity, created_by_id=officer.id) == 1
    assert _count(Evidence) == 1, "the photo is stored once too"


def test_an_edit_made_offline_while_the_reviewer_changed_the_entry_shows_both_and_keeps_the_choice(
        live_server, phone, officer, session):
    entry = make_activity(session, officer.unit_id, user=officer, status="returned", title="Phát thanh tháng Ba",
                          airings=1, minutes_per_airing=10, details={"channel": "commune_loudspeaker"},
                          review_comment="Ghi rõ số phút mỗi lần phát.")
    page = phone.new_page()
    _sign_in(page, live_server, officer.username, then=f"/activities/{entry.id}/edit")
    _ready_for_offline(page)

    phone.set_offline(True)
    page.fill("input[name=minutes_per_airing]", "20")
    page.fill("input[name=title]", "Phát thanh tháng Ba (đã sửa)")
    page.click("button[value=submitted]")
    page.locator(".offline-notice", has_text="Đã lưu trên máy").wait_for()

    with Session(get_engine()) as s:  # meanwhile the reviewer changes the entry on the server
        s.execute(update(Activity).where(Activity.id == entry.id)
                  .values(title="Phát thanh tháng Ba — bản người duyệt", version=Activity.version + 1))
        s.commit()

    page.goto(f"{live_server}/activities/home")
    phone.set_offline(False)
    item = page.locator(".ob-item.conflict")
    item.wait_for(timeout=20000)
    title_row = item.locator("table.ob-diff tr", has_text="Tên hoạt động").inner_text()
    assert "Phát thanh tháng Ba (đã sửa)" in title_row and "Phát thanh tháng Ba — bản người duyệt" in title_row
    minutes_row = item.locator("table.ob-diff tr", has_text="Số phút mỗi lần")
    assert minutes_row.locator("th").inner_text() == "Số phút mỗi lần"
    assert minutes_row.locator("td").all_inner_texts() == ["20", "10"]
    assert "Ý kiến người duyệt: Ghi rõ số phút mỗi lần phát." in item.inner_text()
    screenshot(page, "offline-conflict-phone")

    item.get_by_role("button", name="Giữ bản của tôi").click()
    page.locator("#offline-bar .ob-count", has_text="Không có mục chờ gửi").wait_for()
    with Session(get_engine()) as s:
        saved = s.get(Activity, entry.id)
        assert (saved.title, saved.minutes_per_airing, saved.status) == ("Phát thanh tháng Ba (đã sửa)", 20, "submitted")
    assert _count(Activity) == 1


def test_keeping_the_servers_version_discards_the_queued_edit(live_server, phone, officer, session):
    entry = make_activity(session, officer.unit_id, user=officer, status="draft", title="Phát thanh nháp",
                          airings=1, minutes_per_airing=10, details={"channel": "commune_loudspeaker"})
    page = phone.new_page()
    _sign_in(page, live_server, officer.username, then=f"/activities/{entry.id}/edit")
    _ready_for_offline(page)
    phone.set_offline(True)
    page.fill("input[name=title]", "Bản sửa trên điện thoại")
    page.click("button[value=draft]")
    page.locator(".offline-notice", has_text="Đã lưu trên máy").wait_for()
    with Session(get_engine()) as s:
        s.execute(update(Activity).where(Activity.id == entry.id).values(title="Bản trên máy chủ",
                                                                         version=Activity.version + 1))
        s.commit()
    phone.set_offline(False)
    item = page.locator(".ob-item.conflict")
    item.wait_for(timeout=20000)
    item.get_by_role("button", name="Giữ bản trên máy chủ").click()
    page.locator("#offline-bar .ob-count", has_text="Không có mục chờ gửi").wait_for()
    with Session(get_engine()) as s:
        assert s.get(Activity, entry.id).title == "Bản trên máy chủ"


def test_a_queue_waiting_for_an_expired_session_is_sent_after_signing_in_again(live_server, phone, officer):
    page = phone.new_page()
    _sign_in(page, live_server, officer.username)
    _ready_for_offline(page)
    phone.set_offline(True)
    _log(page, "Phát thanh trong vùng lõm sóng")
    with Session(get_engine()) as s:  # the week without use ran out while the phone was offline
        s.execute(delete(AuthSession).where(AuthSession.user_id == officer.id))
        s.commit()

    phone.set_offline(False)
    expired = page.locator(".ob-auth")
    expired.wait_for(timeout=20000)
    assert "Phiên đăng nhập đã hết hạn — đăng nhập lại để gửi" in expired.inner_text()
    screenshot(page, "offline-session-expired-phone")
    assert _count(Activity, created_by_id=officer.id) == 0

    expired.get_by_role("link").click()
    page.fill("input[name=username]", officer.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    assert _wait_for(lambda: _count(Activity, created_by_id=officer.id) == 1)
    page.locator("#offline-bar .ob-count", has_text="Không có mục chờ gửi").wait_for()


def test_offline_a_2024_date_offers_the_legacy_commune_as_online(live_server, phone, officer, session):
    legacy, commune = commune_pair(session)
    page = phone.new_page()
    _sign_in(page, live_server, officer.username)
    _ready_for_offline(page)
    assert page.input_value("select[name=unit_id]") == str(commune.id)

    phone.set_offline(True)
    page.reload()
    page.fill("input[name=start_date]", "2024-05-10")
    wait_until(page, f"document.querySelector('select[name=unit_id]').value !== '{commune.id}'")
    offered = page.locator("select[name=unit_id] option").all_inner_texts()
    assert legacy.name in [o.lstrip("· ") for o in offered]
    assert commune.name not in offered
    _log(page, "Phát thanh năm 2024 ghi bù")
    assert page.input_value("select[name=unit_id]") == str(commune.id), "the next entry is for today again"

    phone.set_offline(False)
    assert _wait_for(lambda: _count(Activity, created_by_id=officer.id) == 1)
    with Session(get_engine()) as s:
        saved = s.execute(select(Activity).where(Activity.created_by_id == officer.id)).scalar_one()
    assert saved.start_date.isoformat() == "2024-05-10" and saved.unit_id != commune.id


def test_offline_a_page_never_opened_shows_what_the_phone_keeps_including_returned_comments(live_server, phone, officer,
                                                                                            session):
    make_activity(session, officer.unit_id, user=officer, status="returned", title="Phát thanh cần sửa",
                  review_comment="Thiếu ảnh minh chứng buổi phát.")
    page = phone.new_page()
    _sign_in(page, live_server, officer.username, then="/activities/home")
    _ready_for_offline(page)

    phone.set_offline(True)
    page.goto(f"{live_server}/activities?type=training")
    assert page.locator("h1").inner_text() == "Dùng khi không có mạng"
    assert page.locator("#offline-missing").is_visible()
    assert "Thiếu ảnh minh chứng buổi phát." in page.locator("#offline-returned").inner_text()
    screenshot(page, "offline-fallback-phone")
    page.goto(f"{live_server}/activities/new?type=talk")
    assert page.locator("form#activity-form input[name=participants]").is_visible()


def test_a_queued_entry_is_opened_corrected_and_sent_once(live_server, phone, officer):
    page = phone.new_page()
    _sign_in(page, live_server, officer.username)
    _ready_for_offline(page)
    phone.set_offline(True)
    client_id = _log(page, "Phát thanh sáng nay có lỗi chính tả")
    page.goto(f"{live_server}/activities/home")
    page.locator(".ob-item").get_by_role("link", name="Mở, sửa").click()
    wait_until(page, "document.querySelector('input[name=title]').value.includes('lỗi chính tả')")
    assert page.input_value("input[name=id]") == client_id
    assert page.input_value("input[name=minutes_per_airing]") == "15"
    page.fill("input[name=title]", "Phát thanh sáng nay")
    page.click("button[value=submitted]")
    page.locator(".offline-notice", has_text="Đã lưu trên máy").wait_for()
    assert page.locator("#offline-bar .ob-count").inner_text() == "1 chờ gửi"

    phone.set_offline(False)
    assert _wait_for(lambda: _count(Activity, created_by_id=officer.id) == 1)
    with Session(get_engine()) as s:
        saved = s.execute(select(Activity).where(Activity.created_by_id == officer.id)).scalar_one()
    assert (str(saved.id), saved.title) == (client_id, "Phát thanh sáng nay")


def test_on_a_desktop_the_waiting_entry_and_the_offline_banner_sit_under_the_top_bar(live_server, desktop, officer):
    page = desktop.new_page()
    _sign_in(page, live_server, officer.username)
    _ready_for_offline(page)
    desktop.set_offline(True)
    _log(page, "Phát thanh ghi trên máy tính")
    page.goto(f"{live_server}/activities/home")
    bar = page.locator("#offline-bar")
    assert bar.locator(".ob-offline").is_visible() and bar.get_by_text("Chờ gửi (1)").is_visible()
    assert "Phát thanh ghi trên máy tính" in bar.locator(".ob-item").inner_text()
    screenshot(page, "offline-home-queue-desktop")


def test_a_discarded_entry_never_leaves_the_phone(live_server, phone, officer):
    page = phone.new_page()
    _sign_in(page, live_server, officer.username)
    _ready_for_offline(page)
    phone.set_offline(True)
    _log(page, "Phát thanh giữ lại")
    _log(page, "Phát thanh ghi nhầm")
    page.goto(f"{live_server}/activities/home")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".ob-item", has_text="Phát thanh ghi nhầm").get_by_role("button", name="Bỏ").click()
    page.get_by_text("Chờ gửi (1)").wait_for()
    phone.set_offline(False)
    assert _wait_for(lambda: _count(Activity, created_by_id=officer.id) == 1)
    time.sleep(1)
    with Session(get_engine()) as s:
        assert s.execute(select(Activity.title)).scalars().all() == ["Phát thanh giữ lại"]
