"""Events from the claims service: an open claim stops cover for new deliveries; its closure restores it."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from services.debtors.adapters.repository import Repository
from services.debtors.adapters.tables import CoverStop, inbox
from services.kit.outbox import EventEnvelope, accept_once
from services.kit.uow import UnitOfWork

CLAIM_OPENED = "claim.opened.v1"
CLAIM_CLOSED = "claim.closed.v1"
HANDLED = frozenset({CLAIM_OPENED, CLAIM_CLOSED})


async def handle(uow: UnitOfWork, *, envelope: EventEnvelope, now: datetime) -> bool:
    """Apply one event once; False when it was already applied or is not ours."""
    if envelope.type not in HANDLED:
        return False
    async with uow:
        if not await accept_once(uow.session, inbox, envelope, now=now):
            return False
        repo = Repository(uow.session, dialect=uow.dialect)
        data = envelope.data
        stop = await repo.cover_stop(str(data["claim_id"]))
        if envelope.type == CLAIM_OPENED and stop is None:
            repo.add(
                CoverStop(
                    policy_id=uuid.UUID(str(data["policy_id"])),
                    debtor_id=uuid.UUID(str(data["debtor_id"])),
                    claim_id=str(data["claim_id"]),
                    stopped_on=date.fromisoformat(str(data["opened_on"])),
                )
            )
        elif envelope.type == CLAIM_CLOSED and stop is not None:
            stop.restored_on = date.fromisoformat(str(data["closed_on"]))
        await uow.commit()
    return True
