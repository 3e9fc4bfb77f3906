"""JSON API: tokens (OAuth2 password flow) and the signed-in user."""
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from sqlmodel import SQLModel

from app.accounts import services
from app.accounts.deps import ApiUser, DbSession, client_address
from app.accounts.models import UserPublic
from app.core.db import UnitOfWork
from app.core.errors import ApiError, TooMany, errors_doc

router = APIRouter(prefix="/api/v1", tags=["auth"], route_class=UnitOfWork)


class TokenResponse(SQLModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


@router.post("/auth/token", response_model=TokenResponse,
             responses=errors_doc(401, 422, 429, unauthorized="Wrong username or password"))
def create_token(request: Request, session: DbSession, username: Annotated[str, Form(min_length=1, max_length=64)],
                 password: Annotated[str, Form(min_length=1, max_length=200)],
                 name: Annotated[str, Form(max_length=100)] = ""):
    """OAuth2 password flow: form fields `username` and `password`. Too many failed attempts (for
    the username from this address, from this address, or for the username from anywhere) answer
    429 `login_throttled` with `Retry-After` in seconds."""
    try:
        user = services.authenticate(session, username, password, address=client_address(request))
    except services.LoginThrottled as exc:
        raise TooMany(exc.message, exc.retry_after, code="login_throttled")
    raw = None
    if user is not None:
        try:
            raw, row = services.issue_token(session, user, name)
        except services.CredentialsChanged:
            pass  # reset while it was being checked: the old password no longer signs in
    if raw is None:
        raise ApiError(401, "invalid_credentials", "Tên đăng nhập hoặc mật khẩu không đúng.",
                       headers={"WWW-Authenticate": "Bearer"})
    return TokenResponse(access_token=raw, expires_at=row.expires_at)


@router.get("/me", response_model=UserPublic)
def me(user: ApiUser):
    return user
