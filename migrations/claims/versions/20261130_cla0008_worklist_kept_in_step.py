"""the worklist kept in step with each claim, read a page at a time

Revision ID: cla0008
Revises: cla0007
Create Date: 2026-11-30 21:00:00.000000

Existing claims get their rows when the service starts (work_as_of stays NULL until then).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'cla0008'
down_revision: str | None = 'cla0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDER = ['sort_due', 'claim_id', 'kind']


def upgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('work_as_of', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('work_recheck_on', sa.Date(), nullable=True))
        batch_op.create_index('ix_claims_work_as_of', ['work_as_of'], unique=False)
        batch_op.create_index('ix_claims_work_recheck_on', ['work_recheck_on'], unique=False)
    op.create_table(
        'work_items',
        sa.Column('claim_id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('action', sa.String(length=60), nullable=False),
        sa.Column('due', sa.Date(), nullable=True),
        sa.Column('due_legal', sa.Date(), nullable=True),
        sa.Column('sort_due', sa.Date(), nullable=False),
        sa.Column('detail', sa.String(length=500), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('insured_id', sa.String(length=64), nullable=False),
        sa.Column('policy_id', sa.Uuid(), nullable=False),
        sa.Column('debtor_id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_work_items_claim_id_claims')),
        sa.PrimaryKeyConstraint('claim_id', 'kind', name=op.f('pk_work_items')),
    )
    op.create_index('ix_work_items_order', 'work_items', ORDER, unique=False)
    for first in ('status', 'debtor_id', 'policy_id'):
        op.create_index(f'ix_work_items_{first}_order', 'work_items', [first, *ORDER], unique=False)
    op.create_table(
        'work_basis',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_work_basis')),
    )


def downgrade() -> None:
    op.drop_table('work_basis')
    for first in ('status', 'debtor_id', 'policy_id'):
        op.drop_index(f'ix_work_items_{first}_order', table_name='work_items')
    op.drop_index('ix_work_items_order', table_name='work_items')
    op.drop_table('work_items')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index('ix_claims_work_recheck_on')
        batch_op.drop_index('ix_claims_work_as_of')
        batch_op.drop_column('work_recheck_on')
        batch_op.drop_column('work_as_of')
