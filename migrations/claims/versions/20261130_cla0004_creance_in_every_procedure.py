"""créance in every procedure: the court's seat, the creditor's territory, forclusion and its relief, loss ground

Revision ID: cla0004
Revises: cla0003
Create Date: 2026-11-30 17:00:00.000000
"""

import calendar
import json
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op


revision: str = 'cla0004'
down_revision: str | None = 'cla0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('creance_deadline_legal', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('creance_missed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('court_seat', sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column('creditor_territory', sa.String(length=3), server_default='FR', nullable=False))
        batch_op.add_column(sa.Column('relief_notified_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('relief_deadline', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('relief_deadline_legal', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('loss_ground', sa.String(length=20), nullable=True))
    claims = sa.table(
        'claims',
        sa.column('id', sa.Uuid()),
        sa.column('status', sa.String()),
        sa.column('terms', sa.JSON()),
        sa.column('insured_in_metropolitan_france', sa.Boolean()),
        sa.column('creance_deadline', sa.Date()),
        sa.column('creance_deadline_legal', sa.Date()),
        sa.column('creance_filed_on', sa.Date()),
        sa.column('creditor_territory', sa.String()),
        sa.column('loss_ground', sa.String()),
        sa.column('frozen', sa.Boolean()),
        sa.column('procedure_snapshot', sa.JSON()),
        sa.column('creance_missed_on', sa.Date()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(claims.c.id, claims.c.status, claims.c.terms, claims.c.insured_in_metropolitan_france,
                  claims.c.creance_filed_on, claims.c.frozen, claims.c.procedure_snapshot, claims.c.creance_deadline)
    ).all()
    for claim_id, status, terms, metropolitan, filed_on, frozen, snapshot, deadline in rows:
        terms = json.loads(terms) if isinstance(terms, str) else (terms or {})
        # Outside metropolitan France the claim said only that: its country, as the cover check answered.
        territory = 'FR' if metropolitan else (terms.get('insured_country') or 'ZZ')
        if territory == 'FR' and not metropolitan:
            territory = 'ZZ'
        ground = None
        if status in ('indemnifiable', 'indemnified'):
            ground = 'insolvency' if filed_on is not None else 'protracted_default'
        values = {'creditor_territory': territory, 'loss_ground': ground}
        if status == 'forfeited':
            # Forfeited before: the miss is on record, so a sweep does not record it again.
            values['creance_missed_on'] = deadline
        snapshot = json.loads(snapshot) if isinstance(snapshot, str) else (snapshot or {})
        publication = snapshot.get('opening_publication_date')
        if status == 'open' and frozen and deadline is None and publication:
            # A sauvegarde now calls for the créance too (L622-24): 2 months, 4 for a creditor afar (R622-24).
            values['creance_deadline'] = _add_months(date.fromisoformat(publication), 2 if territory == 'FR' else 4)
        connection.execute(claims.update().where(claims.c.id == claim_id).values(**values))
    # Deadlines computed before (and those set above) were not moved past a day off: the legal day is shown.
    connection.execute(claims.update().values(creance_deadline_legal=claims.c.creance_deadline))
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.alter_column('creditor_territory', server_default=None)
        batch_op.drop_column('insured_in_metropolitan_france')


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def downgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('insured_in_metropolitan_france', sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    op.execute("UPDATE claims SET insured_in_metropolitan_france = (creditor_territory = 'FR')")
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.alter_column('insured_in_metropolitan_france', server_default=None)
        batch_op.drop_column('loss_ground')
        batch_op.drop_column('relief_deadline_legal')
        batch_op.drop_column('relief_deadline')
        batch_op.drop_column('relief_notified_on')
        batch_op.drop_column('creditor_territory')
        batch_op.drop_column('court_seat')
        batch_op.drop_column('creance_missed_on')
        batch_op.drop_column('creance_deadline_legal')
