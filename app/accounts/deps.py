"""FastAPI dependencies that identify the user: a Bearer token (API) or the session cookie.

`api_user` answers 401 without credentials; `page_user` sends the browser to the login page.
State-changing requests authenticated by cookie must carry the session's CSRF token (form field
`csrf_token` or header `X-CSRF-Token`); Bearer requests need none.
"""
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, TypeVar

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar
from fastapi import Depends, Request
from sqlalchemy import bindparam, update
from starlette.concurrency import run_in_threadpool
from sqlmodel import Session, select

from app.accounts.models import ApiToken, AuthSession, User
from app.accounts.security import token_hash
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.db import finish, get_engine, get_session
from app.core.errors import ApiError, LoginRequired
from app.core.forms import read_form

SESSION_COOKIE = "loa_session"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
DbSession = Annotated[Session, Depends(get_session)]
T = TypeVar("T")

# Every request runs one of these two lookups: built once, they skip rebuilding the statement.
TOKEN_LOOKUP = (select(User, ApiToken.id, ApiToken.revoked_at, ApiToken.expires_at, ApiToken.last_used_at)
                .join(ApiToken, ApiToken.user_id == User.id).where(ApiToken.token_hash == bindparam("hash")))
SESSION_LOOKUP = select(AuthSession).where(AuthSession.token_hash == bindparam("hash"))


def client_address(request: Request) -> str | None:
    """The client's address as uvicorn saw it: behind a reverse proxy, the one the proxy reports,
    provided uvicorn runs with --proxy-headers and --forwarded-allow-ips naming the proxy."""
    return request.client.host if request.client else None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _user_from_token(session: Session, token: str) -> User | None:
    found = session.execute(TOKEN_LOOKUP, {"hash": token_hash(token)}).first()
    now = utcnow()
    if found is None:
        return None
    user, token_id, revoked_at, expires_at, last_used_at = found
    if revoked_at is not None or expires_at <= now or not user.is_active:
        return None
    if last_used_at is None or now - last_used_at > timedelta(minutes=5):
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
        session.commit()  # its own short transaction, before the request writes: kept even if the request fails
    return user


def session_from_cookie(session: Session, request: Request) -> AuthSession | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    auth = session.execute(SESSION_LOOKUP, {"hash": token_hash(cookie)}).scalars().first()
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
        session.commit()  # its own short transaction, before the request writes: kept even if the request fails
    return auth


async def _sent_csrf(request: Request) -> str | None:
    """The CSRF token a state-changing request carries (header, or form field)."""
    if request.method not in UNSAFE_METHODS:
        return None
    sent = request.headers.get("X-CSRF-Token")
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await read_form(request)
            sent = form.get("csrf_token")
    return sent or None


def _check_csrf(request: Request, auth: AuthSession, sent: str | None) -> None:
    if request.method in UNSAFE_METHODS and (not sent or sent != auth.csrf_token):
        raise ApiError(403, "csrf_failed", "Phiên làm việc không hợp lệ, vui lòng tải lại trang và thử lại.")


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
        _check_csrf(request, auth, await _sent_csrf(request))
        request.state.auth_session = auth
    request.state.user = user
    return user


def _signed_in(user: User | None, *, page: bool) -> User:
    """The user, or 401 for the API and the login page for HTML."""
    if user is None:
        if page:
            raise LoginRequired()
        raise ApiError(401, "not_authenticated", "Cần đăng nhập (Authorization: Bearer <token>).",
                       headers={"WWW-Authenticate": "Bearer"})
    return user


async def api_user(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> User:
    return _signed_in(user, page=False)


async def page_user(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> User:
    return _signed_in(user, page=True)


ApiUser = Annotated[User, Depends(api_user)]
PageUser = Annotated[User, Depends(page_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]


# Threads of one process that run the busiest writes at once. More would only take turns on
# Python's interpreter lock (and on SQLite's single writer) and slow every request down: beyond
# them requests wait on the event loop, at no cost. Scale out with more processes instead.
BUSY_WRITE_THREADS = 2
_busy_write_limiter: RunVar[anyio.CapacityLimiter] = RunVar("loa_busy_write_limiter")


def _busy_write_threads() -> anyio.CapacityLimiter:
    try:
        return _busy_write_limiter.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(BUSY_WRITE_THREADS)
        _busy_write_limiter.set(limiter)
        return limiter


async def run_as_user(request: Request, work: Callable[[Session, User], T], *, page: bool = False) -> T:
    """Identifies the caller and runs `work(session, user)` in a single trip to the thread pool,
    on a session of its own that is closed before the trip ends: its unit of work, committed
    there unless `work` answers an error (see `app.core.db.finish`).

    For the busiest writes (logging an activity, by API or by form): `DbSession` + `ApiUser` cost
    one trip to identify and another to run the endpoint, and the connection is held in between.
    The rules are those of `api_user` (401) or, with `page=True`, `page_user` (to the login page),
    with the same CSRF check on cookie-authenticated writes.
    """
    sent = await _sent_csrf(request)

    def job() -> T:
        with Session(get_engine(), expire_on_commit=False) as session:
            user, auth = _identify(session, request)
            if auth is not None:
                _check_csrf(request, auth, sent)
                request.state.auth_session = auth
            request.state.user = user
            result = work(session, _signed_in(user, page=page))
            finish(session, getattr(result, "status_code", 200))
            return result
    return await anyio.to_thread.run_sync(job, limiter=_busy_write_threads())
