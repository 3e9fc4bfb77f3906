"""The activity list as CSV: UTF-8 with a byte-order mark (so Excel reads Vietnamese), streamed."""
import csv
import io
from collections.abc import Iterator
from datetime import date, datetime

from sqlmodel import Session

from app.accounts.models import User
from app.activities.queries import ActivityFilter
from app.reports.columns import columns_for, describe_filter, generated_line, inert, stream_values

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


def _dates(values: list, positions: tuple[int, ...], texts: tuple[int, ...] = ()) -> list:
    """Dates and times written the Vietnamese way, text never as a formula (see `inert`); every
    other value as the csv module writes it (None as an empty cell, numbers as they are)."""
    for i in positions:
        values[i] = _cell(values[i])
    for i in texts:
        values[i] = inert(values[i])
    return values


def activity_csv(session: Session, user: User, f: ActivityFilter, *, now: datetime, boundaries: str = "current",
                 at: date | None = None) -> Iterator[bytes]:
    """Chunks of the CSV file; the rows come from a server-side cursor as the client reads."""
    columns = columns_for(f.type, boundaries)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([generated_line(now)])
    writer.writerow([_cell("Bộ lọc: " + describe_filter(session, f, boundaries, at))])
    writer.writerow([c.label for c in columns])
    dated = tuple(i for i, c in enumerate(columns) if c.kind in ("date", "datetime"))
    texts = tuple(i for i, c in enumerate(columns) if c.kind not in ("date", "datetime", "int"))
    for i, values in enumerate(stream_values(session, user, f, columns, boundaries), 1):
        writer.writerow(_dates(values, dated, texts))
        if i % FLUSH_EVERY == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
