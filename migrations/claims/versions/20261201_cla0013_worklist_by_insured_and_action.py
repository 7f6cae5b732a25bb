"""worklist read by insured and by kind of deadline

Revision ID: cla0013
Revises: cla0012
Create Date: 2026-12-01 03:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "cla0013"
down_revision: str | None = "cla0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDER = ("sort_due", "claim_id", "kind")


def upgrade() -> None:
    for first in ("insured_id", "action"):
        op.create_index(f"ix_work_items_{first}_order", "work_items", [first, *ORDER])


def downgrade() -> None:
    for first in ("insured_id", "action"):
        op.drop_index(f"ix_work_items_{first}_order", table_name="work_items")
