"""one live claim per buyer and policy

Revision ID: cla0007
Revises: cla0006
Create Date: 2026-11-30 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'cla0007'
down_revision: str | None = 'cla0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "status IN ('open', 'insolvency', 'indemnifiable', 'indemnified', 'forfeited')"


def upgrade() -> None:
    duplicates = op.get_bind().execute(
        sa.text(f"SELECT policy_id, debtor_id, COUNT(*) FROM claims WHERE {LIVE} GROUP BY policy_id, debtor_id HAVING COUNT(*) > 1")
    ).all()
    if duplicates:
        # A buyer's limit caps the insurer's whole risk on it: an operator merges or closes these first.
        raise RuntimeError(f"{len(duplicates)} buyer(s) have more than one live claim under a policy: {duplicates[:5]}")
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index(
            'uq_claims_one_live_per_buyer',
            ['policy_id', 'debtor_id'],
            unique=True,
            sqlite_where=sa.text(LIVE),
            postgresql_where=sa.text(LIVE),
        )


def downgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index('uq_claims_one_live_per_buyer', sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))
