"""Loa as an installable app that keeps working without a signal: the web app manifest, the
service worker (served from the root so it controls every page), the data a phone keeps for
offline use, and the page shown when a page was never opened online."""
import hashlib
import json
from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from app.accounts.deps import DbSession, OptionalUser, PageUser
from app.activities.types import QUICK_TYPES, STATUS_LABELS, TYPES
from app.core.db import UnitOfWork
from app.core.errors import api_body
from app.core.static import STATIC_DIR, static_url
from app.core.templating import render
from app.offline.queries import bootstrap, own_activities

router = APIRouter(include_in_schema=False, route_class=UnitOfWork)

THEME = "#0b6e4f"
HOME = "/activities/home"
# Files already in the browser's cache after the first page (cached at install, at no cost), then the rest.
STATIC_CORE = ("app.css", "htmx.min.js", "offline.js", "app.js")
STATIC_MORE = ("offline-queue.js", "activities.css")
ICONS = (("icon-192.png", "192x192", "any"), ("icon-512.png", "512x512", "any"),
         ("maskable-192.png", "192x192", "maskable"), ("maskable-512.png", "512x512", "maskable"))


def offline_pages() -> list[str]:
    """Pages every phone keeps: the home screen, a form per quick type, the offline page and its data."""
    return [HOME, *[f"/activities/new?type={code}" for code in QUICK_TYPES], "/offline", "/offline/bootstrap.json"]


@lru_cache(maxsize=1)
def _service_worker() -> tuple[bytes, str]:
    source = (STATIC_DIR / "sw.js").read_text(encoding="utf-8")
    body = (source.replace("__STATIC__", json.dumps([static_url(n) for n in STATIC_CORE]))
            .replace("__MORE__", json.dumps([static_url(n) for n in STATIC_MORE]))
            .replace("__PAGES__", json.dumps(offline_pages())))
    version = hashlib.sha256(body.encode()).hexdigest()[:12]
    body = body.replace("__VERSION__", version)
    return body.encode(), f'"{version}"'


def _cached_text(request: Request, body: bytes, etag: str, media_type: str, **headers: str) -> Response:
    headers = {"Cache-Control": "no-cache", "ETag": etag, **headers}
    if request.headers.get("If-None-Match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


@router.get("/sw.js")
def service_worker(request: Request):
    body, etag = _service_worker()
    return _cached_text(request, body, etag, "application/javascript", **{"Service-Worker-Allowed": "/"})


@lru_cache(maxsize=1)
def _manifest() -> tuple[bytes, str]:
    manifest = {
        "name": "Loa – Ghi hoạt động truyền thông", "short_name": "Loa", "lang": "vi",
        "description": "Ghi và báo cáo hoạt động truyền thông giảm nghèo, cả khi không có mạng.",
        "start_url": HOME, "scope": "/", "display": "standalone", "orientation": "portrait",
        "theme_color": THEME, "background_color": "#ffffff",
        "icons": [{"src": static_url(f"icons/{name}"), "sizes": sizes, "type": "image/png", "purpose": purpose}
                  for name, sizes, purpose in ICONS],
    }
    body = json.dumps(manifest, ensure_ascii=False).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:12] + '"'


@router.get("/manifest.webmanifest")
def manifest(request: Request):
    body, etag = _manifest()
    return _cached_text(request, body, etag, "application/manifest+json")


def _not_signed_in() -> JSONResponse:
    return JSONResponse(api_body("not_authenticated", "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại."),
                        status_code=401, headers={"Cache-Control": "no-store"})


@router.get("/offline/session")
def offline_session(request: Request, user: OptionalUser):
    """Whether the session still holds, and its CSRF token, checked before a queue is sent."""
    if user is None:
        return _not_signed_in()
    return JSONResponse({"user_id": user.id, "csrf_token": request.state.auth_session.csrf_token
                         if getattr(request.state, "auth_session", None) else ""},
                        headers={"Cache-Control": "no-store"})


@router.get("/offline/bootstrap.json")
def offline_bootstrap(session: DbSession, user: OptionalUser):
    if user is None:
        return _not_signed_in()
    return JSONResponse(bootstrap(session, user), headers={"Cache-Control": "private, no-cache"})


@router.get("/offline")
def offline_page(request: Request, session: DbSession, user: PageUser):
    returned, recent = own_activities(session, user)
    quick = [(code, TYPES[code].short) for code in QUICK_TYPES if code in TYPES]
    return render(request, "offline/page.html", {"title": "Dùng khi không có mạng", "returned": returned,
                                                 "recent": recent, "quick": quick, "types": TYPES,
                                                 "status_labels": STATUS_LABELS})
