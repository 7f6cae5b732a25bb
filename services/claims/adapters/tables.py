"""The claims database: its own metadata, so its Alembic history sees only these tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Text, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from services.claims.domain.claim import ClaimMoves
from services.kit.db import service_metadata
from services.kit.idempotency import idempotency_table
from services.kit.outbox import inbox_table, outbox_table
from services.kit.types import ExactDecimal, UTCDateTime, new_id

metadata = service_metadata()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
idempotency_keys = idempotency_table(metadata)


class Table(SQLModel, registry=registry(metadata=metadata)):
    pass


class DebtorProcedure(Table, table=True):
    """The claims service's own copy of each debtor's procedure state, kept from debtor.procedure_changed events."""

    __tablename__ = "debtor_procedures"

    debtor_id: uuid.UUID = Field(primary_key=True)
    siren: str | None = Field(default=None, max_length=9)
    procedure: str | None = Field(default=None, max_length=40)
    open: bool = False
    insolvent: bool = False
    opened_on: date | None = None
    opening_publication_date: date | None = None
    creance_deadline: date | None = None
    opening_missing: bool = False
    as_of: datetime = Field(sa_type=UTCDateTime())
    last_event_id: str = Field(max_length=36)


# One live claim per buyer and policy, even under concurrent declarations (the statuses of domain.status.ACTIVE).
LIVE_STATUSES = "status IN ('open', 'insolvency', 'indemnifiable', 'indemnified', 'forfeited')"
HELD = "live"
# A query meant for a partial index says the index's condition in the same words (`text(LIVE_STATUSES)`,
# `text(HELD)`): SQLite uses a partial index only for a query whose WHERE holds the index's own terms, and a
# bound `status IN (?, …)` or `live IS 1` is not one of them (it scanned every claim invoice instead).


class Claim(Table, ClaimMoves, table=True):
    """A declared default on one debtor under one policy, with the answers it was opened on."""

    __tablename__ = "claims"
    __table_args__ = (
        Index(
            "uq_claims_one_live_per_buyer",
            "policy_id",
            "debtor_id",
            unique=True,
            sqlite_where=text(LIVE_STATUSES),
            postgresql_where=text(LIVE_STATUSES),
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    insured_id: str = Field(max_length=64, index=True)
    policy_id: uuid.UUID = Field(index=True)
    debtor_id: uuid.UUID = Field(index=True)
    currency: str = Field(max_length=3)
    status: str = Field(max_length=20, index=True)
    frozen: bool = False  # a sauvegarde suspends the claim without establishing insolvency
    declaration_date: date
    oldest_due_date: date
    declaration_deadline: date
    max_extension_end: date
    waiting_period_end: date
    creance_deadline: date | None = None  # the day it is due, past any day off (CPC art. 642)
    creance_deadline_legal: date | None = None
    creance_filed_on: date | None = None
    creance_amount: Decimal | None = Field(default=None, sa_type=ExactDecimal(2))
    creance_missed_on: date | None = None  # the day a sweep found the créance deadline passed unfiled
    court_officer: str | None = Field(default=None, max_length=200)
    court_seat: str | None = Field(default=None, max_length=6)  # of the court that opened the procedure
    creditor_territory: str = Field(default="FR", max_length=3)  # the insured's domicile (R622-24)
    forclusion_relief_on: date | None = None
    relief_notified_on: date | None = None
    relief_deadline: date | None = None
    relief_deadline_legal: date | None = None
    loss_ground: str | None = Field(default=None, max_length=20)  # insolvency or protracted_default
    terms: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    cover_snapshot: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    limits_snapshot: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    procedure_snapshot: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    rejection_reasons: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime())
    updated_at: datetime = Field(sa_type=UTCDateTime())
    # The worklist's rows of the claim hold from work_as_of until work_recheck_on, when a period ends (None: ever).
    work_as_of: date | None = Field(default=None, index=True)
    work_recheck_on: date | None = Field(default=None, index=True)


class ClaimInvoice(Table, table=True):
    """An unpaid invoice of a claim; while the claim is live, or once it is indemnified, no other claim of the insured
    may hold it, under any policy and however its number is written (number_key)."""

    __tablename__ = "claim_invoices"
    __table_args__ = (
        Index(
            "uq_claim_invoices_held",
            "insured_id",
            "debtor_id",
            "number_key",
            unique=True,
            sqlite_where=text(HELD),
            postgresql_where=text(HELD),
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    claim_id: uuid.UUID = Field(sa_column=Column(ForeignKey("claims.id"), nullable=False, index=True))
    policy_id: uuid.UUID
    insured_id: str = Field(max_length=64)
    debtor_id: uuid.UUID
    number: str = Field(max_length=64)
    number_key: str = Field(sa_type=Text)  # NFKC may lengthen a number many times over
    invoice_date: date
    due_date: date
    extended_due_date: date | None = None
    amount: Decimal = Field(sa_type=ExactDecimal(2))
    vat_amount: Decimal = Field(sa_type=ExactDecimal(2))
    live: bool = True


class TimelineEntry(Table, table=True):
    """Every state change and fact of a claim: what, who, when, and from which request or event."""

    __tablename__ = "claim_timeline"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    claim_id: uuid.UUID = Field(sa_column=Column(ForeignKey("claims.id"), nullable=False, index=True))
    at: datetime = Field(sa_type=UTCDateTime())
    actor: str = Field(max_length=128)
    kind: str = Field(max_length=40)
    status_from: str | None = Field(default=None, max_length=20)
    status_to: str | None = Field(default=None, max_length=20)
    source: str | None = Field(default=None, max_length=128)
    detail: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class PaymentReceived(Table, table=True):
    """A payment the insured received from the debtor after declaring."""

    __tablename__ = "payments_received"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    claim_id: uuid.UUID = Field(sa_column=Column(ForeignKey("claims.id"), nullable=False, index=True))
    amount: Decimal = Field(sa_type=ExactDecimal(2))
    received_on: date
    recorded_at: datetime = Field(sa_type=UTCDateTime())
    recorded_by: str = Field(max_length=128)


class Indemnity(Table, table=True):
    """The one indemnity of a claim: its primary key is the claim, so it can only be paid once."""

    __tablename__ = "indemnities"

    claim_id: uuid.UUID = Field(sa_column=Column(ForeignKey("claims.id"), primary_key=True))
    currency: str = Field(max_length=3)
    eligible_loss: Decimal = Field(sa_type=ExactDecimal(2))
    before_maximum_liability: Decimal = Field(sa_type=ExactDecimal(2))
    amount: Decimal = Field(sa_type=ExactDecimal(2))
    breakdown: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    paid_at: datetime = Field(sa_type=UTCDateTime())
    paid_by: str = Field(max_length=128)


class Recovery(Table, table=True):
    """Money recovered after the indemnity, shared between insurer and insured."""

    __tablename__ = "recoveries"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    claim_id: uuid.UUID = Field(sa_column=Column(ForeignKey("claims.id"), nullable=False, index=True))
    amount: Decimal = Field(sa_type=ExactDecimal(2))
    insurer_share: Decimal = Field(sa_type=ExactDecimal(2))
    insured_share: Decimal = Field(sa_type=ExactDecimal(2))
    received_on: date
    origin: str = Field(max_length=40)
    recorded_at: datetime = Field(sa_type=UTCDateTime())
    recorded_by: str = Field(max_length=128)


class CollectionAction(Table, table=True):
    """A collection step on a claim, as a fact: what, on which day, by whom, with which documents."""

    __tablename__ = "collection_actions"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    claim_id: uuid.UUID = Field(sa_column=Column(ForeignKey("claims.id"), nullable=False, index=True))
    kind: str = Field(max_length=40)
    done_on: date
    route: str | None = Field(default=None, max_length=40)
    stage: str | None = Field(default=None, max_length=40)
    hearing_on: date | None = None
    payment_period_days: int | None = None
    served_to_person: bool | None = None  # an injonction de payer's service (CPC art. 1416)
    method: str | None = Field(default=None, max_length=60)
    amount: Decimal | None = Field(default=None, sa_type=ExactDecimal(2))
    documents: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    note: str | None = Field(default=None, max_length=1000)
    recorded_at: datetime = Field(sa_type=UTCDateTime())
    recorded_by: str = Field(max_length=128)
    source: str | None = Field(default=None, max_length=128)


# The worklist reads in this order (unknown deadlines first), alone or within one status, debtor or policy.
WORK_ORDER = ("sort_due", "claim_id", "kind")
WORK_FILTERS = ("status", "debtor_id", "policy_id", "insured_id", "action")  # each read in deadline order


class WorkItem(Table, table=True):
    """A waiting claim's next action, as the worklist lists it; rewritten whenever the claim changes."""

    __tablename__ = "work_items"
    __table_args__ = (
        Index("ix_work_items_order", *WORK_ORDER),
        *(Index(f"ix_work_items_{first}_order", first, *WORK_ORDER) for first in WORK_FILTERS),
    )

    claim_id: uuid.UUID = Field(sa_column=Column(ForeignKey("claims.id"), primary_key=True))
    kind: str = Field(primary_key=True, max_length=12)  # the claim's own action, or its collection step
    action: str = Field(max_length=60)
    due: date | None = None
    due_legal: date | None = None
    sort_due: date  # `due`, or the first day of all when it is unknown
    detail: str = Field(max_length=500)
    status: str = Field(max_length=20)
    insured_id: str = Field(max_length=64)
    policy_id: uuid.UUID
    debtor_id: uuid.UUID


class WorkBasis(Table, table=True):
    """What the worklist's rows were worked out with (the collection settings); another basis redoes them all."""

    __tablename__ = "work_basis"

    name: str = Field(primary_key=True, max_length=40)
    digest: str = Field(max_length=64)


class DeadlineNotice(Table, table=True):
    """A deadline of a claim announced as approaching: once per claim, action and due day."""

    __tablename__ = "deadline_notices"

    claim_id: uuid.UUID = Field(sa_column=Column(ForeignKey("claims.id"), primary_key=True))
    action: str = Field(primary_key=True, max_length=60)
    due: date = Field(primary_key=True)
    announced_at: datetime = Field(sa_type=UTCDateTime())
