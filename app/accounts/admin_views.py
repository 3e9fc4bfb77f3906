"""HTML pages to manage users and API tokens: /admin/users, /admin/tokens and /account/tokens."""
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError

from app import access
from app.accounts import queries, services
from app.accounts.deps import DbSession, PageUser
from app.accounts.models import (
    ROLE_LABELS,
    ROLE_RANK,
    Role,
    User,
    UserCreate,
    UserUpdate,
)
from app.accounts.views import _safe_next
from app.audit.formatting import format_time
from app.core.clock import utcnow
from app.core.db import UnitOfWork
from app.core.forms import FormUuid, form_int, parse_form, parse_value
from app.core.templating import render, templates
from app.core.versions import STALE_MESSAGE, StaleVersion

templates.env.filters["vntime"] = format_time

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=UnitOfWork)

FIELD_MESSAGES = {
    "username": "Tên đăng nhập 3–64 ký tự, chỉ gồm chữ không dấu, số và . _ -",
    "password": "Mật khẩu cần ít nhất 8 ký tự.",
    "full_name": "Họ tên tối đa 200 ký tự.",
    "phone": "Số điện thoại tối đa 32 ký tự.",
    "email": "Địa chỉ email không hợp lệ.",
    "role": "Chọn một vai trò.",
    "unit_id": "Chọn đơn vị phạm vi.",
    "agency_id": "Chọn cơ quan.",
}
USER_FIELDS = ("username", "full_name", "phone", "email", "role", "unit_id", "agency_id")


ScopeUnitId = form_int(FIELD_MESSAGES["unit_id"], grouped=False)
AgencyId = form_int(FIELD_MESSAGES["agency_id"], grouped=False)
Version = form_int(STALE_MESSAGE, grouped=False)


class UserChoices(BaseModel):
    """The user form's choices, as ids; its texts are checked by `UserCreate` and `UserUpdate`."""
    unit_id: ScopeUnitId = None
    agency_id: AgencyId = None
    version: Version = None


def _grantable_roles(actor: User) -> list[str]:
    if actor.role == Role.admin:
        return [r.value for r in Role]
    if actor.role == Role.reviewer:
        return [r.value for r in Role if ROLE_RANK[r] < ROLE_RANK[Role.reviewer]]
    return []


def _validation_errors(exc: ValidationError) -> dict[str, str]:
    errors = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err.get("loc") else "form"
        errors[field] = FIELD_MESSAGES.get(field, "Giá trị không hợp lệ.")
    return errors


def _form_context(session, actor: User, form: dict, errors: dict, target: User | None = None, **extra) -> dict:
    selected = form.get("unit_id")
    text = str(selected or "")
    selected_id = int(text) if text.isascii() and text.isdigit() and int(text) < 2**31 else None
    context = {
        "form": form, "errors": errors, "target": target,
        "roles": _grantable_roles(actor), "role_labels": ROLE_LABELS,
        "units": queries.unit_options(session, actor, form.get("unit_q") or "", selected_id),
        "unit_names": queries.unit_labels(session, [selected_id]),
        "agencies": queries.agency_options(session, actor),
    }
    context.update(extra)
    return context


def _user_form(user: User) -> dict:
    return {"username": user.username, "full_name": user.full_name, "phone": user.phone or "", "email": user.email or "",
            "role": user.role.value if isinstance(user.role, Role) else user.role,
            "unit_id": str(user.unit_id or ""), "agency_id": str(user.agency_id or ""), "unit_q": "",
            "version": str(user.version)}


# --- user list ---------------------------------------------------------------------------------

@router.get("/admin/users")
def users_page(request: Request, session: DbSession, user: PageUser,
               role: str = "", unit_id: str = "", q: Annotated[str, Query(max_length=100)] = "",
               status: str = "", cursor: str | None = None):
    # A unit that is not an id is dropped from the filter, as the list offers none.
    unit = parse_value(form_int(grouped=False), unit_id)
    active = {"active": True, "inactive": False}.get(status)
    f = queries.UserFilter(role=Role(role) if role in Role.__members__ else None, unit_id=unit, q=q,
                           is_active=active, limit=50, cursor=cursor)
    rows, next_cursor = queries.list_users(session, user, f)
    context = {
        "rows": rows, "next_cursor": next_cursor, "role_labels": ROLE_LABELS,
        "filter": {"role": role, "unit_id": unit_id, "q": q, "status": status},
        "filter_units": queries.user_units(session, user),
        "unit_names": queries.unit_labels(session, [u.unit_id for u in rows]),
        "can_create": bool(_grantable_roles(user)),
    }
    return render(request, "accounts/users.html", context, fragment="accounts/_user_rows.html")


@router.get("/admin/unit-options")
def unit_options(request: Request, session: DbSession, user: PageUser,
                 unit_q: Annotated[str, Query(max_length=100)] = "", unit_id: str = ""):
    """The <option>s of the scope-unit picker, searched as the user types (htmx)."""
    if not access.can_list_users(user):
        raise access.Forbidden()
    form = {"unit_q": unit_q, "unit_id": unit_id}
    return render(request, "accounts/_unit_options.html", _form_context(session, user, form, {}))


