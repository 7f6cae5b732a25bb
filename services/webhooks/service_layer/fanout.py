"""Events of the suite become messages owed to the partners' endpoints, in the transaction that takes the event."""

from __future__ import annotations

from datetime import datetime

from services.kit.errors import InvalidInput
from services.kit.outbox import EventEnvelope, accept_once
from services.kit.types import new_id
from services.webhooks.adapters.repository import WebhooksUnitOfWork
from services.webhooks.adapters.tables import Message, inbox
from services.webhooks.domain.events import PARTNER_TYPE, MalformedEvent, partner_event, relates

SUBSCRIBED = frozenset(PARTNER_TYPE)


def message_id() -> str:
    """A message's id, the webhook-id of its every attempt; time-ordered (newest last)."""
    return f"msg_{new_id().hex}"


async def handle(uow: WebhooksUnitOfWork, *, envelope: EventEnvelope, now: datetime) -> bool:
    """Take one event once: a message for each enabled endpoint of its insured(s) that asked for its type."""
    if envelope.type not in SUBSCRIBED:
        return False
    try:
        event = partner_event(envelope.type, envelope.data, occurred_at=envelope.occurred_at)
    except MalformedEvent as exc:
        raise InvalidInput(f"Malformed {envelope.type} event: {exc}.", code="MALFORMED_EVENT") from exc
    if event is None:
        return False
    async with uow:
        if not await accept_once(uow.session, inbox, envelope, now=now):
            return False
        repo = uow.webhooks
        if relates(event):
            await repo.relate(event.insured_id, event.debtor_id)  # type: ignore[arg-type]
        if event.insured_id is not None:
            insureds = [event.insured_id]
        else:
            insureds = await repo.related_insureds(event.debtor_id) if event.debtor_id else []
        for endpoint in await repo.listening(insureds, event.type.value):
            repo.add(
                Message(
                    id=message_id(),
                    endpoint_id=endpoint.id,
                    insured_id=endpoint.insured_id,
                    event_id=envelope.event_id,
                    event_type=event.type.value,
                    payload=event.body,
                    state="pending",
                    created_at=now,
                )
            )
        await uow.commit()
    return True
