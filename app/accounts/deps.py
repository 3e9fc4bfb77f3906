"""FastAPI dependencies that identify the user: a Bearer token (API) or the session cookie.

`api_user` answers 401 without credentials; `page_user` sends the browser to the login page.
State-changing requests authenticated by cookie must carry the session's CSRF token (form field
`csrf_token` or header `X-CSRF-Token`); Bearer requests need none.
"""
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from sqlmodel import Session, select

from app.accounts.models import ApiToken, AuthSession, User
from app.accounts.security import token_hash
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.db import get_session
from app.core.errors import ApiError, LoginRequired

SESSION_COOKIE = "loa_session"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
DbSession = Annotated[Session, Depends(get_session)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _user_from_token(session: Session, token: str) -> User | None:
    found = session.exec(select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                         .where(ApiToken.token_hash == token_hash(token))).first()
    now = utcnow()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or row.expires_at <= now or not user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        row.last_used_at = now
        session.add(row)
        session.commit()
    return user


def session_from_cookie(session: Session, request: Request) -> AuthSession | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    auth = session.exec(select(AuthSession).where(AuthSession.token_hash == token_hash(cookie))).first()
    if auth is None or auth.ended_at is not None:
        return None
    now = utcnow()
    idle = timedelta(hours=get_settings().session_idle_hours)
    if now - auth.last_seen_at > idle:
        return None
    # Sliding expiry, written at most once a minute to keep reads cheap.
    if now - auth.last_seen_at > timedelta(minutes=1):
        auth.last_seen_at = now
        session.add(auth)
        session.commit()
    return auth


async def _csrf_ok(request: Request, auth: AuthSession) -> bool:
    sent = request.headers.get("X-CSRF-Token")
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            sent = form.get("csrf_token")
    return bool(sent) and sent == auth.csrf_token


def _identify(session: Session, request: Request) -> tuple[User | None, AuthSession | None]:
    """Looks up the caller (blocking database work, run in the thread pool)."""
    token = _bearer(request)
    if token:
        user = _user_from_token(session, token)
        if user is None:
            raise ApiError(401, "invalid_token", "Mã truy cập không hợp lệ hoặc đã hết hạn.",
                           headers={"WWW-Authenticate": "Bearer"})
        return user, None
    auth = session_from_cookie(session, request)
    if auth is None:
        return None, None
    candidate = session.get(User, auth.user_id)
    if candidate is None or not candidate.is_active:
        return None, None
    return candidate, auth


async def optional_user(request: Request, session: DbSession) -> User | None:
    """The signed-in user or None; also enforces CSRF on cookie-authenticated writes."""
    if hasattr(request.state, "user"):
        return request.state.user
    # Database calls stay off the event loop: a blocked loop cannot hand pooled connections back.
    user, auth = await run_in_threadpool(_identify, session, request)
    if auth is not None:
        if request.method in UNSAFE_METHODS and not await _csrf_ok(request, auth):
            raise ApiError(403, "csrf_failed", "Phiên làm việc không hợp lệ, vui lòng tải lại trang và thử lại.")
        request.state.auth_session = auth
    request.state.user = user
    return user


async def api_user(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise ApiError(401, "not_authenticated", "Cần đăng nhập (Authorization: Bearer <token>).",
                       headers={"WWW-Authenticate": "Bearer"})
    return user


async def page_user(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise LoginRequired()
    return user


ApiUser = Annotated[User, Depends(api_user)]
PageUser = Annotated[User, Depends(page_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]
