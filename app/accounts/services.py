"""Every change to users, sessions and tokens. Each function checks and audits; the unit of work commits
(app/core/db.py)."""
import logging
import re
import secrets
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import access
from app.accounts import throttle
from app.accounts.models import ApiToken, AuthSession, Role, User, UserCreate, UserUpdate
from app.accounts.security import hash_password, new_token, stand_in_hash, token_hash, verify_password
from app.accounts.throttle import LoginThrottled  # noqa: F401  (raised by authenticate)
from app.agencies.models import Agency
from app.audit.services import record, snapshot
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.versions import require_version, stale_is_conflict
from app.units.models import Unit

log = logging.getLogger("loa.auth")

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LAST_NATIONAL_ADMIN = ("Đây là quản trị viên toàn quốc cuối cùng còn hoạt động: không thể đổi vai trò, thu hẹp "
                       "phạm vi hay khóa tài khoản này. Hãy cấp quyền quản trị toàn quốc cho một người khác trước.")


class UserInputError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class LastNationalAdmin(UserInputError):
    """The change would leave Loa without an active admin of the whole country."""

    def __init__(self, field: str):
        super().__init__(field, LAST_NATIONAL_ADMIN)


def authenticate(session: Session, username: str, password: str, *, address: str | None) -> User | None:
    """Checks a password from a client address, within the limits of app/accounts/throttle.py
    (raises LoginThrottled beyond them). Unknown, invalid and locked accounts cost the same
    Argon2 verification as real ones, so the answer time does not tell them apart."""
    username = username.strip().lower()
    try:
        slots = throttle.take_slots(session, username, address)
    except LoginThrottled:
        log.warning("login throttled", extra={"username": username})
        raise
    user = None
    if throttle.USERNAME_RE.match(username):
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    verified = verify_password(user.password_hash if user is not None else stand_in_hash(), password)
    if user is None or not user.is_active or not verified:
        log.warning("login failed", extra={"username": username, "known_user": user is not None})
        return None
    throttle.give_back(session, slots)
    return user


class CredentialsChanged(Exception):
    """The password was reset or the account locked while the sign-in was being checked."""


def _check_credentials_unchanged(session: Session, user: User) -> None:
    """Called after a new session or token is flushed, before its commit: a password reset or a
    deactivation that committed meanwhile (and so could not end this new row) refuses it. Reading
    the user row FOR SHARE makes a reset in progress on PostgreSQL wait for this commit, or this
    wait for the reset; on SQLite the flushed insert already holds the write lock."""
    current = session.execute(select(User.password_hash, User.is_active).where(User.id == user.id)
                              .with_for_update(read=True)).one_or_none()
    if current is None or current.password_hash != user.password_hash or not current.is_active:
        session.rollback()
        raise CredentialsChanged()


def start_session(session: Session, user: User) -> tuple[str, AuthSession]:
    cookie = new_token()
    auth = AuthSession(token_hash=token_hash(cookie), user_id=user.id, csrf_token=secrets.token_urlsafe(24))
    session.add(auth)
    record(session, user=user, entity="session", entity_id=user.id, action="login", unit_id=user.unit_id)
    session.flush()
    _check_credentials_unchanged(session, user)
    return cookie, auth


def end_session(session: Session, auth: AuthSession, *, user: User) -> None:
    auth.ended_at = utcnow()
    session.add(auth)
    record(session, user=user, entity="session", entity_id=user.id, action="logout", unit_id=user.unit_id)


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
    _check_credentials_unchanged(session, user)
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
    return new


def _is_active_national_admin(account: User) -> bool:
    return account.is_active and access.is_national_admin(account)


def _lock_national_admins(session: Session) -> None:
    """On PostgreSQL, makes changes to national admins wait for each other, so two admins
    removing each other at once cannot both succeed."""
    session.execute(select(User.id).where(access.national_admin_condition(), User.is_active.is_(True))
                    .order_by(User.id).with_for_update())


