"""Every change to users, sessions and tokens. Each function checks, audits and commits once."""
import re
import secrets
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.accounts import access
from app.accounts.models import ApiToken, AuthSession, LoginAttempt, Role, User, UserCreate, UserUpdate
from app.accounts.security import hash_password, new_token, token_hash, verify_password
from app.agencies.models import Agency
from app.audit.services import record, snapshot
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.versions import require_version, stale_is_conflict
from app.units.models import Unit

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)


class LoginThrottled(Exception):
    """Too many failed logins for this username within the window."""


class UserInputError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _is_throttled(session: Session, username: str) -> bool:
    since = utcnow() - THROTTLE_WINDOW
    last_success = session.execute(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.username == username, LoginAttempt.succeeded.is_(True))
    ).scalar_one_or_none()
    query = select(func.count()).where(LoginAttempt.username == username, LoginAttempt.succeeded.is_(False),
                                       LoginAttempt.at > since)
    if last_success is not None:
        query = query.where(LoginAttempt.at > last_success)
    return session.execute(query).scalar_one() >= MAX_FAILURES


def authenticate(session: Session, username: str, password: str) -> User | None:
    """Checks a password, counting failures in the database so the limit holds across workers."""
    username = username.strip().lower()
    if _is_throttled(session, username):
        raise LoginThrottled()
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    ok = user is not None and user.is_active and verify_password(user.password_hash, password)
    session.add(LoginAttempt(username=username, succeeded=ok))
    session.commit()
    return user if ok else None


def start_session(session: Session, user: User) -> tuple[str, AuthSession]:
    cookie = new_token()
    auth = AuthSession(token_hash=token_hash(cookie), user_id=user.id, csrf_token=secrets.token_urlsafe(24))
    session.add(auth)
    record(session, user=user, entity="session", entity_id=user.id, action="login", unit_id=user.unit_id)
    session.commit()
    return cookie, auth


def end_session(session: Session, auth: AuthSession, *, user: User) -> None:
    auth.ended_at = utcnow()
    session.add(auth)
    record(session, user=user, entity="session", entity_id=user.id, action="logout", unit_id=user.unit_id)
    session.commit()


def issue_token(session: Session, user: User, name: str = "", request_id: str | None = None
                ) -> tuple[str | None, ApiToken]:
    """A new token: (its value, shown once, row). The same `request_id` again (a form sent twice)
    answers (None, the token it made) instead of making another."""
    if request_id is not None and (earlier := _token_of_request(session, user, request_id)) is not None:
        return None, earlier
    raw = new_token("loa_")
    row = ApiToken(user_id=user.id, name=name[:100], prefix=raw[:10], token_hash=token_hash(raw),
                   expires_at=utcnow() + timedelta(days=get_settings().token_days), request_id=request_id)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        if request_id is None:
            raise
        # The same form, sent twice at once: the other copy made the token.
        return None, _token_of_request(session, user, request_id)
    record(session, user=user, entity="api_token", entity_id=row.id, action="create",
           after={"name": row.name, "prefix": row.prefix}, unit_id=user.unit_id)
    session.commit()
    return raw, row


def _token_of_request(session: Session, user: User, request_id: str) -> ApiToken | None:
    query = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.request_id == request_id)
    return session.execute(query).scalars().first()


def revoke_token(session: Session, token: ApiToken, *, user: User) -> ApiToken:
    if token.user_id != user.id and user.role != Role.admin:
        raise access.NotFound()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        record(session, user=user, entity="api_token", entity_id=token.id, action="revoke",
               after={"revoked_at": token.revoked_at.isoformat()}, unit_id=user.unit_id)
        session.commit()
    return token


def _check_grant(session: Session, actor: User | None, role: Role, unit_id: int | None, agency_id: int | None):
    if role != Role.admin and unit_id is None:
        raise UserInputError("unit_id", "Cần chọn đơn vị phạm vi cho vai trò này.")
    if unit_id is not None and session.get(Unit, unit_id) is None:
        raise UserInputError("unit_id", "Không có đơn vị này.")
    if agency_id is not None and session.get(Agency, agency_id) is None:
        raise UserInputError("agency_id", "Không có cơ quan này.")
    if actor is not None and not access.can_manage_user(session, actor, role, unit_id, agency_id):
        raise access.Forbidden("Bạn không thể cấp vai trò hoặc phạm vi này.")


