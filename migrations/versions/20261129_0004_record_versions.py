"""Plans, tasks and users carry a version, so that two people editing the same record cannot
silently overwrite each other (activities had one already)

Revision ID: 0004_record_versions
Revises: 0003_clean_stored_text
Create Date: 2026-11-29 15:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_record_versions'
down_revision = '0003_clean_stored_text'
branch_labels = None
depends_on = None

TABLES = ('plan', 'task', 'user_account')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