def _check_a_national_admin_remains(session: Session, field: str) -> None:
    """After the change is flushed (on SQLite the write lock is held from then on): refuses it
    when no active national admin would remain."""
    remaining = session.execute(select(func.count()).select_from(User).where(
        access.national_admin_condition(), User.is_active.is_(True))).scalar_one()
    if remaining == 0:
        session.rollback()
        raise LastNationalAdmin(field)


def _end_credentials(session: Session, target: User, *, keep_session_id: int | None = None) -> dict[str, int]:
    """Ends every browser session and revokes every API token of `target` (except the session
    `keep_session_id`, the one of a person changing their own password)."""
    now = utcnow()
    sessions = update(AuthSession).where(AuthSession.user_id == target.id, AuthSession.ended_at.is_(None))
    if keep_session_id is not None:
        sessions = sessions.where(AuthSession.id != keep_session_id)
    ended = session.execute(sessions.values(ended_at=now), execution_options={"synchronize_session": False})
    revoked = session.execute(
        update(ApiToken).where(ApiToken.user_id == target.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)
        .values(revoked_at=now), execution_options={"synchronize_session": False})
    return {"sessions_ended": ended.rowcount, "tokens_revoked": revoked.rowcount}


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
    is_active = changes.get("is_active", target.is_active)
    _check_grant(session, user, role, unit_id, agency_id)
    require_version(target, data.version)
    with stale_is_conflict(session, target):
        changed = User(role=role, unit_id=unit_id, is_active=is_active)  # the account as the change leaves it
        removes_national_admin = _is_active_national_admin(target) and not _is_active_national_admin(changed)
        if removes_national_admin:
            _lock_national_admins(session)
        for key, value in changes.items():
            setattr(target, key, value)
        target.updated_at = utcnow()
        session.add(target)
        session.flush()
        if removes_national_admin:
            _check_a_national_admin_remains(
                session, "is_active" if not is_active else "role" if role != Role.admin else "unit_id")
        after = snapshot(target)
        if before["is_active"] and not is_active:
            after.update(_end_credentials(session, target))
        record(session, user=user, entity="user", entity_id=target.id, action="update", before=before,
               after=after, unit_id=target.unit_id)
    return target


def deactivate_user(session: Session, target: User, *, user: User) -> User:
    """Locks the account, ends its browser sessions and revokes its API tokens (reactivating it
    later brings none of them back)."""
    if target.id == user.id:
        raise access.Forbidden("Bạn không thể tự khóa tài khoản của mình.")
    if not access.can_manage_user(session, user, target.role, target.unit_id, target.agency_id):
        raise access.Forbidden()
    if not target.is_active:
        return target
    before = snapshot(target)
    removes_national_admin = _is_active_national_admin(target)
    if removes_national_admin:
        _lock_national_admins(session)
    target.is_active = False
    target.updated_at = utcnow()
    session.add(target)
    session.flush()
    if removes_national_admin:
        _check_a_national_admin_remains(session, "is_active")
    after = snapshot(target) | _end_credentials(session, target)
    record(session, user=user, entity="user", entity_id=target.id, action="deactivate", before=before,
           after=after, unit_id=target.unit_id)
    return target


def set_password(session: Session, target: User, password: str, *, user: User | None,
                 keep_session_id: int | None = None) -> User:
    """A new password ends every session and token of the user (but `keep_session_id`, the
    session of a person changing their own password) and lifts any login block on the username."""
    if len(password) < 8:
        raise UserInputError("password", "Mật khẩu cần ít nhất 8 ký tự.")
    if user is not None and user.id != target.id and not access.can_manage_user(
            session, user, target.role, target.unit_id, target.agency_id):
        raise access.Forbidden()
    target.password_hash = hash_password(password)
    target.updated_at = utcnow()
    session.add(target)
    ended = _end_credentials(session, target, keep_session_id=keep_session_id)
    throttle.forget_user(session, target.username)
    record(session, user=user, entity="user", entity_id=target.id, action="set_password",
           after={"password_changed": True, **ended}, unit_id=target.unit_id)
    session.flush()
    return target