# --- create --------------------------------------------------------------------------------------

@router.get("/admin/users/new")
def new_user_page(request: Request, session: DbSession, user: PageUser):
    roles = _grantable_roles(user)
    if not roles:
        raise access.Forbidden()
    form = {"role": Role.reporter.value if Role.reporter.value in roles else roles[0], "unit_id": str(user.unit_id or ""), "unit_q": ""}
    return render(request, "accounts/user_form.html", _form_context(session, user, form, {}))


@router.post("/admin/users")
def create_user(request: Request, session: DbSession, user: PageUser,
                username: Annotated[str, Form()] = "", full_name: Annotated[str, Form()] = "",
                phone: Annotated[str, Form()] = "", email: Annotated[str, Form()] = "",
                role: Annotated[str, Form()] = "", unit_id: Annotated[str, Form()] = "",
                agency_id: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
                unit_q: Annotated[str, Form()] = "", action: Annotated[str, Form()] = "save"):
    if not _grantable_roles(user):
        raise access.Forbidden()
    form = {"username": username, "full_name": full_name, "phone": phone, "email": email, "role": role,
            "unit_id": unit_id, "agency_id": agency_id, "unit_q": unit_q}
    if action == "search_unit":
        return render(request, "accounts/user_form.html", _form_context(session, user, form, {}))
    choices, errors = parse_form(UserChoices, {"unit_id": unit_id, "agency_id": agency_id})
    unit, agency = (choices.unit_id, choices.agency_id) if choices else (None, None)
    try:
        data = UserCreate(username=username.strip(), full_name=full_name.strip(), phone=phone.strip() or None,
                          email=email.strip() or None, role=role, unit_id=unit, agency_id=agency, password=password)
    except ValidationError as exc:
        errors = _validation_errors(exc) | errors
    if not errors:
        try:
            created = services.create_user(session, data, user=user)
        except services.UserInputError as exc:
            errors[exc.field] = exc.message
        else:
            return RedirectResponse(f"/admin/users/{created.id}?created=1", status_code=303)
    return render(request, "accounts/user_form.html", _form_context(session, user, form, errors), status_code=422)


# --- edit, deactivate, reset password --------------------------------------------------------------

def _edit_context(session, actor: User, target: User, form: dict | None = None, errors: dict | None = None,
                  **extra) -> dict:
    can_manage = target.id != actor.id and access.can_manage_user(
        session, actor, target.role, target.unit_id, target.agency_id)
    tokens = []
    if actor.role == Role.admin or actor.id == target.id:
        tokens, _ = queries.list_tokens(session, actor, queries.TokenFilter(user_id=target.id, limit=100))
    context = _form_context(session, actor, form or _user_form(target), errors or {}, target, can_manage=can_manage,
                            tokens=tokens, password_error=None, status_error=None, notice=None,
                            now=utcnow())
    context["unit_names"].update(queries.unit_labels(session, [target.unit_id]))
    context.update(extra)
    return context


@router.get("/admin/users/{user_id}")
def user_page(user_id: int, request: Request, session: DbSession, user: PageUser,
              created: str = "", saved: str = "", password: str = ""):
    target = queries.get_user(session, user, user_id)
    if not access.can_list_users(user):
        raise access.Forbidden()
    notice = ("Đã tạo người dùng." if created else "Đã lưu thay đổi." if saved else
              "Đã đặt mật khẩu mới." if password else None)
    return render(request, "accounts/user_form.html", _edit_context(session, user, target, notice=notice))


@router.post("/admin/users/{user_id}")
def update_user(user_id: int, request: Request, session: DbSession, user: PageUser,
                full_name: Annotated[str, Form()] = "", phone: Annotated[str, Form()] = "",
                email: Annotated[str, Form()] = "", role: Annotated[str, Form()] = "",
                unit_id: Annotated[str, Form()] = "", agency_id: Annotated[str, Form()] = "",
                unit_q: Annotated[str, Form()] = "", action: Annotated[str, Form()] = "save",
                version: Annotated[str, Form()] = ""):
    target = queries.get_user(session, user, user_id)
    form = {"username": target.username, "full_name": full_name, "phone": phone, "email": email, "role": role,
            "unit_id": unit_id, "agency_id": agency_id, "unit_q": unit_q, "version": version}
    if action == "search_unit":
        return render(request, "accounts/user_form.html", _edit_context(session, user, target, form))
    choices, errors = parse_form(UserChoices, {"unit_id": unit_id, "agency_id": agency_id, "version": version})
    unit, agency, seen = (choices.unit_id, choices.agency_id, choices.version) if choices else (None, None, None)
    try:
        data = UserUpdate(full_name=full_name.strip(), phone=phone.strip() or None, email=email.strip() or None,
                          role=role or target.role, unit_id=unit, agency_id=agency, version=seen or 0)
    except ValidationError as exc:
        errors = _validation_errors(exc) | errors
    status = 422
    if not errors:
        try:
            services.update_user(session, target, data, user=user)
        except services.UserInputError as exc:
            errors[exc.field] = exc.message
        except StaleVersion as exc:
            if exc.current is None:
                raise access.NotFound()
            # What was typed stays; saving again (now from the current version) overwrites.
            target, status = exc.current, 409
            form["version"] = str(target.version)
            errors["version"] = STALE_MESSAGE
        else:
            return RedirectResponse(f"/admin/users/{target.id}?saved=1", status_code=303)
    session.refresh(target)
    return render(request, "accounts/user_form.html", _edit_context(session, user, target, form, errors),
                  status_code=status)


