"""The policies database: its own metadata, so its Alembic history sees only these tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, ForeignKey, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from services.kit.db import service_metadata
from services.kit.idempotency import idempotency_table
from services.kit.types import ExactDecimal, UTCDateTime, new_id

metadata = service_metadata()
idempotency_keys = idempotency_table(metadata)


class Table(SQLModel, registry=registry(metadata=metadata)):
    pass


class Policy(Table, table=True):
    __tablename__ = "policies"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    number: str = Field(max_length=64, unique=True)
    insured_id: str = Field(max_length=64, index=True)
    insured_name: str = Field(max_length=200)
    insured_country: str = Field(max_length=2)
    insured_postcode: str | None = Field(default=None, max_length=10)
    currency: str = Field(max_length=3)
    start_date: date
    end_date: date
    status: str = Field(max_length=16, index=True)
    version: int = 1  # the ETag; bumped by every update
    percentage_of_cover: Decimal = Field(sa_type=ExactDecimal(4))
    max_credit_period_days: int
    max_extension_days: int
    notification_deadline_days: int
    waiting_period_days: int
    claim_threshold: Decimal = Field(sa_type=ExactDecimal(2))
    deductible: Decimal = Field(sa_type=ExactDecimal(2))
    vat_covered: bool
    discretionary_limit: Decimal = Field(sa_type=ExactDecimal(2))
    max_liability: Decimal = Field(sa_type=ExactDecimal(2))
    covered_countries: list[str] = Field(sa_column=Column(JSON, nullable=False))
    collection: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    collection_duties_required: bool = True
    limit_reduction_notice_days: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime())
    created_by: str = Field(max_length=128)
    updated_at: datetime = Field(sa_type=UTCDateTime())
    updated_by: str = Field(max_length=128)


class LiabilityReservation(Table, table=True):
    """A share of an insurance year's maximum liability taken by one claim's indemnity."""

    __tablename__ = "liability_reservations"
    __table_args__ = (UniqueConstraint("policy_id", "claim_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    policy_id: uuid.UUID = Field(sa_column=Column(ForeignKey("policies.id"), nullable=False, index=True))
    claim_id: str = Field(max_length=64)
    year_start: date
    year_end: date
    currency: str = Field(max_length=3)
    requested: Decimal = Field(sa_type=ExactDecimal(2))
    reserved: Decimal = Field(sa_type=ExactDecimal(2))
    created_at: datetime = Field(sa_type=UTCDateTime())
    created_by: str = Field(max_length=128)
