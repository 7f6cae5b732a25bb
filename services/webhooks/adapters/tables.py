"""The webhooks database: endpoints and their secrets, the messages owed to them, every attempt."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from services.kit.db import service_metadata
from services.kit.idempotency import idempotency_table
from services.kit.outbox import inbox_table
from services.kit.types import UTCDateTime, new_id

metadata = service_metadata()
idempotency_keys = idempotency_table(metadata)
inbox = inbox_table(metadata)


class Table(SQLModel, registry=registry(metadata=metadata)):
    pass


class Endpoint(Table, table=True):
    """Where an insured wants its events, and the secret(s) they are signed with."""

    __tablename__ = "endpoints"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    insured_id: str = Field(max_length=64, index=True)
    url: str = Field(max_length=2000)
    description: str | None = Field(default=None, max_length=200)
    event_types: list[str] = Field(sa_column=Column(JSON, nullable=False))
    secret: str = Field(max_length=100)
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_until: datetime | None = Field(default=None, sa_type=UTCDateTime())
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, max_length=500)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime())
    created_by: str = Field(max_length=128)
    updated_at: datetime = Field(sa_type=UTCDateTime())


class Message(Table, table=True):
    """One event owed to one endpoint; its id is the webhook-id every attempt carries."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_messages_due", "state", "next_attempt_at"),
    )

    id: str = Field(primary_key=True, max_length=40)  # msg_…
    endpoint_id: uuid.UUID = Field(sa_column=Column(ForeignKey("endpoints.id", ondelete="CASCADE"), nullable=False))
    insured_id: str = Field(max_length=64)
    event_id: str = Field(max_length=36)
    event_type: str = Field(max_length=100)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    state: str = Field(max_length=16)  # pending, delivered, failed
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    leased_until: datetime | None = Field(default=None, sa_type=UTCDateTime())
    first_failure_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    last_answer: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    created_at: datetime = Field(sa_type=UTCDateTime())


class AttemptRow(Table, table=True):
    """One try of a message: when, what the receiver answered and how fast."""

    __tablename__ = "attempts"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    message_id: str = Field(sa_column=Column(ForeignKey("messages.id", ondelete="CASCADE"), nullable=False, index=True))
    number: int
    at: datetime = Field(sa_type=UTCDateTime())
    status: int | None = None
    error: str | None = Field(default=None, max_length=500)
    latency_ms: int
    outcome: str = Field(max_length=16)


class Relation(Table, table=True):
    """An insured has a claim or a credit limit on this debtor: it hears of the debtor's procedure."""

    __tablename__ = "relations"
    __table_args__ = (UniqueConstraint("insured_id", "debtor_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    insured_id: str = Field(max_length=64)
    debtor_id: str = Field(max_length=36, index=True)
