"""PostgreSQL vacuums the summary tables and the activities after a small share of their rows
changed, not PostgreSQL's default fifth of them.

Every logged entry updates rows of the summary; on a busy commune the same row many times a
minute. Each update leaves a dead version of the row (the summary's covering index holds its sums,
so PostgreSQL cannot update in place), and writers step over them until a vacuum clears them. With
the default threshold a 7-million-row summary would wait for 1.4 million dead versions. The
activities are mostly inserted: their vacuum marks new pages all-visible, so the review queue and the
figures read the indexes alone, and with the default it waited for a fifth of the table.

Revision ID: 0016_vacuum_settings
Revises: 0015_activity_province
Create Date: 2026-11-30 01:45:00
"""
from alembic import op


revision = '0016_vacuum_settings'
down_revision = '0015_activity_province'
branch_labels = None
depends_on = None

SETTINGS = {
    'activity_summary': ('autovacuum_vacuum_scale_factor = 0.01', 'autovacuum_vacuum_threshold = 1000',
                         'autovacuum_vacuum_insert_scale_factor = 0.01'),
    'activity_summary_province': ('autovacuum_vacuum_scale_factor = 0.01', 'autovacuum_vacuum_threshold = 1000'),
    'activity': ('autovacuum_vacuum_scale_factor = 0.01', 'autovacuum_vacuum_insert_scale_factor = 0.01'),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return  # SQLite has no vacuum thresholds
    for table, settings in SETTINGS.items():
        op.execute(f"ALTER TABLE {table} SET ({', '.join(settings)})")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table, settings in SETTINGS.items():
        op.execute(f"ALTER TABLE {table} RESET ({', '.join(s.split(' = ')[0] for s in settings)})")