@router.post("/admin/users/{user_id}/deactivate")
def deactivate_user(user_id: int, request: Request, session: DbSession, user: PageUser):
    target = queries.get_user(session, user, user_id)
    try:
        services.deactivate_user(session, target, user=user)
    except services.UserInputError as exc:
        session.refresh(target)
        return render(request, "accounts/user_form.html",
                      _edit_context(session, user, target, status_error=exc.message), status_code=422)
    return RedirectResponse(f"/admin/users/{target.id}?saved=1", status_code=303)


@router.post("/admin/users/{user_id}/activate")
def activate_user(user_id: int, session: DbSession, user: PageUser):
    target = queries.get_user(session, user, user_id)
    services.update_user(session, target, UserUpdate(is_active=True, version=target.version), user=user)
    return RedirectResponse(f"/admin/users/{target.id}?saved=1", status_code=303)


@router.post("/admin/users/{user_id}/password")
def reset_password(user_id: int, request: Request, session: DbSession, user: PageUser,
                   password: Annotated[str, Form()] = "", password_again: Annotated[str, Form()] = ""):
    target = queries.get_user(session, user, user_id)
    if target.id != user.id and not access.can_manage_user(session, user, target.role, target.unit_id,
                                                           target.agency_id):
        raise access.Forbidden()
    error = "Hai lần nhập mật khẩu không khớp." if password != password_again else None
    if error is None:
        try:
            own = getattr(request.state, "auth_session", None) if target.id == user.id else None
            services.set_password(session, target, password, user=user, keep_session_id=own.id if own else None)
        except services.UserInputError as exc:
            error = exc.message
        else:
            return RedirectResponse(f"/admin/users/{target.id}?password=1", status_code=303)
    return render(request, "accounts/user_form.html", _edit_context(session, user, target, password_error=error),
                  status_code=422)


# --- tokens --------------------------------------------------------------------------------------

@router.get("/admin/tokens")
def tokens_page(request: Request, session: DbSession, user: PageUser, status: str = "active",
                cursor: str | None = None):
    if user.role != Role.admin:
        raise access.Forbidden()
    active = {"active": True, "inactive": False}.get(status)
    rows, next_cursor = queries.list_tokens(session, user, queries.TokenFilter(active=active, limit=100,
                                                                               cursor=cursor))
    return render(request, "accounts/tokens.html",
                  {"rows": rows, "next_cursor": next_cursor, "status": status, "admin_view": True,
                   "new_token": None, "errors": {}, "name": "", "now": utcnow()})


def _my_tokens(request, session, user: User, status_code: int = 200, **extra):
    rows, _ = queries.list_tokens(session, user, queries.TokenFilter(user_id=user.id, limit=200))
    # Each rendering of the form gets its own request id: sending it again makes no second token.
    context = {"rows": rows, "next_cursor": None, "status": "", "admin_view": False, "new_token": None,
               "errors": {}, "name": "", "now": utcnow(), "request_id": str(uuid.uuid4()), "already_made": None}
    context.update(extra)
    return render(request, "accounts/tokens.html", context, status_code=status_code)


@router.get("/account/tokens")
def my_tokens_page(request: Request, session: DbSession, user: PageUser):
    return _my_tokens(request, session, user)


@router.post("/account/tokens")
def create_my_token(request: Request, session: DbSession, user: PageUser, name: Annotated[str, Form()] = "",
                    request_id: Annotated[str, Form()] = ""):
    name = name.strip()
    if not name or len(name) > 100:
        return _my_tokens(request, session, user, 422, name=name,
                          errors={"name": "Đặt tên cho mã (1–100 ký tự), ví dụ: “Cổng thông tin tỉnh”."})
    raw, token = services.issue_token(session, user, name, request_id=_request_id(request_id))
    if raw is None:
        return _my_tokens(request, session, user, already_made=token)
    # The token is shown once, on this response, and never again; do not let anything cache it.
    response = _my_tokens(request, session, user, 201, new_token=raw)
    response.headers["Cache-Control"] = "no-store"
    return response


def _request_id(value: str) -> str | None:
    """The form's one-time id (a second post of the same form makes no second token); none if garbled."""
    read = parse_value(FormUuid, value)
    return str(read) if read else None


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: int, session: DbSession, user: PageUser, next: Annotated[str, Form()] = "/account/tokens"):
    token = queries.get_token(session, user, token_id)
    services.revoke_token(session, token, user=user)
    return RedirectResponse(_safe_next(next), status_code=303)
