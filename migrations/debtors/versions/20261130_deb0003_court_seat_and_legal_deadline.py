"""procedure events know where their court sits and the créance deadline before a day off moves it

Revision ID: deb0003
Revises: deb0002
Create Date: 2026-11-30 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'deb0003'
down_revision: str | None = 'deb0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('procedure_events', schema=None) as batch_op:
        # Events recorded before say no seat: read as metropolitan France, as they were.
        batch_op.add_column(sa.Column('court_seat', sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column('creance_deadline_legal', sa.Date(), nullable=True))
    # Their deadline was computed without moving past a day off: the legal day is the one they show.
    op.execute("UPDATE procedure_events SET creance_deadline_legal = creance_deadline")


def downgrade() -> None:
    with op.batch_alter_table('procedure_events', schema=None) as batch_op:
        batch_op.drop_column('creance_deadline_legal')
        batch_op.drop_column('court_seat')
