"""The activity summary per province, for the national view, filled from the summary; the
summary by unit and month, for the few units of a split commune; and an index that answers the
figures by unit alone (PostgreSQL)

Kept exact from now on by the application with the summary (see app/progress/summary.py).

Revision ID: 0012_summary_by_province
Revises: 0011_activity_summary
Create Date: 2026-11-29 21:40:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0012_summary_by_province'
down_revision = '0011_activity_summary'
branch_labels = None
depends_on = None

KEYS = ('plan_id', 'task_id', 'province_id', 'current_province_id', 'month', 'type', 'status')
VALUES = (
    'activities', 'sessions', 'participants', 'participants_women', 'participants_ethnic', 'participants_poor',
    'participants_near_poor', 'participants_escaped', 'participants_officials', 'copies', 'copies_distributed',
    'airings', 'minutes', 'items', 'places', 'teams', 'audience', 'reach', 'questions_raised', 'questions_answered',
    'commended_collectives', 'commended_individuals', 'cost_central_vnd', 'cost_local_vnd', 'cost_mobilised_vnd',
    'cost_vnd',
)


def upgrade() -> None:
    op.create_index('ix_activity_summary_unit', 'activity_summary', ['unit_id', 'month'])
    op.create_index('ix_activity_summary_cover', 'activity_summary', ['plan_id', 'task_id', 'unit_id', 'month'],
                    postgresql_include=['status', 'type', 'activities', 'sessions', 'participants',
                                        'participants_poor', 'copies', 'airings', 'minutes', 'items', 'cost_vnd'])
    op.create_table(
        'activity_summary_province',
        sa.Column('plan_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('task_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('province_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('current_province_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('month', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('type', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in VALUES],
        sa.PrimaryKeyConstraint(*KEYS),
    )
    summary = sa.table('activity_summary', *[sa.column(c) for c in
                                             ('plan_id', 'task_id', 'unit_id', 'month', 'type', 'status',
                                              'agency_id') + VALUES])
    unit = sa.table('unit', sa.column('id'), sa.column('province_id'), sa.column('current_province_id'))
    keyed = (sa.select(summary.c.plan_id, summary.c.task_id,
                       sa.func.coalesce(unit.c.province_id, 0).label('province_id'),
                       sa.func.coalesce(unit.c.current_province_id, 0).label('current_province_id'),
                       summary.c.month, summary.c.type, summary.c.status,
                       *[summary.c[c] for c in VALUES])
             .select_from(summary.join(unit, unit.c.id == summary.c.unit_id)).subquery('k'))
    grouped = (sa.select(*[keyed.c[c] for c in KEYS], *[sa.cast(sa.func.sum(keyed.c[c]), sa.BigInteger)
                                                          for c in VALUES])
               .group_by(*[keyed.c[c] for c in KEYS]))
    province = sa.table('activity_summary_province', *[sa.column(c) for c in KEYS + VALUES])
    op.execute(sa.insert(province).from_select(list(KEYS + VALUES), grouped))


def downgrade() -> None:
    op.drop_table('activity_summary_province')
    op.drop_index('ix_activity_summary_cover', table_name='activity_summary')
    op.drop_index('ix_activity_summary_unit', table_name='activity_summary')
