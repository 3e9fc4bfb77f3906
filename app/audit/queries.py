"""Reading the audit trail: the one filter shared by the audit page and GET /api/v1/audit."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlmodel import Session

from app import access
from app.accounts.models import User
from app.audit.models import AuditEntry
from app.core.clock import VN_TZ
from app.core.pagination import DEFAULT_LIMIT, after_key, decode_cursor, fetch_page


@dataclass
class AuditFilter:
    entity: str | None = None
    entity_id: str | None = None
    user_id: int | None = None
    since: date | None = None  # first day included, Vietnamese calendar
    until: date | None = None  # last day included
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=VN_TZ)


def audit_query(session: Session, actor: User, f: AuditFilter):
    """SELECT (AuditEntry, username) the actor may read, newest first; 403 for roles without audit."""
    if not access.can_read_audit(actor):
        raise access.Forbidden("Chỉ quản trị và cán bộ thẩm định xem được nhật ký.")
    query = (select(AuditEntry, User.username).outerjoin(User, User.id == AuditEntry.user_id)
             .where(access.audit_scope_condition(session, actor)))
    if f.entity:
        query = query.where(AuditEntry.entity == f.entity)
    if f.entity_id:
        query = query.where(AuditEntry.entity_id == str(f.entity_id))
    if f.user_id is not None:
        query = query.where(AuditEntry.user_id == f.user_id)
    if f.since:
        query = query.where(AuditEntry.at >= _day_start(f.since))
    if f.until:
        query = query.where(AuditEntry.at < _day_start(f.until + timedelta(days=1)))
    return query


def list_entries(session: Session, actor: User, f: AuditFilter) -> tuple[list[tuple[AuditEntry, str | None]], str | None]:
    query = audit_query(session, actor, f)
    after = decode_cursor(f.cursor, datetime.fromisoformat, int)
    if after:
        query = query.where(after_key((AuditEntry.at, AuditEntry.id), after, descending=True))
    rows, next_cursor = fetch_page(session, query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()), f.limit,
                                   lambda r: [r[0].at.isoformat(), r[0].id], scalars=False)
    return [(entry, name) for entry, name in rows], next_cursor


def entities(session: Session, actor: User) -> list[str]:
    query = select(AuditEntry.entity).where(access.audit_scope_condition(session, actor)).distinct()
    return sorted(session.execute(query).scalars())
