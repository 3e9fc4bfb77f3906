"""Every list order has an index with its columns, so any page is read from the index

The keysets are row comparisons, `(start_date, id) < (:d, :id)`; each index below has exactly the
columns of one order, behind its usual leading filter, so PostgreSQL answers the comparison as an
Index Cond and stops after one page, at any depth.

Revision ID: 0010_keyset_indexes
Revises: 0008_plan_budget_other_sources
Create Date: 2026-11-29 15:00:00
"""
from alembic import op


revision = '0010_keyset_indexes'
down_revision = '0008_plan_budget_other_sources'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Activities: the list (newest first), alone or behind unit, status or type; the review queue.
    op.create_index('ix_activity_date', 'activity', ['start_date', 'id'])
    for name, lead in (('ix_activity_unit_date', 'unit_id'), ('ix_activity_status_date', 'status'),
                       ('ix_activity_type_date', 'type')):
        op.drop_index(name, table_name='activity')
        op.create_index(name, 'activity', [lead, 'start_date', 'id'])
    op.create_index('ix_activity_review_queue', 'activity', ['status', 'submitted_at', 'id'])
    op.create_index('ix_activity_status_unit', 'activity', ['status', 'unit_id'])
    # Audit: the list (newest first), alone or behind a user; the deletions feed.
    op.drop_index('ix_audit_entry_at', table_name='audit_entry')
    op.create_index('ix_audit_at', 'audit_entry', ['at', 'id'])
    op.drop_index('ix_audit_user_at', table_name='audit_entry')
    op.create_index('ix_audit_user_at', 'audit_entry', ['user_id', 'at', 'id'])
    op.create_index('ix_audit_entity_action_at', 'audit_entry', ['entity', 'action', 'at', 'id'])
    # Users, plans, units and agencies: the order of each list.
    op.create_index('ix_user_account_username_id', 'user_account', ['username', 'id'])
    op.create_index('ix_plan_start_id', 'plan', ['period_start', 'id'])
    op.drop_index('ix_unit_search_name', table_name='unit')
    op.create_index('ix_unit_search_name_id', 'unit', ['search_name', 'id'])
    op.drop_index('ix_agency_search_name', table_name='agency')
    op.create_index('ix_agency_search_name_id', 'agency', ['search_name', 'id'])


def downgrade() -> None:
    op.drop_index('ix_agency_search_name_id', table_name='agency')
    op.create_index('ix_agency_search_name', 'agency', ['search_name'])
    op.drop_index('ix_unit_search_name_id', table_name='unit')
    op.create_index('ix_unit_search_name', 'unit', ['search_name'])
    op.drop_index('ix_plan_start_id', table_name='plan')
    op.drop_index('ix_user_account_username_id', table_name='user_account')
    op.drop_index('ix_audit_entity_action_at', table_name='audit_entry')
    op.drop_index('ix_audit_user_at', table_name='audit_entry')
    op.create_index('ix_audit_user_at', 'audit_entry', ['user_id', 'at'])
    op.drop_index('ix_audit_at', table_name='audit_entry')
    op.create_index('ix_audit_entry_at', 'audit_entry', ['at'])
    op.drop_index('ix_activity_status_unit', table_name='activity')
    op.drop_index('ix_activity_review_queue', table_name='activity')
    for name, lead in (('ix_activity_unit_date', 'unit_id'), ('ix_activity_status_date', 'status'),
                       ('ix_activity_type_date', 'type')):
        op.drop_index(name, table_name='activity')
        op.create_index(name, 'activity', [lead, 'start_date'])
    op.drop_index('ix_activity_date', table_name='activity')
