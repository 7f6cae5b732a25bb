"""idempotency keys are kept whole, up to 255 characters

Revision ID: pol0005
Revises: pol0004
Create Date: 2026-11-30 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'pol0005'
down_revision: str | None = 'pol0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.alter_column('key', existing_type=sa.String(length=200), type_=sa.String(length=255))


def downgrade() -> None:
    # Keys longer than 200 characters are dropped: they cannot be kept whole in the narrower column.
    op.execute("DELETE FROM idempotency_keys WHERE LENGTH(key) > 200")
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.alter_column('key', existing_type=sa.String(length=255), type_=sa.String(length=200))
