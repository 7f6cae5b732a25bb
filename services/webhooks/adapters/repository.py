"""Reads and writes of endpoints, messages and attempts; no commits here (the unit of work commits)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.auth import Principal
from services.kit.statements import insert_unless_present
from services.kit.types import new_id
from services.kit.uow import UnitOfWork
from services.webhooks.adapters.tables import AttemptRow, Endpoint, Message, Relation
from services.webhooks.domain.errors import DeliveryNotFound, EndpointNotFound


class WebhooksRepository:
    def __init__(self, session: AsyncSession, *, dialect: str) -> None:
        self.session = session
        self.dialect = dialect

    def add(self, row: Endpoint | Message | AttemptRow | Relation) -> None:
        self.session.add(row)

    async def endpoint(self, endpoint_id: uuid.UUID, *, for_update: bool = False) -> Endpoint | None:
        statement = select(Endpoint).where(Endpoint.id == endpoint_id)
        if for_update and self.dialect == "postgresql":
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def readable_endpoint(
        self, endpoint_id: uuid.UUID, principal: Principal, *, for_update: bool = False
    ) -> Endpoint:
        """The endpoint if the caller may see it; another insured's does not exist for them."""
        found = await self.endpoint(endpoint_id, for_update=for_update)
        return principal.readable(found, EndpointNotFound(f"No webhook endpoint {endpoint_id}."))

    async def endpoints_page(
        self, *, seen_by: Principal, insured_id: str | None, after: uuid.UUID | None, limit: int
    ) -> list[Endpoint]:
        scope = seen_by.scope_insured_id
        if scope is not None and insured_id not in (None, scope):
            return []
        statement = select(Endpoint).order_by(Endpoint.id).limit(limit + 1)
        if scope or insured_id:
            statement = statement.where(Endpoint.insured_id == (scope or insured_id))
        if after is not None:
            statement = statement.where(Endpoint.id > after)
        return list((await self.session.execute(statement)).scalars())

    async def delete_endpoint(self, endpoint: Endpoint) -> None:
        """The endpoint with its messages and their attempts (explicitly: SQLite does not cascade by default)."""
        messages = select(Message.id).where(Message.endpoint_id == endpoint.id)
        await self.session.execute(delete(AttemptRow).where(AttemptRow.message_id.in_(messages)))
        await self.session.execute(delete(Message).where(Message.endpoint_id == endpoint.id))
        await self.session.delete(endpoint)

    async def endpoints_count(self, insured_id: str) -> int:
        statement = select(func.count()).where(Endpoint.insured_id == insured_id)
        return int((await self.session.execute(statement)).scalar_one())

    async def listening(self, insured_ids: Sequence[str], event_type: str) -> list[Endpoint]:
        """The endpoints of these insureds (theirs only) that asked for this event type, paused or not: a paused
        endpoint's messages wait for it (the worker takes none of them until it is enabled again)."""
        if not insured_ids:
            return []
        statement = select(Endpoint).where(Endpoint.insured_id.in_(insured_ids))
        rows = (await self.session.execute(statement)).scalars()
        return [endpoint for endpoint in rows if event_type in endpoint.event_types]

    async def related_insureds(self, debtor_id: str) -> list[str]:
        statement = select(Relation.insured_id).where(Relation.debtor_id == debtor_id).order_by(Relation.insured_id)
        return list((await self.session.execute(statement)).scalars())

    async def relate(self, insured_id: str, debtor_id: str) -> None:
        """The insured hears of this debtor's procedure from now on (once, however many claims bring it)."""
        row = {"id": new_id(), "insured_id": insured_id, "debtor_id": debtor_id}
        await insert_unless_present(self.session, Relation.__table__, row, key=["insured_id", "debtor_id"])  # type: ignore[arg-type]

    async def message(self, endpoint_id: uuid.UUID, message_id: str, *, for_update: bool = False) -> Message:
        statement = select(Message).where(Message.id == message_id, Message.endpoint_id == endpoint_id)
        if for_update and self.dialect == "postgresql":
            statement = statement.with_for_update()
        found = (await self.session.execute(statement)).scalar_one_or_none()
        if found is None:
            raise DeliveryNotFound(f"No delivery {message_id} on this endpoint.")
        return found

    async def messages_page(self, endpoint_id: uuid.UUID, *, after: str | None, limit: int) -> list[Message]:
        """An endpoint's messages, newest first (message ids grow with time)."""
        statement = select(Message).where(Message.endpoint_id == endpoint_id).order_by(Message.id.desc())
        if after is not None:
            statement = statement.where(Message.id < after)
        return list((await self.session.execute(statement.limit(limit + 1))).scalars())

    async def attempts(self, message_ids: Sequence[str]) -> list[AttemptRow]:
        if not message_ids:
            return []
        statement = select(AttemptRow).where(AttemptRow.message_id.in_(message_ids)).order_by(AttemptRow.at)
        return list((await self.session.execute(statement)).scalars())

    async def take_due(self, *, now: datetime, until: datetime, limit: int) -> list[tuple[Message, Endpoint]]:
        """Lease the messages due now to enabled endpoints (skipping those another worker holds)."""
        statement = (
            select(Message, Endpoint)
            .join(Endpoint, Endpoint.id == Message.endpoint_id)
            .where(
                Message.state == "pending",
                or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
                or_(Message.leased_until.is_(None), Message.leased_until < now),
                Endpoint.enabled.is_(True),
            )
            .order_by(Message.next_attempt_at.asc().nulls_first(), Message.id)
            .limit(limit)
        )
        if self.dialect == "postgresql":
            statement = statement.with_for_update(of=Message, skip_locked=True)
        taken = [(message, endpoint) for message, endpoint in (await self.session.execute(statement)).all()]
        if taken:
            ids = [message.id for message, _ in taken]
            await self.session.execute(update(Message).where(Message.id.in_(ids)).values(leased_until=until))
        return taken


class WebhooksUnitOfWork(UnitOfWork):
    """One transaction of the webhooks service, and the repository that reads and writes through it."""

    webhooks: WebhooksRepository

    def open_repositories(self) -> None:
        self.webhooks = WebhooksRepository(self.session, dialect=self.dialect)
