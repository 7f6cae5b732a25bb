"""indemnified invoices stay held when their claim closes

Revision ID: cla0009
Revises: cla0008
Create Date: 2026-11-30 23:00:00.000000

An invoice an indemnity paid is never declared again. Claims closed before this held none: their indemnified
invoices are held again, except where another live claim already holds the same number (the double declaration
this prevents from now on), left for an operator to look at and counted in the log.
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'cla0009'
down_revision: str | None = 'cla0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TAKEN = """
    EXISTS (SELECT 1 FROM claim_invoices AS other
            WHERE other.live AND other.policy_id = claim_invoices.policy_id
              AND other.debtor_id = claim_invoices.debtor_id AND other.number = claim_invoices.number)
"""


def upgrade() -> None:
    paid = "claim_id IN (SELECT claim_id FROM indemnities) AND NOT live"
    bind = op.get_bind()
    taken = bind.execute(sa.text(f"SELECT COUNT(*) FROM claim_invoices WHERE {paid} AND {TAKEN}")).scalar()
    if taken:
        logging.getLogger("alembic").warning("%d indemnified invoice(s) are declared again in a live claim", taken)
    bind.execute(sa.text(f"UPDATE claim_invoices SET live = true WHERE {paid} AND NOT {TAKEN}"))


def downgrade() -> None:
    closed = "SELECT id FROM claims WHERE status NOT IN ('open', 'insolvency', 'indemnifiable', 'indemnified', 'forfeited')"
    op.get_bind().execute(sa.text(f"UPDATE claim_invoices SET live = false WHERE claim_id IN ({closed})"))
