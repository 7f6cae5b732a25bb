"""Events from the debtors service: procedure states, applied once, never rolled back by an older one."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.claims.adapters.repository import ClaimsUnitOfWork
from services.claims.adapters.tables import DebtorProcedure, inbox
from services.claims.domain.claim import Actor
from services.claims.service_layer.creance import apply_procedure
from services.kit.errors import InvalidInput
from services.kit.outbox import EventEnvelope, accept_once

PROCEDURE_CHANGED = "debtor.procedure_changed.v1"


class _ProcedureState(BaseModel):
    """What claims reads of a debtor's procedure state (the debtors service may say more)."""

    model_config = ConfigDict(extra="allow")

    procedure: str | None = None
    open: bool
    insolvent: bool
    opened_on: date | None = None
    opening_publication_date: date | None = None
    creance_deadline: date | None = None
    opening_missing: bool = False
    opening_court_seat: str | None = None


class _ProcedureChanged(BaseModel):
    model_config = ConfigDict(extra="allow")

    debtor_id: uuid.UUID
    siren: str | None = None
    state: _ProcedureState
    recorded_by: str | None = Field(None, max_length=128)
    """Who recorded the judgment (a person of the back office, a client): the claims' timeline names them."""


def checked(envelope: EventEnvelope) -> _ProcedureChanged:
    """The event as claims reads it; a malformed one is refused (422) and never taken into the inbox."""
    try:
        return _ProcedureChanged.model_validate(envelope.data)
    except ValidationError as exc:
        raise InvalidInput(f"Malformed {envelope.type} event.", code="MALFORMED_EVENT") from exc


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


async def handle(uow: ClaimsUnitOfWork, *, envelope: EventEnvelope, now: datetime) -> bool:
    """Apply one event once; False when it was already applied or is not ours."""
    if envelope.type != PROCEDURE_CHANGED:
        return False
    event = checked(envelope)
    # The state as validated (a date sent in another form than ISO is one now), with what else debtors said.
    state = event.state.model_dump(mode="json")
    async with uow:
        if not await accept_once(uow.session, inbox, envelope, now=now):
            return False
        debtor_id = event.debtor_id
        row = await uow.claims.debtor_procedure(debtor_id)
        if row is None:
            row = DebtorProcedure(debtor_id=debtor_id, as_of=envelope.occurred_at, last_event_id=envelope.event_id)
            uow.session.add(row)
        elif row.as_of > envelope.occurred_at:
            # An older event delivered late: it is recorded as received but changes nothing.
            await uow.commit()
            return True
        row.siren = event.siren
        row.procedure = state.get("procedure")
        row.open = bool(state.get("open"))
        row.insolvent = bool(state.get("insolvent"))
        row.opened_on = _day(state.get("opened_on"))
        row.opening_publication_date = _day(state.get("opening_publication_date"))
        row.creance_deadline = _day(state.get("creance_deadline"))
        row.opening_missing = bool(state.get("opening_missing"))
        row.as_of = envelope.occurred_at
        row.last_event_id = envelope.event_id
        repo = uow.claims
        actor = Actor(event.recorded_by or "debtors", f"event:{envelope.event_id}")
        await apply_procedure(repo, debtor_id=debtor_id, state=state, actor=actor, at=now)
        await uow.commit()
    return True
