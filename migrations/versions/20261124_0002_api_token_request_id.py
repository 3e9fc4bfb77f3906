"""API tokens remember the request that created them, so a form sent twice makes one token

Revision ID: 0002_token_request_id
Revises: 0001_initial
Create Date: 2026-11-24 00:26:49.306591
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002_token_request_id'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.create_index('ux_api_token_user_request', ['user_id', 'request_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index('ux_api_token_user_request')
        batch_op.drop_column('request_id')