def _check_email(email: str | None) -> None:
    if email and not EMAIL_RE.match(email):
        raise UserInputError("email", "Địa chỉ email không hợp lệ.")


def create_user(session: Session, data: UserCreate, *, user: User | None) -> User:
    """`user` is the acting user, or None for the command line."""
    username = data.username.strip().lower()
    _check_email(data.email)
    _check_grant(session, user, data.role, data.unit_id, data.agency_id)
    if session.execute(select(User.id).where(User.username == username)).first():
        raise UserInputError("username", "Tên đăng nhập đã tồn tại.")
    new = User(**data.model_dump(exclude={"password", "username"}), username=username,
               password_hash=hash_password(data.password))
    session.add(new)
    session.flush()
    record(session, user=user, entity="user", entity_id=new.id, action="create", after=snapshot(new),
           unit_id=new.unit_id)
    session.commit()
    return new


def update_user(session: Session, target: User, data: UserUpdate, *, user: User) -> User:
    """A change made from `data.version`; StaleVersion when the account changed since."""
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    for required in ("role", "is_active", "full_name"):
        if required in changes and changes[required] is None:
            raise UserInputError(required, "Trường này không được để trống.")
    if not access.can_manage_user(session, user, target.role, target.unit_id, target.agency_id):
        raise access.Forbidden()
    _check_email(changes.get("email"))
    if target.id == user.id and (changes.get("is_active") is False or changes.get("role", user.role) != user.role):
        raise access.Forbidden("Bạn không thể tự khóa hoặc đổi vai trò của chính mình.")
    before = snapshot(target)
    role = changes.get("role", target.role)
    unit_id = changes.get("unit_id", target.unit_id)
    agency_id = changes.get("agency_id", target.agency_id)
    _check_grant(session, user, role, unit_id, agency_id)
    require_version(target, data.version)
    with stale_is_conflict(session, target):
        for key, value in changes.items():
            setattr(target, key, value)
        target.updated_at = utcnow()
        session.add(target)
        session.flush()  # the versioned UPDATE first: of two edits from the same version, one stops here
        record(session, user=user, entity="user", entity_id=target.id, action="update", before=before,
               after=snapshot(target), unit_id=target.unit_id)
        session.commit()
    return target


def deactivate_user(session: Session, target: User, *, user: User) -> User:
    """Locks the account and ends its browser sessions; its API tokens stop working too."""
    if target.id == user.id:
        raise access.Forbidden("Bạn không thể tự khóa tài khoản của mình.")
    if not access.can_manage_user(session, user, target.role, target.unit_id, target.agency_id):
        raise access.Forbidden()
    if not target.is_active:
        return target
    before = snapshot(target)
    target.is_active = False
    target.updated_at = utcnow()
    session.add(target)
    now = utcnow()
    for auth in session.execute(select(AuthSession).where(AuthSession.user_id == target.id,
                                                          AuthSession.ended_at.is_(None))).scalars():
        auth.ended_at = now
        session.add(auth)
    record(session, user=user, entity="user", entity_id=target.id, action="deactivate", before=before,
           after=snapshot(target), unit_id=target.unit_id)
    session.commit()
    return target


def set_password(session: Session, target: User, password: str, *, user: User | None) -> User:
    if len(password) < 8:
        raise UserInputError("password", "Mật khẩu cần ít nhất 8 ký tự.")
    if user is not None and user.id != target.id and not access.can_manage_user(
            session, user, target.role, target.unit_id, target.agency_id):
        raise access.Forbidden()
    target.password_hash = hash_password(password)
    target.updated_at = utcnow()
    session.add(target)
    record(session, user=user, entity="user", entity_id=target.id, action="set_password",
           after={"password_changed": True}, unit_id=target.unit_id)
    session.commit()
    return target
