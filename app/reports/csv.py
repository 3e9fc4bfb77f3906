"""The activity list as CSV: UTF-8 with a byte-order mark (so Excel reads Vietnamese), streamed."""
import csv
import io
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.accounts.models import User
from app.activities.queries import ActivityFilter
from app.reports.columns import (EPOCH, KEEP_FORMS, CellForms, Column, columns_for, describe_filter, generated_line,
                                 inert, local_elapsed, stream_rows)

BOM = "\ufeff"
FLUSH_EVERY = 500
MINUTES = [f"{m // 60:02d}:{m % 60:02d}" for m in range(24 * 60)]  # the times of day, HH:MM


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, (int, float)):
        return str(value)
    return inert(str(value))


def _formatter(column: Column) -> Callable[[Any], Any]:
    """What a column's raw value becomes in the file, decided once per export: dates the Vietnamese
    way, text never as a formula (see `inert`), numbers as they are (the csv module writes them),
    "" for no value (as the csv module writes None)."""
    convert = column.convert
    if column.kind == "date" and convert is None:
        return lambda value: "" if value is None else _cell(value)
    if column.kind == "datetime" and convert is None:
        days: dict[int, str] = {}

        def moment(value):
            """strftime("%d/%m/%Y %H:%M") of the time in Vietnam, each day's text made once."""
            if value is None:
                return ""
            if not isinstance(value, datetime):
                return _cell(value)
            elapsed = local_elapsed(value)
            day = days.get(elapsed.days)
            if day is None:
                day = (EPOCH + timedelta(elapsed.days)).strftime("%d/%m/%Y ")
                if len(days) < KEEP_FORMS:
                    days[elapsed.days] = day
            return day + MINUTES[elapsed.seconds // 60]
        return moment
    if column.kind in ("date", "datetime"):
        return lambda value: _cell(convert(value))
    if column.kind == "int":
        if convert is None:
            return lambda value: "" if value is None else value
        return lambda value: "" if (value := convert(value)) is None else value
    if convert is not None:
        return lambda value: _text(convert(value))
    return _text


def _text(value) -> Any:
    """Text never as a formula; "" for no value."""
    return "" if value is None else inert(value)


def activity_csv(session: Session, user: User, f: ActivityFilter, *, now: datetime, boundaries: str = "current",
                 at: date | None = None) -> Iterator[bytes]:
    """Chunks of the CSV file; the rows come from a server-side cursor (plain tuples) as the client
    reads, each value in its column's written form (`CellForms`, `_formatter`), into a buffer
    flushed every FLUSH_EVERY rows."""
    columns = columns_for(f.type, boundaries)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([generated_line(now)])
    writer.writerow([_cell("Bộ lọc: " + describe_filter(session, f, boundaries, at))])
    writer.writerow([c.label for c in columns])
    keys, rows = stream_rows(session, user, f, boundaries)
    forms = CellForms(keys, columns, lambda column, _: _formatter(column))
    pending = 0
    for row in rows:
        writer.writerow(forms(row))
        pending += 1
        if pending == FLUSH_EVERY:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")
