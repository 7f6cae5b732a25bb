"""The claims database: its own metadata, so its Alembic history sees only these tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from services.kit.db import service_metadata
from services.kit.outbox import inbox_table, outbox_table
from services.kit.types import UTCDateTime

metadata = service_metadata()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


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
