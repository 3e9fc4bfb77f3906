"""Loa as an installable app: the manifest, the service worker script and what a phone keeps for offline use."""
from datetime import date, timedelta

from app.core.clock import today
from tests.activities_helpers import commune_pair
from tests.factories import login, make_activity, make_user


def test_the_manifest_names_loa_in_vietnamese_and_starts_at_the_reporters_home(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["name"] == "Loa – Ghi hoạt động truyền thông"
    assert (manifest["short_name"], manifest["start_url"], manifest["display"], manifest["theme_color"]) == \
        ("Loa", "/activities/home", "standalone", "#0b6e4f")
    sizes = {(i["sizes"], i["purpose"]) for i in manifest["icons"]}
    assert sizes == {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")}
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"


def test_the_service_worker_controls_the_whole_site_and_is_never_cached_stale(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.headers["service-worker-allowed"] == "/"
    assert response.headers["cache-control"] == "no-cache"
    assert "/activities/new?type=broadcast" in response.text and "/activities/home" in response.text
    assert "/static/app.css?v=" in response.text and "__VERSION__" not in response.text
    again = client.get("/sw.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_signed_in_pages_link_the_manifest_the_status_bar_and_the_offline_script(client, session):
    _, commune = commune_pair(session)
    login(client, make_user(session, "reporter", commune.id))
    page = client.get("/offline").text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert 'id="offline-bar"' in page and "/static/offline.js?v=" in page


def test_the_offline_data_needs_a_session(client):
    assert client.get("/offline/bootstrap.json").status_code == 401
    response = client.get("/offline/session")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    assert client.get("/offline", follow_redirects=False).headers["location"].startswith("/login")


def test_a_reporter_keeps_both_eras_of_the_commune_returned_comments_and_the_last_30_days(client, session):
    legacy, commune = commune_pair(session)
    reporter = make_user(session, "reporter", commune.id)
    other = make_user(session, "reporter", commune.id, username="nguoi.khac")
    returned = make_activity(session, commune.id, user=reporter, status="returned", start_date=today() - timedelta(days=60),
                             review_comment="Bổ sung ảnh minh chứng.", title="Phát thanh tháng trước")
    make_activity(session, commune.id, user=reporter, start_date=today() - timedelta(days=45), title="Phát thanh cũ")
    make_activity(session, commune.id, user=reporter, start_date=today() - timedelta(days=3), title="Phát thanh tuần này",
                  airings=2, minutes_per_airing=15, details={"channel": "commune_loudspeaker"})
    make_activity(session, commune.id, user=other, start_date=today(), title="Của người khác")
    csrf = login(client, reporter)

    data = client.get("/offline/bootstrap.json").json()
    unit_ids = {u["id"] for u in data["units"]}
    assert {commune.id, legacy.id} <= unit_ids
    assert data["user"]["id"] == reporter.id and data["today"] == today().isoformat()
    assert [(a["title"], a["review_comment"]) for a in data["returned"]] == [("Phát thanh tháng trước", "Bổ sung ảnh minh chứng.")]
    assert [a["title"] for a in data["recent"]] == ["Phát thanh tuần này"]
    assert data["last_used"]["broadcast"]["minutes_per_airing"] == 15
    assert data["last_used"]["broadcast"]["channel"] == "commune_loudspeaker"
    assert client.get("/offline/session").json() == {"user_id": reporter.id, "csrf_token": csrf}

    page = client.get("/offline").text
    assert "Bổ sung ảnh minh chứng." in page and "Phát thanh tuần này" in page
    assert "Phát thanh cũ" not in page and "Của người khác" not in page
    assert f"/activities/{returned.id}" in page


def test_the_forms_choices_come_for_today_and_for_the_days_before_the_reorganisation(client, session):
    legacy, commune = commune_pair(session)
    login(client, make_user(session, "reporter", commune.id))
    data = client.get("/offline/bootstrap.json").json()
    before = {u["id"] for u in data["units"] if u["valid_to"] and date.fromisoformat(u["valid_to"]) < date(2025, 7, 1)}
    assert legacy.id in before and commune.id not in before
    now, then = data["default_units"]
    assert now == {"day": today().isoformat(), "unit_id": commune.id}
    assert then["day"] == "2025-06-30" and then["unit_id"] in before
