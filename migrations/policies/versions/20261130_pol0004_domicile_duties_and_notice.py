"""the insured's postal code, the collection-duties term and the notice before a limit is cut

Revision ID: pol0004
Revises: pol0003
Create Date: 2026-11-30 16:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'pol0004'
down_revision: str | None = 'pol0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('policies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('insured_postcode', sa.String(length=10), nullable=True))
        # Existing policies keep the market defaults: duties required, no notice.
        batch_op.add_column(
            sa.Column('collection_duties_required', sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column('limit_reduction_notice_days', sa.Integer(), server_default=sa.text('0'), nullable=False)
        )
    with op.batch_alter_table('policies', schema=None) as batch_op:
        batch_op.alter_column('collection_duties_required', server_default=None)
        batch_op.alter_column('limit_reduction_notice_days', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('policies', schema=None) as batch_op:
        batch_op.drop_column('limit_reduction_notice_days')
        batch_op.drop_column('collection_duties_required')
        batch_op.drop_column('insured_postcode')
