"""The delivery log of an endpoint, and a message sent again on request."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from services.kit.auth import Principal
from services.kit.errors import InvalidInput
from services.kit.pagination import Page, PageRequest, page_of
from services.webhooks.adapters.repository import WebhooksUnitOfWork
from services.webhooks.adapters.tables import AttemptRow, Message
from services.webhooks.domain.errors import AttemptUnderWay, EndpointDisabled


@dataclass(frozen=True, slots=True)
class Delivery:
    message: Message
    attempts: list[AttemptRow]


MESSAGE_ID = re.compile(r"msg_[0-9a-f]{32}")


def _after(page: PageRequest) -> str | None:
    if page.after is None:
        return None
    [value] = page.after if len(page.after) == 1 else [None]
    if not isinstance(value, str) or not MESSAGE_ID.fullmatch(value):
        raise InvalidInput("The cursor is not one this API gave.", code="INVALID_CURSOR")
    return value


async def deliveries(
    uow: WebhooksUnitOfWork, *, endpoint_id: uuid.UUID, principal: Principal, page: PageRequest
) -> Page[Delivery]:
    """The endpoint's messages, newest first, each with its attempts."""
    async with uow:
        await uow.webhooks.readable_endpoint(endpoint_id, principal)
        rows = await uow.webhooks.messages_page(endpoint_id, after=_after(page), limit=page.limit)
        found = page_of(rows, limit=page.limit, key=lambda row: [row.id])
        attempts = await uow.webhooks.attempts([row.id for row in found.items])
    by_message: dict[str, list[AttemptRow]] = {}
    for attempt in attempts:
        by_message.setdefault(attempt.message_id, []).append(attempt)
    items = [Delivery(row, by_message.get(row.id, [])) for row in found.items]
    return Page[Delivery](items=items, next_cursor=found.next_cursor)


async def delivery(
    uow: WebhooksUnitOfWork, *, endpoint_id: uuid.UUID, message_id: str, principal: Principal
) -> Delivery:
    async with uow:
        await uow.webhooks.readable_endpoint(endpoint_id, principal)
        message = await uow.webhooks.message(endpoint_id, message_id)
        return Delivery(message, await uow.webhooks.attempts([message.id]))


async def redeliver(
    uow: WebhooksUnitOfWork, *, endpoint_id: uuid.UUID, message_id: str, principal: Principal, now: datetime
) -> Delivery:
    """The message due again now, on a schedule of its own (same webhook-id: a receiver that has it drops it)."""
    async with uow:
        endpoint = await uow.webhooks.readable_endpoint(endpoint_id, principal)
        if not endpoint.enabled:
            raise EndpointDisabled("Enable the endpoint first (PATCH enabled: true): nothing is sent to it meanwhile.")
        message = await uow.webhooks.message(endpoint_id, message_id, for_update=True)
        if message.leased_until is not None and message.leased_until > now:
            raise AttemptUnderWay("The message is being tried now: read its delivery again in a moment.")
        message.state, message.next_attempt_at, message.leased_until = "pending", now, None
        message.first_failure_at = None
        message.attempts = 0
        await uow.commit()
        return Delivery(message, await uow.webhooks.attempts([message.id]))
