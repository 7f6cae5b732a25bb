"""A deadline of the insured's is announced once, a week before it falls; the insurer's own work is not."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
from sqlalchemy import select

from services.claims.adapters.repository import ClaimsUnitOfWork
from services.claims.adapters.tables import outbox as outbox_table
from services.claims.service_layer.deadline_notices import CLAIM_DEADLINE_APPROACHING, announce
from services.kit.outbox import Outbox, Subscriptions

WEBHOOKS = Subscriptions({CLAIM_DEADLINE_APPROACHING: ["http://webhooks/internal/events"]})


async def announced(app: Any, today: str) -> int:
    at = datetime.combine(date.fromisoformat(today), datetime.min.time(), tzinfo=UTC)
    return await announce(ClaimsUnitOfWork(app.state.db), Outbox(outbox_table, WEBHOOKS), today=at.date(), now=at)


async def test_the_end_of_the_waiting_period_is_announced_once_a_week_ahead(
    claims_service: httpx.AsyncClient, claim: dict[str, Any]
) -> None:
    app = claims_service.app  # type: ignore[attr-defined]
    # Oldest invoice due 30 April 2026: the waiting period of 180 days ends on 27 October.
    assert await announced(app, "2026-10-19") == 0  # eight days before: not yet
    assert await announced(app, "2026-10-20") == 1
    assert await announced(app, "2026-10-21") == 0  # once
    async with app.state.db.readers() as session:
        rows = [row._mapping for row in await session.execute(select(outbox_table))]
    [payload] = [row["payload"] for row in rows if row["event_type"] == CLAIM_DEADLINE_APPROACHING]
    assert payload["claim_id"] == claim["id"] and payload["insured_id"] == "INS-ACME"
    assert (payload["action"], payload["due"], payload["days_left"]) == ("waiting_period_ends", "2026-10-27", 7)


async def test_nothing_is_written_where_no_one_listens(
    claims_service: httpx.AsyncClient, claim: dict[str, Any]
) -> None:
    app = claims_service.app  # type: ignore[attr-defined]
    nobody = Outbox(outbox_table, Subscriptions({}))
    at = datetime(2026, 10, 20, tzinfo=UTC)
    assert await announce(ClaimsUnitOfWork(app.state.db), nobody, today=at.date(), now=at) == 0
    assert await announced(app, "2026-10-20") == 1  # still owed to the first who listens
