"""Headers and files: every response tells the browser to run only Loa's own scripts, not to be
framed, not to sniff and not to leak the URL; an uploaded file never runs in Loa's origin; an
activity cannot name an agency of another province."""
import re
from datetime import date

import pytest

from tests.activities_helpers import broadcast, commune_pair
from tests.conftest import wait_until
from tests.factories import (
    HAI_PHONG, NINH_BINH, PASSWORD, login, make_activity, make_agency, make_user, pdf_scan, token,
)
from tests.reports_helpers import commune_of


def _assert_secured(response, path):
    h = response.headers
    policy = h.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
    assert "unsafe-eval" not in policy and "script-src 'self' 'unsafe-inline'" not in policy, path
    assert h.get("x-content-type-options") == "nosniff", path
    assert h.get("x-frame-options") == "DENY", path
    assert h.get("referrer-policy") == "same-origin", path


def test_every_kind_of_response_carries_the_security_headers(client, session):
    _, current = commune_pair(session)
    officer = make_user(session, "reporter", current.id, username="ghi_tieu_de")
    for path in ("/login", "/healthz", "/static/app.css", "/sw.js", "/manifest.webmanifest", "/nowhere",
                 "/api/v1/activities"):
        _assert_secured(client.get(path), path)
    login(client, officer)
    for path in ("/activities/home", "/activities/new?type=broadcast", "/activities", "/plans", "/units"):
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_secured(response, path)


def test_no_page_carries_an_inline_script_or_event_handler(client, session):
    """The policy forbids them, so one left in a template would silently stop working."""
    _, current = commune_pair(session)
    officer = make_user(session, "reporter", current.id, username="ghi_trang")
    reviewer = make_user(session, "reviewer", HAI_PHONG, username="duyet_trang")
    entry = make_activity(session, current.id, user=officer)
    login(client, officer)
    pages = ["/activities/home", "/activities/new?type=broadcast", f"/activities/{entry.id}",
             f"/activities/{entry.id}/edit", "/account/tokens"]
    texts = [client.get(p).text for p in pages]
    client.post("/logout", data={"csrf_token": login(client, reviewer)})
    login(client, reviewer)
    texts += [client.get(p).text for p in ("/dashboard", "/reviews", "/plans", "/plans/new", "/admin/users",
                                             "/audit", "/units")]
    for text in texts:
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text)
        assert not re.search(r"\son[a-z]+\s*=", text)
        assert "javascript:" not in text


def _entry(client, session):
    _, current = commune_pair(session)
    user = make_user(session, "reporter", current.id, username="ghi_tep")
    headers = token(client, user)
    created = client.post("/api/v1/activities", json=broadcast(current.id), headers=headers).json()
    return headers, created["id"]


def _upload(client, headers, activity_id, name, content, kind):
    return client.post(f"/api/v1/activities/{activity_id}/evidence", files=[("file", (name, content, kind))],
                       headers=headers)


def test_a_file_that_only_starts_like_a_pdf_is_refused_and_nothing_is_stored(client, session):
    headers, activity_id = _entry(client, session)
    fake = b"%PDF-1.7\n<html><body><script>fetch('/api/v1/users')</script></body></html>\n%%EOF\n"
    refused = _upload(client, headers, activity_id, "bien-ban.pdf", fake, "application/pdf")
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert error["code"] == "invalid_pdf" and "PDF" in error["message"]
    truncated = pdf_scan()[:200]
    assert _upload(client, headers, activity_id, "cut.pdf", truncated, "application/pdf").status_code == 422
    assert client.get(f"/api/v1/activities/{activity_id}", headers=headers).json()["evidence"] == []


