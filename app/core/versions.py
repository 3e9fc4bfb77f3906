"""Optimistic concurrency: a record changed by someone else since you read it is not overwritten.

Every versioned table (activity, plan, task, user) has a `version` column that SQLAlchemy checks in
the same statement that writes the row: `UPDATE … SET …, version = v + 1 WHERE id = :id AND
version = :v` (and `DELETE … WHERE id = :id AND version = :v`). Of two writers that read the same
version, the database lets exactly one match; the other matches no row and its whole transaction is
rolled back (its audit row included). A client also sends the version it last read, which the
services compare with the stored one before writing, so a stale form or API call is refused even
when nobody is writing at the same moment.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import declared_attr
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

STALE_MESSAGE = ("Bản ghi đã được người khác thay đổi sau khi bạn mở. Nội dung bạn nhập vẫn được giữ: "
                 "kiểm tra rồi bấm lưu lần nữa để ghi đè.")


class StaleVersion(Exception):
    """The client's version is not the stored one, or another write won the race: 409 with the
    stored record (`current`, None when it was deleted meanwhile)."""

    def __init__(self, current: Any, message: str = STALE_MESSAGE):
        super().__init__(message)
        self.current = current
        self.message = message


def version_checked(*, bumped_by_code: bool = False):
    """`__mapper_args__` for a table with a `version` column. By default SQLAlchemy bumps the version
    on every change of the row; with `bumped_by_code` the services decide when it moves (an
    activity's version moves on edits and review steps, not when a photo is attached), and the
    check still guards every write."""

    @declared_attr
    def __mapper_args__(cls):
        args: dict[str, Any] = {"version_id_col": cls.__table__.c.version}
        if bumped_by_code:
            args["version_id_generator"] = False
        return args

    return __mapper_args__


def require_version(record: Any, version: int | None) -> None:
    """Refuses a change made from an older (or missing) version of `record`."""
    if version is None or version != record.version:
        raise StaleVersion(record)


@contextmanager
def stale_is_conflict(session: Session, record: Any) -> Iterator[None]:
    """Turns the database's refusal of a stale write (another writer won) into StaleVersion,
    carrying the record as it is now."""
    try:
        yield
    except StaleDataError:
        session.rollback()
        raise StaleVersion(reload(session, record))


def reload(session: Session, record: Any) -> Any:
    """The stored record again (None when it no longer exists), read fresh from the database."""
    identity = inspect(record).identity
    return session.get(type(record), identity[0] if len(identity) == 1 else identity, populate_existing=True)
