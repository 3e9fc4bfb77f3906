"""JSON API: tokens (OAuth2 password flow) and the signed-in user."""
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form
from sqlmodel import SQLModel

from app.accounts import services
from app.accounts.deps import ApiUser, DbSession
from app.accounts.models import UserPublic
from app.core.errors import ApiError

router = APIRouter(prefix="/api/v1", tags=["auth"])


class TokenResponse(SQLModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


@router.post("/auth/token", response_model=TokenResponse)
def create_token(session: DbSession, username: Annotated[str, Form()], password: Annotated[str, Form()],
                 name: Annotated[str, Form()] = ""):
    """OAuth2 password flow: form fields `username` and `password`."""
    try:
        user = services.authenticate(session, username, password)
    except services.LoginThrottled:
        raise ApiError(429, "login_throttled", "Đăng nhập sai quá 5 lần trong 15 phút; thử lại sau 15 phút.")
    if user is None:
        raise ApiError(401, "invalid_credentials", "Tên đăng nhập hoặc mật khẩu không đúng.",
                       headers={"WWW-Authenticate": "Bearer"})
    raw, row = services.issue_token(session, user, name)
    return TokenResponse(access_token=raw, expires_at=row.expires_at)


@router.get("/me", response_model=UserPublic)
def me(user: ApiUser):
    return user