def test_a_pdf_is_served_as_a_download_and_a_photo_inline_both_sandboxed(client, session):
    import io

    from PIL import Image

    headers, activity_id = _entry(client, session)
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (10, 90, 60)).save(out, "PNG")
    stored = _upload(client, headers, activity_id, "anh.png", out.getvalue(), "image/png")
    stored = _upload(client, headers, activity_id, "bien-ban.pdf", pdf_scan(), "application/pdf")
    assert stored.status_code == 201, stored.text
    by_kind = {e["kind"]: e for e in stored.json()["evidence"]}
    pdf = client.get(by_kind["pdf"]["url"], headers=headers)
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert pdf.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in pdf.headers["content-security-policy"]
    photo = client.get(by_kind["photo"]["url"], headers=headers)
    assert photo.headers["content-type"] == "image/jpeg"
    assert photo.headers["content-disposition"].startswith("inline;")
    assert "sandbox" in photo.headers["content-security-policy"]


def test_an_agency_of_another_province_is_refused_beside_the_agency_field(client, session):
    _, current = commune_pair(session)
    officer = make_user(session, "reporter", current.id, username="ghi_co_quan")
    headers = token(client, officer)
    foreign = make_agency(session, NINH_BINH, "Đài Phát thanh và Truyền hình Ninh Bình")
    home = make_agency(session, HAI_PHONG, "Đài Phát thanh và Truyền hình Hải Phòng")
    refused = client.post("/api/v1/activities", json=broadcast(current.id, agency_id=foreign.id), headers=headers)
    assert refused.status_code == 422
    assert [(e["path"], e["code"]) for e in refused.json()["errors"]] == [("body.agency_id", "agency_out_of_scope")]
    assert client.post("/api/v1/activities", json=broadcast(current.id, agency_id=home.id),
                       headers=headers).status_code == 201
    legacy, _ = commune_pair(session)
    # Work at a legacy commune of Hải Dương (before 1/7/2025) by an agency of Hải Phòng, the province it went into.
    old_day = date(2025, 3, 3).isoformat()
    assert client.post("/api/v1/activities", json=broadcast(legacy.id, agency_id=home.id, start_date=old_day),
                       headers=headers).status_code == 201


def test_the_form_shows_the_agency_error_in_vietnamese_and_keeps_the_entry(client, session):
    _, current = commune_pair(session)
    officer = make_user(session, "reporter", current.id, username="ghi_form_cq")
    foreign = make_agency(session, NINH_BINH, "Báo Ninh Bình")
    csrf = login(client, officer)
    page = client.get("/activities/new?type=broadcast").text
    data = {"csrf_token": csrf, "id": re.search(r'name="id" value="([^"]+)"', page).group(1), "type": "broadcast",
            "title": "Phát thanh về chính sách hộ cận nghèo", "start_date": broadcast(current.id)["start_date"],
            "unit_id": str(current.id), "agency_id": str(foreign.id), "details.channel": "commune_loudspeaker",
            "airings": "1", "minutes_per_airing": "10"}
    refused = client.post("/activities", data=data)
    assert refused.status_code == 422
    assert "Báo Ninh Bình không thuộc tỉnh, thành phố của" in refused.text
    assert "Phát thanh về chính sách hộ cận nghèo" in refused.text


@pytest.mark.browser
def test_pages_work_in_chromium_with_the_policy_on(desktop, live_server, session):
    """htmx requests, the service worker and the page scripts run with no policy violation."""
    _, current = commune_pair(session)
    make_user(session, "reviewer", HAI_PHONG, username="duyet_csp")
    make_activity(session, commune_of(session, HAI_PHONG).id, status="submitted")
    page = desktop.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and (
        "Content Security Policy" in m.text or "CSP" in m.text) else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.add_init_script("document.addEventListener('securitypolicyviolation', "
                         "e => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))")
    page.goto(f"{live_server}/login?next=/units")
    page.fill("input[name=username]", "duyet_csp")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/units")
    with page.expect_request(lambda r: "/units" in r.url and r.headers.get("hx-request") == "true") as sent:
        page.fill("input[name=q]", "dai an")
    assert sent.value.response().status == 200
    wait_until(page, "navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=15)
    page.goto(f"{live_server}/reviews")
    row = page.locator("#queue tbody tr").first
    with page.expect_response(lambda r: "/approve" in r.url) as approved:
        row.locator("form.actions button").first.click()
    assert approved.value.status == 200
    page.goto(f"{live_server}/account/tokens")
    assert problems == [], problems
