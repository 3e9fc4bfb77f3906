"""Login throttling, counted in the database so that every worker process shares the limits.

Before its password is checked, a sign-in attempt takes one slot in each of three counters:

- the username from this client address: 5 attempts per 15 minutes;
- the client address, whatever the username: 30 per 15 minutes (one guess sprayed over many
  usernames);
- the username from anywhere: 50 per hour (many addresses against one account).

An attempt that would go over a limit takes no slot and checks no password. A successful sign-in
gives its slots back and clears the username-and-address counter, so only failures add up. The
per-address lock means a stranger's failures do not lock the owner out from another address; the
per-username bound is ten times higher, and a password reset lifts it.

Each counter is one row, incremented by `INSERT … ON CONFLICT DO UPDATE … RETURNING` (atomic on
SQLite and PostgreSQL alike), all three in one transaction that is rolled back when a limit is
reached: whatever the concurrency, no more passwords are checked than the limits allow.
"""
import hashlib
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.accounts.models import LoginThrottle
from app.core.clock import utcnow
from app.core.db import write_lock
from app.core.types import UTCDateTime

USERNAME_RE = re.compile(r"^[a-z0-9_.\-]{1,64}$")


@dataclass(frozen=True)
class Limit:
    scope: str
    attempts: int
    window: timedelta


USER_AT_ADDRESS = Limit("user_address", 5, timedelta(minutes=15))
ADDRESS = Limit("address", 30, timedelta(minutes=15))
USER = Limit("user", 50, timedelta(hours=1))
LONGEST_WINDOW = max(USER_AT_ADDRESS.window, ADDRESS.window, USER.window)


class LoginThrottled(Exception):
    """Too many attempts: `limit` says which counter is full, `retry_after` in seconds."""

    def __init__(self, limit: Limit, retry_after: int):
        super().__init__(limit.scope)
        self.limit = limit
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.retry_after / 60))
        if self.limit is USER_AT_ADDRESS:
            return f"Đăng nhập sai quá 5 lần trong 15 phút. Vui lòng thử lại sau {minutes} phút."
        if self.limit is ADDRESS:
            return (f"Có quá nhiều lần đăng nhập sai từ địa chỉ mạng này (30 lần trong 15 phút). "
                    f"Vui lòng thử lại sau {minutes} phút.")
        return (f"Tài khoản này bị đăng nhập sai quá nhiều lần (50 lần trong một giờ) nên tạm thời bị chặn. "
                f"Vui lòng thử lại sau {minutes} phút hoặc nhờ quản trị viên đặt lại mật khẩu.")


@dataclass(frozen=True)
class Slot:
    limit: Limit
    key: str
    window_start: datetime


def counter_name(username: str) -> str:
    """The name a username is counted under: itself when it could be a real one, else a digest
    (any text may be typed into the login form; it cannot name an account, but is counted)."""
    if USERNAME_RE.match(username):
        return username
    return "#" + hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _address(address: str | None) -> str:
    return (address or "unknown")[:64]


def _insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _take(session: Session, limit: Limit, key: str, username: str, now: datetime) -> tuple[int, datetime]:
    """Adds one attempt to the counter (starting a new window when the last one is over)."""
    table = LoginThrottle.__table__
    at_now = literal(now, UTCDateTime())
    expired = table.c.window_start <= literal(now - limit.window, UTCDateTime())
    statement = _insert(session)(table).values(key=key, username=username, window_start=now, attempts=1)
    statement = statement.on_conflict_do_update(index_elements=[table.c.key], set_={
        "attempts": case((expired, 1), else_=table.c.attempts + 1),
        "window_start": case((expired, at_now), else_=table.c.window_start),
    }).returning(table.c.attempts, table.c.window_start)
    attempts, window_start = session.execute(statement).one()
    return attempts, window_start


def take_slots(session: Session, username: str, address: str | None) -> list[Slot]:
    """One slot in each counter for this attempt, committed; or LoginThrottled with nothing taken.
    Run it first in the session's transaction."""
    name, address = counter_name(username), _address(address)
    counters = ((USER_AT_ADDRESS, f"ua:{name}|{address}", name), (ADDRESS, f"a:{address}", ""),
                (USER, f"u:{name}", name))
    now = utcnow()
    slots, full = [], []
    # Always in this order, so that two attempts never wait on each other's rows in a cycle.
    with write_lock(session):
        for limit, key, counted_name in counters:
            attempts, window_start = _take(session, limit, key, counted_name, now)
            slots.append(Slot(limit, key, window_start))
            if attempts > limit.attempts:
                full.append((window_start + limit.window - now, limit))
        # Their own short transaction, committed before the password is checked: a refused or
        # failed sign-in (whose unit of work is rolled back) still counts.
        if full:
            session.rollback()
        else:
            session.commit()
    if full:
        wait, limit = max(full, key=lambda f: f[0])
        raise LoginThrottled(limit, max(1, math.ceil(wait.total_seconds())))
    return slots


def give_back(session: Session, slots: list[Slot]) -> None:
    """After a successful sign-in: its slots are returned and the username-and-address counter
    starts again. Counters whose window is over are deleted. Committed at once, like `take_slots`:
    the shared counters are never held locked while the sign-in goes on."""
    table = LoginThrottle.__table__
    for slot in slots:
        if slot.limit is USER_AT_ADDRESS:
            session.execute(delete(table).where(table.c.key == slot.key))
        else:
            session.execute(update(table).where(table.c.key == slot.key, table.c.window_start == slot.window_start,
                                                table.c.attempts > 0).values(attempts=table.c.attempts - 1))
    session.execute(delete(table).where(table.c.window_start < utcnow() - LONGEST_WINDOW))
    session.commit()


def forget_user(session: Session, username: str) -> None:
    """Clears every counter of a username (after its password was reset), with the reset."""
    table = LoginThrottle.__table__
    session.execute(delete(table).where(table.c.username == counter_name(username)))
