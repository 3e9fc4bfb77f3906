"""The province each entry carries (`Activity.province_id`): where its unit lies today.

A province's lists and review queue are read from indexes that begin with it, so the column must
be right on every entry, or the entry drops out of its province's pages. It is set:
- on every insert: by `fill` for the rows inserted as plain rows (logging, bulk import, the demo
  data and its COPY), by the hook below for entries added through the ORM;
- when an edit moves an entry to another unit (the hook below, before the UPDATE);
- when units change province (`loa units load` with a new mapping): `refresh`.
"""
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, inspect, select, text, update
from sqlalchemy.engine import Connection
from sqlmodel import Session

from app.activities.models import Activity
from app.units.models import Unit, today_province_id


def of_units(connection: Connection | Session, unit_ids: Iterable[int]) -> dict[int, int | None]:
    """Today's province of each unit (one query)."""
    ids = set(unit_ids)
    if not ids:
        return {}
    return dict(connection.execute(select(Unit.id, today_province_id()).where(Unit.id.in_(ids))).all())


def fill(connection: Connection | Session, rows: list[dict[str, Any]]) -> None:
    """Sets `province_id` on plain rows about to be inserted (one query for the batch)."""
    provinces = of_units(connection, {row["unit_id"] for row in rows})
    for row in rows:
        row["province_id"] = provinces.get(row["unit_id"])


def unit_provinces(session: Session) -> dict[int, tuple[int | None, int | None]]:
    """Each unit's province of the day and today's: compared before and after a load of the units."""
    return {r.id: (r.province_id, r.current_province_id)
            for r in session.execute(select(Unit.id, Unit.province_id, Unit.current_province_id))}


def refresh(session: Session) -> int:
    """Gives every entry its unit's province again, where it differs (after units changed province);
    returns the number of entries moved. One UPDATE … FROM unit; it runs on the connection, past the
    activity summary's hooks, since the summary keeps no province of its own per entry (its province
    rows follow the units, see `summary.rebuild_provinces`). On PostgreSQL it gives up after waiting
    30 s for an entry a writer holds, rather than stall behind a transaction left open."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL lock_timeout = '30s'"))
    province = today_province_id()
    statement = (update(Activity.__table__).where(Activity.__table__.c.unit_id == Unit.id,
                                                  Activity.__table__.c.province_id.is_distinct_from(province))
                 .values(province_id=province))
    return session.connection().execute(statement).rowcount


@event.listens_for(Activity, "before_insert")
def _new_entry(mapper, connection: Connection, activity: Activity) -> None:
    if activity.province_id is None and activity.unit_id is not None:
        activity.province_id = of_units(connection, [activity.unit_id]).get(activity.unit_id)


@event.listens_for(Activity, "before_update")
def _moved_entry(mapper, connection: Connection, activity: Activity) -> None:
    if inspect(activity).attrs.unit_id.history.has_changes():
        activity.province_id = of_units(connection, [activity.unit_id]).get(activity.unit_id)
