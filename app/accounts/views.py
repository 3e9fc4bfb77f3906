"""Login and logout pages."""
from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from app.accounts import services
from app.accounts.deps import SESSION_COOKIE, DbSession, OptionalUser, PageUser, client_address
from app.core.config import get_settings
from app.core.db import UnitOfWork
from app.core.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=UnitOfWork)


def _safe_next(target: str | None) -> str:
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login")
def login_page(request: Request, user: OptionalUser, next: str | None = None):
    if user is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "accounts/login.html", {"next": _safe_next(next), "error": None, "username": ""})


@router.post("/login")
def login(request: Request, session: DbSession,
          username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/"):
    context = {"next": _safe_next(next), "username": username}
    try:
        user = services.authenticate(session, username, password, address=client_address(request))
    except services.LoginThrottled as exc:
        context["error"] = exc.message
        return render(request, "accounts/login.html", context, status_code=429,
                      headers={"Retry-After": str(exc.retry_after)})
    cookie = None
    if user is not None:
        try:
            cookie, _ = services.start_session(session, user)
        except services.CredentialsChanged:
            pass  # reset while it was being checked: the old password no longer signs in
    if cookie is None:
        context["error"] = "Tên đăng nhập hoặc mật khẩu không đúng."
        return render(request, "accounts/login.html", context, status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    settings = get_settings()
    response.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="lax", secure=not settings.is_development,
                        max_age=settings.session_idle_hours * 3600, path="/")
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession, user: PageUser):
    auth = getattr(request.state, "auth_session", None)
    if auth is not None:
        services.end_session(session, auth, user=user)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
