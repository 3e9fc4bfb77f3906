"""Reading users and API tokens: the filters shared by the admin pages and the JSON API."""
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlmodel import Session

from app import access
from app.accounts.models import ApiToken, Role, User
from app.agencies.models import Agency
from app.core.clock import utcnow
from app.core.pagination import DEFAULT_LIMIT, after_key, decode_cursor, fetch_page
from app.core.text import search_key
from app.units.models import Unit


@dataclass
class UserFilter:
    role: Role | None = None
    unit_id: int | None = None
    q: str | None = None
    is_active: bool | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


def list_users(session: Session, actor: User, f: UserFilter) -> tuple[list[User], str | None]:
    """Users the actor may see, by username (keyset pagination)."""
    if not access.can_list_users(actor):
        raise access.Forbidden()
    query = select(User).where(access.user_scope_condition(session, actor))
    if f.role:
        query = query.where(User.role == f.role)
    if f.unit_id is not None:
        query = query.where(User.unit_id == f.unit_id)
    if f.is_active is not None:
        query = query.where(User.is_active.is_(f.is_active))
    text = (f.q or "").strip().lower()
    if text:
        like = f"%{text}%"
        query = query.where(or_(User.username.like(like), User.full_name.ilike(like), User.phone.like(like)))
    after = decode_cursor(f.cursor, str, int)
    if after:
        query = query.where(after_key((User.username, User.id), after))
    return fetch_page(session, query.order_by(User.username, User.id), f.limit, lambda u: [u.username, u.id])


def get_user(session: Session, actor: User, user_id: int) -> User:
    """A user the actor may see, or 404."""
    query = select(User).where(User.id == user_id, access.user_scope_condition(session, actor))
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        raise access.NotFound()
    return found


def user_units(session: Session, actor: User) -> list[Unit]:
    """The scope units of the users the actor sees (for the unit filter of the user list)."""
    ids = select(User.unit_id).where(access.user_scope_condition(session, actor), User.unit_id.is_not(None))
    return list(session.execute(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.search_name)).scalars())


def unit_options(session: Session, actor: User, q: str = "", selected: int | None = None, limit: int = 50) -> list[Unit]:
    """Units the actor may choose as a scope: matching `q`, or the top of the actor's scope."""
    query = select(Unit).where(Unit.id.in_(access.visible_unit_ids(session, actor)))
    key = search_key(q)
    if key:
        query = query.where(Unit.search_name.contains(key, autoescape=True)).order_by(Unit.level, Unit.search_name)
    elif actor.unit_id is not None:
        query = query.where(or_(Unit.id == actor.unit_id, Unit.parent_id == actor.unit_id)).order_by(
            Unit.level, Unit.search_name)
    else:
        query = query.where(Unit.level == "province").order_by(Unit.valid_to.is_not(None), Unit.search_name)
    rows = list(session.execute(query.limit(limit)).scalars())
    if selected is not None and all(u.id != selected for u in rows):
        chosen = session.get(Unit, selected)
        if chosen is not None:
            rows.insert(0, chosen)
    return rows


def agency_options(session: Session, actor: User, limit: int = 300) -> list[Agency]:
    query = select(Agency)
    if not access.is_national_admin(actor):
        query = query.where(Agency.unit_id.in_(access.visible_unit_ids(session, actor)))
    if (agency_id := access.limited_to_agency(actor)) is not None:
        query = query.where(Agency.id == agency_id)
    return list(session.execute(query.order_by(Agency.search_name).limit(limit)).scalars())


@dataclass
class TokenFilter:
    user_id: int | None = None
    active: bool | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


def list_tokens(session: Session, actor: User, f: TokenFilter) -> tuple[list[tuple[ApiToken, str]], str | None]:
    """(token, owner's username) pairs the actor may see, newest first."""
    query = (select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
             .where(access.token_scope_condition(actor)))
    if f.user_id is not None:
        query = query.where(ApiToken.user_id == f.user_id)
    if f.active is True:
        query = query.where(ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())
    elif f.active is False:
        query = query.where(or_(ApiToken.revoked_at.is_not(None), ApiToken.expires_at <= utcnow()))
    after = decode_cursor(f.cursor, int)
    if after:
        query = query.where(ApiToken.id < after[0])
    rows, next_cursor = fetch_page(session, query.order_by(ApiToken.id.desc()), f.limit, lambda r: [r[0].id],
                                   scalars=False)
    return [(t, name) for t, name in rows], next_cursor


def get_token(session: Session, actor: User, token_id: int) -> ApiToken:
    query = select(ApiToken).where(ApiToken.id == token_id, access.token_scope_condition(actor))
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        raise access.NotFound()
    return found


def unit_labels(session: Session, ids) -> dict[int, str]:
    """Readable names of units, with their province and era: "Xã An Lão, Thành phố Hải Phòng"."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    units = {u.id: u for u in session.execute(select(Unit).where(Unit.id.in_(wanted))).scalars()}
    province_ids = {u.province_id for u in units.values() if u.province_id and u.province_id != u.id}
    provinces = {u.id: u for u in session.execute(select(Unit).where(Unit.id.in_(province_ids))).scalars()} \
        if province_ids else {}
    labels = {}
    for uid, u in units.items():
        label = u.name
        province = provinces.get(u.province_id)
        if province is not None and province.id != u.id:
            label += f", {province.name}"
        if u.is_legacy:
            label += " (trước 1/7/2025)"
        labels[uid] = label
    return labels
