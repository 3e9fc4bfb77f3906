"""Stored text that cannot be written out again is repaired: an unpaired UTF-16 surrogate kept in a
JSON column (topics, audiences and details of an activity, the audit's changes…) before such text
was refused at the edge becomes U+FFFD, so the entry, the lists, the change feed, the exports and
the audit answer again and the entry can be edited or deleted. No schema change.

Revision ID: 0003_clean_stored_text
Revises: 0002_token_request_id
Create Date: 2026-11-29 15:10:00
"""
import json
import re

from alembic import op
import sqlalchemy as sa


revision = '0003_clean_stored_text'
down_revision = '0002_token_request_id'
branch_labels = None
depends_on = None

JSON_COLUMNS = {
    "activity": ("topics", "audiences", "details"),
    "audit_entry": ("changes",),
    "plan": ("legal_bases",),
    "task": ("activity_types", "assignment"),
}
SURROGATE = re.compile(r"[\ud800-\udfff]")


def _repaired(value):
    if isinstance(value, str):
        return SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_repaired(item) for item in value]
    if isinstance(value, dict):
        return {_repaired(key): _repaired(item) for key, item in value.items()}
    return value


def repair(bind) -> int:
    """Rewrites every JSON value holding a surrogate; answers how many rows changed."""
    changed = 0
    for name, columns in JSON_COLUMNS.items():
        table = sa.table(name, sa.column("id"), *(sa.column(c, sa.JSON) for c in columns))
        # JSON is stored with every non-ASCII character escaped, so a surrogate reads "\ud8.." to "\udf..".
        texts = [sa.cast(table.c[c], sa.Text).label(c) for c in columns]
        suspect = sa.or_(*(sa.cast(table.c[c], sa.Text).contains("\\ud", autoescape=True) for c in columns))
        for row in bind.execute(sa.select(table.c.id, *texts).where(suspect)).all():
            values = {}
            for column in columns:
                raw = getattr(row, column)
                if raw is None:
                    continue
                document = json.loads(raw)
                fixed = _repaired(document)
                if fixed != document:
                    values[column] = fixed
            if values:
                bind.execute(sa.update(table).where(table.c.id == row.id).values(**values))
                changed += 1
    return changed


def upgrade() -> None:
    repair(op.get_bind())


def downgrade() -> None:
    pass  # the replaced halves of characters were unreadable anyway
