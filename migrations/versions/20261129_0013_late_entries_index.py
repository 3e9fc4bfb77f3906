"""Activities by unit and sending time: completeness's late count reads only the entries of each
unit sent after the deadline, not every entry of the period

Revision ID: 0013_late_entries_index
Revises: 0012_summary_by_province
Create Date: 2026-11-29 22:30:00
"""
from alembic import op


revision = '0013_late_entries_index'
down_revision = '0012_summary_by_province'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_activity_unit_submitted', 'activity', ['unit_id', 'submitted_at'])


def downgrade() -> None:
    op.drop_index('ix_activity_unit_submitted', table_name='activity')
