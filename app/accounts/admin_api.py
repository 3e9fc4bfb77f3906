"""JSON API to manage users (/api/v1/users) and API tokens (/api/v1/auth/tokens)."""
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlmodel import Field, SQLModel

from app import access
from app.accounts import queries, services
from app.accounts.deps import ApiUser, DbSession
from app.accounts.models import ApiTokenPublic, Role, UserCreate, UserPublic, UserUpdate
from app.core.db import UnitOfWork
from app.core.errors import ApiError, field_error, stale_error
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from app.core.versions import StaleVersion
from app.core.schemas import STRICT

router = APIRouter(prefix="/api/v1", tags=["users"], route_class=UnitOfWork)


def _input_error(exc: services.UserInputError) -> ApiError:
    if isinstance(exc, services.LastNationalAdmin):
        return ApiError(409, "last_national_admin", exc.message,
                        [field_error(f"body.{exc.field}", "last_national_admin", exc.message)])
    return ApiError(422, "validation_error", exc.message, [field_error(f"body.{exc.field}", "invalid", exc.message)])


@router.get("/users", response_model=Page[UserPublic])
def list_users(session: DbSession, user: ApiUser, role: Role | None = None, unit_id: int | None = None,
               q: Annotated[str | None, Query(max_length=100)] = None, is_active: bool | None = None,
               limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT, cursor: str | None = None):
    """Users the caller may see: admins all, reviewers those of their scope; others 403."""
    rows, next_cursor = queries.list_users(session, user, queries.UserFilter(role, unit_id, q, is_active, limit, cursor))
    return Page[UserPublic](items=[UserPublic.model_validate(u, from_attributes=True) for u in rows],
                            next_cursor=next_cursor)


@router.post("/users", response_model=UserPublic, status_code=201)
def create_user(data: UserCreate, session: DbSession, user: ApiUser):
    """Reviewers create reporters and viewers inside their scope; nobody grants more than they hold."""
    if not access.can_list_users(user):
        raise access.Forbidden()
    try:
        return services.create_user(session, data, user=user)
    except services.UserInputError as exc:
        raise _input_error(exc)


@router.get("/users/{user_id}", response_model=UserPublic)
def get_user(user_id: int, session: DbSession, user: ApiUser):
    return queries.get_user(session, user, user_id)


@router.patch("/users/{user_id}", response_model=UserPublic)
def update_user(user_id: int, data: UserUpdate, session: DbSession, user: ApiUser):
    """A change that would leave no active national admin (role admin, no scope unit) answers 409."""
    target = queries.get_user(session, user, user_id)
    try:
        return services.update_user(session, target, data, user=user)
    except services.UserInputError as exc:
        raise _input_error(exc)
    except StaleVersion as exc:
        raise stale_error(exc, lambda u: UserPublic.model_validate(u, from_attributes=True))


@router.post("/users/{user_id}/deactivate", response_model=UserPublic)
def deactivate_user(user_id: int, session: DbSession, user: ApiUser):
    """Locks the account: its sessions end and its tokens are revoked. The last active national
    admin cannot be locked (409)."""
    target = queries.get_user(session, user, user_id)
    try:
        return services.deactivate_user(session, target, user=user)
    except services.UserInputError as exc:
        raise _input_error(exc)


class PasswordReset(SQLModel):
    model_config = STRICT
    password: str = Field(min_length=8, max_length=200)


@router.post("/users/{user_id}/password", status_code=204)
def reset_password(user_id: int, data: PasswordReset, session: DbSession, user: ApiUser):
    """Sets a new password: every browser session and API token of the user ends, and any login
    block on the username is lifted."""
    target = queries.get_user(session, user, user_id)
    try:
        services.set_password(session, target, data.password, user=user)
    except services.UserInputError as exc:
        raise _input_error(exc)
    return Response(status_code=204)


class TokenPublic(ApiTokenPublic):
    username: str


@router.get("/auth/tokens", response_model=Page[TokenPublic])
def list_tokens(session: DbSession, user: ApiUser, user_id: int | None = None, active: bool | None = None,
                limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT, cursor: str | None = None):
    """The caller's own tokens; admins see everyone's (narrow with `user_id`). Token values are never shown."""
    rows, next_cursor = queries.list_tokens(session, user, queries.TokenFilter(user_id, active, limit, cursor))
    items = [TokenPublic(**ApiTokenPublic.model_validate(t, from_attributes=True).model_dump(), username=name)
             for t, name in rows]
    return Page[TokenPublic](items=items, next_cursor=next_cursor)


@router.delete("/auth/tokens/{token_id}", status_code=204)
def revoke_token(token_id: int, session: DbSession, user: ApiUser):
    """Revokes a token of the caller (admins: any token). Revoking twice is harmless."""
    token = queries.get_token(session, user, token_id)
    services.revoke_token(session, token, user=user)
    return Response(status_code=204)
