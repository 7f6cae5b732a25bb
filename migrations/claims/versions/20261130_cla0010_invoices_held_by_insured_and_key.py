"""invoices held per insured and buyer, whatever the spelling of their number

Revision ID: cla0010
Revises: cla0009
Create Date: 2026-11-30 20:00:00.000000

An invoice held by a live or indemnified claim was held under one policy and one exact spelling: "X-1 ", "x-1"
or the same number under the insured's other policy passed. It is now held per insured and buyer by its number's
key (NFKC, spaces collapsed, case folded), computed here as services.claims.domain.invoice.invoice_key does.
An indemnity of 0.00 (below the threshold) paid nothing: its closed claim's invoices are released.
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'cla0010'
down_revision: str | None = 'cla0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "('open', 'insolvency', 'indemnifiable', 'indemnified', 'forfeited')"


def _key(number: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", number).split()).casefold()


def upgrade() -> None:
    with op.batch_alter_table('claim_invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('insured_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('number_key', sa.Text(), nullable=True))
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE claim_invoices SET insured_id = (SELECT insured_id FROM claims WHERE claims.id = claim_invoices.claim_id)"
        )
    )
    numbers = [row[0] for row in bind.execute(sa.text("SELECT DISTINCT number FROM claim_invoices"))]
    for number in numbers:
        bind.execute(sa.text("UPDATE claim_invoices SET number_key = :key WHERE number = :number"), {"key": _key(number), "number": number})
    bind.execute(
        sa.text(
            f"UPDATE claim_invoices SET live = false WHERE claim_id IN ("
            f"SELECT indemnities.claim_id FROM indemnities JOIN claims ON claims.id = indemnities.claim_id "
            f"WHERE indemnities.amount = 0 AND claims.status NOT IN {LIVE})"
        )
    )
    duplicates = bind.execute(
        sa.text(
            "SELECT insured_id, debtor_id, number_key, COUNT(*) FROM claim_invoices WHERE live "
            "GROUP BY insured_id, debtor_id, number_key HAVING COUNT(*) > 1"
        )
    ).all()
    if duplicates:
        # One invoice is held by two claims of the insured: an operator withdraws one of them first.
        raise RuntimeError(f"{len(duplicates)} invoice(s) are held by more than one claim: {duplicates[:5]}")
    with op.batch_alter_table('claim_invoices', schema=None) as batch_op:
        batch_op.alter_column('insured_id', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('number_key', existing_type=sa.Text(), nullable=False)
        batch_op.drop_index('uq_claim_invoices_live', sqlite_where=sa.text('live'), postgresql_where=sa.text('live'))
        batch_op.create_index(
            'uq_claim_invoices_held',
            ['insured_id', 'debtor_id', 'number_key'],
            unique=True,
            sqlite_where=sa.text('live'),
            postgresql_where=sa.text('live'),
        )


def downgrade() -> None:
    with op.batch_alter_table('claim_invoices', schema=None) as batch_op:
        batch_op.drop_index('uq_claim_invoices_held', sqlite_where=sa.text('live'), postgresql_where=sa.text('live'))
        batch_op.create_index(
            'uq_claim_invoices_live',
            ['policy_id', 'debtor_id', 'number'],
            unique=True,
            sqlite_where=sa.text('live'),
            postgresql_where=sa.text('live'),
        )
        batch_op.drop_column('number_key')
        batch_op.drop_column('insured_id')
