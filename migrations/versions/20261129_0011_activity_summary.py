"""The activity summary: the activities' counts and sums per plan, task, unit, month, type, status
and agency, filled from the activities already stored

Kept exact from now on by the application on every write (see app/progress/summary.py).

Revision ID: 0011_activity_summary
Revises: 0010_keyset_indexes
Create Date: 2026-11-29 18:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0011_activity_summary'
down_revision = '0010_keyset_indexes'
branch_labels = None
depends_on = None

KEYS = ('plan_id', 'task_id', 'unit_id', 'month', 'type', 'status', 'agency_id')
SUMMED = (
    'sessions', 'participants', 'participants_women', 'participants_ethnic', 'participants_poor',
    'participants_near_poor', 'participants_escaped', 'participants_officials', 'copies', 'copies_distributed',
    'airings', 'minutes', 'items', 'places', 'teams', 'audience', 'reach', 'questions_raised', 'questions_answered',
    'commended_collectives', 'commended_individuals', 'cost_central_vnd', 'cost_local_vnd', 'cost_mobilised_vnd',
    'cost_vnd',
)


def upgrade() -> None:
    op.create_table(
        'activity_summary',
        sa.Column('plan_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('task_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('unit_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('month', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('type', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('agency_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('activities', sa.BigInteger(), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in SUMMED],
        sa.PrimaryKeyConstraint(*KEYS),
    )
    op.create_index('ix_activity_summary_month', 'activity_summary', ['plan_id', 'task_id', 'month', 'unit_id'])
    op.execute(sa.insert(_summary()).from_select(list(KEYS) + ['activities', *SUMMED], _recount()))


def _summary():
    return sa.table('activity_summary', *[sa.column(c) for c in KEYS + ('activities',) + SUMMED])


def _recount():
    """Every activity once (plan 0, task 0), once per plan it serves (task 0), once per task."""
    activity = sa.table('activity', *[sa.column(c) for c in ('id', 'unit_id', 'agency_id', 'start_date', 'type',
                                                             'status') + SUMMED])
    link = sa.table('activity_task', sa.column('activity_id'), sa.column('task_id'))
    task = sa.table('task', sa.column('id'), sa.column('plan_id'))
    day = activity.c.start_date
    month = (sa.cast(sa.extract('year', day), sa.Integer) * sa.literal(100, sa.Integer)
             + sa.cast(sa.extract('month', day), sa.Integer))
    base = sa.select(activity.c.id, activity.c.unit_id, month.label('month'), activity.c.type,
                     sa.cast(activity.c.status, sa.String).label('status'),
                     sa.func.coalesce(activity.c.agency_id, 0).label('agency_id'),
                     *[activity.c[c] for c in SUMMED]).subquery('a')
    plans = (sa.select(link.c.activity_id, task.c.plan_id).join(task, task.c.id == link.c.task_id)
             .distinct().subquery('p'))
    tasks = sa.select(link.c.activity_id, task.c.plan_id, task.c.id.label('task_id')).join(
        task, task.c.id == link.c.task_id).subquery('t')
    keys = [base.c[c] for c in KEYS[2:]]
    values = [sa.func.count()] + [sa.cast(sa.func.sum(base.c[c]), sa.BigInteger) for c in SUMMED]
    zero = sa.literal(0, sa.Integer)
    return sa.union_all(
        sa.select(zero, zero, *keys, *values).select_from(base).group_by(*keys),
        sa.select(plans.c.plan_id, zero, *keys, *values).select_from(base.join(plans, plans.c.activity_id == base.c.id))
        .group_by(plans.c.plan_id, *keys),
        sa.select(tasks.c.plan_id, tasks.c.task_id, *keys, *values)
        .select_from(base.join(tasks, tasks.c.activity_id == base.c.id))
        .group_by(tasks.c.plan_id, tasks.c.task_id, *keys),
    )


def downgrade() -> None:
    op.drop_index('ix_activity_summary_month', table_name='activity_summary')
    op.drop_table('activity_summary')
