"""the injonction de payer as in force since 1 March 2022: how the order was served; no executory-formula step

Revision ID: cla0005
Revises: cla0004
Create Date: 2026-11-30 17:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'cla0005'
down_revision: str | None = 'cla0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('collection_actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('served_to_person', sa.Boolean(), nullable=True))
    # Services recorded before ran their opposition window from the service, as a service to the person does.
    op.execute("UPDATE collection_actions SET served_to_person = TRUE WHERE kind = 'injonction_served'")
    # The executory formula is now on the order when it is issued: a formula asked for is kept as a fact only.
    op.execute(
        "UPDATE collection_actions SET kind = 'legacy_executory_formula', route = NULL, stage = NULL "
        "WHERE kind = 'injonction_enforceable'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE collection_actions SET kind = 'injonction_enforceable', route = 'injonction_de_payer', "
        "stage = 'enforceable_title' WHERE kind = 'legacy_executory_formula'"
    )
    with op.batch_alter_table('collection_actions', schema=None) as batch_op:
        batch_op.drop_column('served_to_person')
