"""The activity list as CSV: UTF-8 with a byte-order mark (so Excel reads Vietnamese), streamed."""
import csv
import io
from collections.abc import Callable, Iterator
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from sqlmodel import Session

from app.accounts.models import User
from app.activities.queries import ActivityFilter
from app.reports.columns import Column, columns_for, describe_filter, generated_line, inert, local_time, stream_rows

BOM = "\ufeff"
FLUSH_EVERY = 500


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


def _formatter(column: Column) -> Callable[[Any], Any] | None:
    """What a column's raw value becomes in the file, decided once per export: dates the Vietnamese
    way, text never as a formula (see `inert`), every other value as the csv module writes it (None
    as an empty cell, numbers as they are). None: the raw value as it is."""
    convert = column.convert
    if column.kind == "date" and convert is None:
        return lambda value: "" if value is None else _cell(value)
    if column.kind == "datetime" and convert is None:
        def moment(value):
            if value is None:
                return ""
            if isinstance(value, datetime):
                local = local_time(value)  # as strftime("%d/%m/%Y %H:%M"), in a third of its time
                return "%02d/%02d/%d %02d:%02d" % (local.day, local.month, local.year, local.hour, local.minute)
            return _cell(value)
        return moment
    if column.kind in ("date", "datetime"):
        return lambda value: _cell(convert(value))
    if column.kind == "int":
        return convert
    if convert is not None:
        return lambda value: _text(convert(value))
    return _text


def _text(value) -> Any:
    """Text never as a formula; "" for no value (as the csv module writes None), so that it is kept."""
    return "" if value is None else inert(value)


def activity_csv(session: Session, user: User, f: ActivityFilter, *, now: datetime, boundaries: str = "current",
                 at: date | None = None) -> Iterator[bytes]:
    """Chunks of the CSV file; the rows come from a server-side cursor (plain tuples) as the client
    reads, each value through its column's formatter, into a buffer flushed every FLUSH_EVERY rows.
    A column of few distinct values keeps each value's formatted text (a bounded number of them)."""
    columns = columns_for(f.type, boundaries)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([generated_line(now)])
    writer.writerow([_cell("Bộ lọc: " + describe_filter(session, f, boundaries, at))])
    writer.writerow([c.label for c in columns])
    keys, rows = stream_rows(session, user, f, boundaries)
    position = {key: i for i, key in enumerate(keys)}
    # Every column's raw value is picked in one step; all but the numbers then go through their formatter.
    pick = itemgetter(*[position[c.key] for c in columns])
    formatted = [(n, position[c.key], _formatter(c), {}, KEEP_FORMATTED if c.repeats else 0)
                 for n, c in enumerate(columns) if _formatter(c) is not None]
    pending = 0
    for row in rows:
        values = list(pick(row))
        for n, i, formatter, seen, keep in formatted:
            value = row[i]
            text = seen.get(value)
            if text is None:
                text = formatter(value)
                if len(seen) < keep:
                    seen[value] = text
            values[n] = text
        writer.writerow(values)
        pending += 1
        if pending == FLUSH_EVERY:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


KEEP_FORMATTED = 1000
