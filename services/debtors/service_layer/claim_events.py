"""Events from the claims service: an open claim stops cover for new deliveries; its closure restores it."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.debtors.adapters.repository import DebtorsUnitOfWork
from services.debtors.adapters.tables import inbox
from services.kit.errors import InvalidInput
from services.kit.outbox import EventEnvelope, accept_once

CLAIM_OPENED = "claim.opened.v1"
CLAIM_CLOSED = "claim.closed.v1"
HANDLED = frozenset({CLAIM_OPENED, CLAIM_CLOSED})


class _ClaimOpened(BaseModel):
    model_config = ConfigDict(extra="allow")

    claim_id: str = Field(min_length=1, max_length=64)
    policy_id: uuid.UUID
    debtor_id: uuid.UUID
    opened_on: date


class _ClaimClosed(BaseModel):
    model_config = ConfigDict(extra="allow")

    claim_id: str = Field(min_length=1, max_length=64)
    closed_on: date


def _checked(envelope: EventEnvelope) -> _ClaimOpened | _ClaimClosed:
    """The event as debtors reads it; a malformed one is refused (422) and never taken into the inbox."""
    shape = _ClaimOpened if envelope.type == CLAIM_OPENED else _ClaimClosed
    try:
        return shape.model_validate(envelope.data)
    except ValidationError as exc:
        raise InvalidInput(f"Malformed {envelope.type} event.", code="MALFORMED_EVENT") from exc


async def handle(uow: DebtorsUnitOfWork, *, envelope: EventEnvelope, now: datetime) -> bool:
    """Apply one event once; False when it was already applied or is not ours."""
    if envelope.type not in HANDLED:
        return False
    event = _checked(envelope)
    async with uow:
        if not await accept_once(uow.session, inbox, envelope, now=now):
            return False
        repo = uow.debtors
        if isinstance(event, _ClaimOpened):
            await repo.stop_cover(
                policy_id=event.policy_id, debtor_id=event.debtor_id, claim_id=event.claim_id, on=event.opened_on
            )
        elif (stop := await repo.cover_stop(event.claim_id)) is not None:
            stop.restored_on = event.closed_on
        await uow.commit()
    return True
