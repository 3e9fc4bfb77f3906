"""Plans keep funds of other programmes (lồng ghép) and the part of a total with no source (chưa phân nguồn)

Revision ID: 0008_plan_budget_other_sources
Revises: 0005_login_throttle
Create Date: 2026-11-29 15:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_plan_budget_other_sources'
down_revision = '0005_login_throttle'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('budget_integrated_vnd', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('budget_unallocated_vnd', sa.BigInteger(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_column('budget_unallocated_vnd')
        batch_op.drop_column('budget_integrated_vnd')
