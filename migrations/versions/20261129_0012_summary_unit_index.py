"""The activity summary by unit and month: the few units of a split commune, or of one commune,
found without reading every row of the plans and tasks named

Revision ID: 0012_summary_unit_index
Revises: 0011_activity_summary
Create Date: 2026-11-29 21:40:00
"""
from alembic import op


revision = '0012_summary_unit_index'
down_revision = '0011_activity_summary'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_activity_summary_unit', 'activity_summary', ['unit_id', 'month'])


def downgrade() -> None:
    op.drop_index('ix_activity_summary_unit', table_name='activity_summary')
