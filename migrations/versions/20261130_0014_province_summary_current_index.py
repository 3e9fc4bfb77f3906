"""The province rows of the summary by today's province: a province's headline and charts read the
rows of its legacy provinces from an index instead of scanning every province's rows of the period.

Revision ID: 0014_province_summary_current
Revises: 0013_late_entries_index
Create Date: 2026-11-30 01:00:00
"""
from alembic import op


revision = '0014_province_summary_current'
down_revision = '0013_late_entries_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_activity_summary_province_current', 'activity_summary_province',
                    ['plan_id', 'task_id', 'current_province_id', 'month'])


def downgrade() -> None:
    op.drop_index('ix_activity_summary_province_current', table_name='activity_summary_province')
