"""invoice keys ignore invisible marks

Revision ID: cla0011
Revises: cla0010
Create Date: 2026-11-30 21:00:00.000000

An invoice number followed by a format character (a tag, a zero-width mark) or a variation selector named
another invoice: the keys are worked out again as services.claims.domain.invoice.invoice_key now does, and the
migration stops with the reason if that makes one invoice held twice.
"""

import unicodedata
from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'cla0011'
down_revision: str | None = 'cla0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VARIATION_SELECTORS = ((0x180B, 0x180F), (0xFE00, 0xFE0F), (0xE0100, 0xE01EF))


def _shown(char: str) -> bool:
    code = ord(char)
    if any(low <= code <= high for low, high in VARIATION_SELECTORS):
        return False
    return unicodedata.category(char) != "Cf"


def _key(number: str) -> str:
    shown = "".join(char for char in unicodedata.normalize("NFKC", number) if char.isascii() or _shown(char))
    return " ".join(shown.split()).casefold()


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT insured_id, debtor_id, number, live FROM claim_invoices")).all()
    held = Counter((insured, str(debtor), _key(number)) for insured, debtor, number, live in rows if live)
    duplicates = [key for key, count in held.items() if count > 1]
    if duplicates:
        # One invoice is held by two claims of the insured: an operator withdraws one of them first.
        raise RuntimeError(f"{len(duplicates)} invoice(s) would be held by more than one claim: {duplicates[:5]}")
    for number in sorted({number for _, _, number, _ in rows}):
        bind.execute(
            sa.text("UPDATE claim_invoices SET number_key = :key WHERE number = :number"),
            {"key": _key(number), "number": number},
        )


def downgrade() -> None:
    """The keys stay as they are: the unique index holds either way."""
