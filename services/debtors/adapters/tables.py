"""The debtors database: its own metadata, so its Alembic history sees only these tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, ForeignKey, Index, UniqueConstraint, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

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


class Debtor(Table, table=True):
    """A buyer, identified once per (country, national id); for France the national id is the SIREN."""

    __tablename__ = "debtors"
    __table_args__ = (UniqueConstraint("country", "national_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    legal_name: str = Field(max_length=200)
    name_key: str = Field(max_length=200, index=True)
    country: str = Field(max_length=2)
    national_id: str = Field(max_length=64)
    siren: str | None = Field(default=None, max_length=9, index=True)
    siret: str | None = Field(default=None, max_length=14)
    vat_number: str | None = Field(default=None, max_length=20, index=True)
    lei: str | None = Field(default=None, max_length=20)
    address_line: str | None = Field(default=None, max_length=200)
    postcode: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime())
    created_by: str = Field(max_length=128)


class CreditLimit(Table, table=True):
    """The credit limit line of one debtor under one policy; its amounts are dated versions."""

    __tablename__ = "credit_limits"
    __table_args__ = (UniqueConstraint("policy_id", "debtor_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    policy_id: uuid.UUID = Field(index=True)
    debtor_id: uuid.UUID = Field(sa_column=Column(ForeignKey("debtors.id"), nullable=False, index=True))
    insured_id: str = Field(max_length=64, index=True)
    currency: str = Field(max_length=3)
    version: int = 1  # the ETag; bumped by every request and decision
    created_at: datetime = Field(sa_type=UTCDateTime())


class CreditLimitRequest(Table, table=True):
    """An insured's application for an amount, and the underwriter's decision on it."""

    __tablename__ = "credit_limit_requests"
    __table_args__ = (
        # At most one pending request per credit limit line, even under races.
        Index(
            "uq_credit_limit_requests_one_pending",
            "credit_limit_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    credit_limit_id: uuid.UUID = Field(sa_column=Column(ForeignKey("credit_limits.id"), nullable=False, index=True))
    amount: Decimal = Field(sa_type=ExactDecimal(2))
    status: str = Field(max_length=20)
    requested_at: datetime = Field(sa_type=UTCDateTime())
    requested_by: str = Field(max_length=128)
    decided_amount: Decimal | None = Field(default=None, sa_type=ExactDecimal(2))
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    decided_by: str | None = Field(default=None, max_length=128)
    reason: str | None = Field(default=None, max_length=500)


class CreditLimitVersion(Table, table=True):
    """The amount in force from a date on; later versions never edit earlier ones."""

    __tablename__ = "credit_limit_versions"
    __table_args__ = (Index("ix_credit_limit_versions_in_force", "credit_limit_id", "effective_date", "recorded_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    credit_limit_id: uuid.UUID = Field(sa_column=Column(ForeignKey("credit_limits.id"), nullable=False))
    kind: str = Field(max_length=20)
    amount: Decimal = Field(sa_type=ExactDecimal(2))
    effective_date: date
    reason: str | None = Field(default=None, max_length=500)
    request_id: uuid.UUID | None = None
    recorded_at: datetime = Field(sa_type=UTCDateTime())
    recorded_by: str = Field(max_length=128)


class CoverStop(Table, table=True):
    """Cover stopped for new deliveries on a debtor under a policy while a claim is open."""

    __tablename__ = "cover_stops"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    policy_id: uuid.UUID = Field(index=True)
    debtor_id: uuid.UUID = Field(index=True)
    claim_id: str = Field(max_length=64, unique=True)
    stopped_on: date
    restored_on: date | None = None


class Exposure(Table, table=True):
    """The insured's declared outstanding amount on a debtor under a policy."""

    __tablename__ = "exposures"
    __table_args__ = (UniqueConstraint("policy_id", "debtor_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    policy_id: uuid.UUID
    debtor_id: uuid.UUID = Field(sa_column=Column(ForeignKey("debtors.id"), nullable=False, index=True))
    insured_id: str = Field(max_length=64, index=True)
    amount: Decimal = Field(sa_type=ExactDecimal(2))
    currency: str = Field(max_length=3)
    as_of_date: date
    updated_at: datetime = Field(sa_type=UTCDateTime())
    updated_by: str = Field(max_length=128)


class ProcedureEventRow(Table, table=True):
    """One judgment of a debtor's collective procedure, from the BODACC or entered by a claims handler.

    Announcements for a SIREN not yet registered are kept with no debtor and linked when it is created.
    """

    __tablename__ = "procedure_events"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    announcement_id: str | None = Field(default=None, max_length=64, unique=True)
    siren: str | None = Field(default=None, max_length=9, index=True)
    debtor_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("debtors.id"), nullable=True, index=True)
    )
    source: str = Field(max_length=10)
    procedure: str = Field(max_length=40)
    event: str = Field(max_length=20)
    judgment_date: date
    publication_date: date | None = None
    court: str | None = Field(default=None, max_length=200)
    court_seat: str | None = Field(default=None, max_length=6)
    closure_reason: str | None = Field(default=None, max_length=30)
    simplified: bool = False
    creance_deadline: date | None = None
    creance_deadline_legal: date | None = None
    recorded_at: datetime = Field(sa_type=UTCDateTime())
    recorded_by: str = Field(max_length=128)
