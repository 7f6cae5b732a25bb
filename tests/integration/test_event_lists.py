"""A list of events at /internal/events: what one event does wrong stays its own (the kit's route, with handlers of
the tests' making on the debtors service's tables)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from services.debtors.adapters.repository import DebtorsUnitOfWork
from services.debtors.adapters.tables import CoverStop, inbox
from services.kit.clock import FixedClock
from services.kit.db import Database
from services.kit.events import events_router
from services.kit.outbox import EventEnvelope, accept_once
from tests.conftest import INTERNAL_TOKEN, NOW
from tests.support import Databases

HEADERS = {"X-Internal-Token": INTERNAL_TOKEN}


async def stop_cover_once(uow: DebtorsUnitOfWork, *, envelope: EventEnvelope, now: datetime) -> bool:
    """Take the event once and stop cover for its claim; a crash on the event named "poison"; an event named
    "second thoughts" is taken and written, then left without committing."""
    if envelope.event_id == "poison":
        raise TypeError("a bug on this event")
    async with uow:
        if not await accept_once(uow.session, inbox, envelope, now=now):
            return False
        await uow.debtors.stop_cover(
            policy_id=uuid.uuid4(), debtor_id=uuid.uuid4(), claim_id=envelope.event_id, on=now.date()
        )
        if envelope.event_id == "second thoughts":
            return False
        await uow.commit()
    return True


@pytest.fixture
async def events(databases: Databases) -> AsyncIterator[tuple[httpx.AsyncClient, Database]]:
    app = FastAPI()
    app.state.settings = SimpleNamespace(internal_token=INTERNAL_TOKEN)
    app.state.db = Database(databases.fresh("debtors"))
    app.state.clock = FixedClock(NOW)
    app.state.tracing = SimpleNamespace(tracer=None)
    app.include_router(events_router(DebtorsUnitOfWork, stop_cover_once))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://debtors") as client:
        yield client, app.state.db
    await app.state.db.dispose()


def event(event_id: str) -> dict[str, Any]:
    return {"event_id": event_id, "type": "claim.opened.v1", "occurred_at": "2026-11-30T10:00:00Z", "data": {}}


async def kept(database: Database) -> tuple[list[str], list[str]]:
    """The events in the inbox, and the claims whose cover stopped."""
    async with database.readers() as session:
        taken = sorted((await session.execute(select(inbox.c.event_id))).scalars())
        stops = sorted((await session.execute(select(CoverStop.claim_id))).scalars())
    return taken, stops


async def test_an_event_that_crashes_is_answered_for_alone(events: tuple[httpx.AsyncClient, Database]) -> None:
    client, database = events
    answered = await client.post("/internal/events", json=[event("e1"), event("poison"), event("e3")], headers=HEADERS)
    assert answered.status_code == 200, answered.text
    assert [(item["event_id"], item["status"]) for item in answered.json()["results"]] == [
        ("e1", 200),
        ("poison", 500),
        ("e3", 200),
    ]
    assert await kept(database) == (["e1", "e3"], ["e1", "e3"])


async def test_a_part_that_leaves_without_committing_keeps_nothing(events: tuple[httpx.AsyncClient, Database]) -> None:
    client, database = events
    delivered = [event("e1"), event("second thoughts"), event("e3")]
    answered = await client.post("/internal/events", json=delivered, headers=HEADERS)
    assert [item["applied"] for item in answered.json()["results"]] == [True, False, True], answered.text
    assert await kept(database) == (["e1", "e3"], ["e1", "e3"])


async def test_an_event_taken_before_sends_the_list_one_by_one(events: tuple[httpx.AsyncClient, Database]) -> None:
    client, database = events
    await client.post("/internal/events", json=event("e2"), headers=HEADERS)
    answered = await client.post("/internal/events", json=[event("e1"), event("e2"), event("e3")], headers=HEADERS)
    assert [item["applied"] for item in answered.json()["results"]] == [True, False, True], answered.text
    assert await kept(database) == (["e1", "e2", "e3"], ["e1", "e2", "e3"])
    async with database.readers() as session:
        assert (await session.execute(select(func.count()).select_from(inbox))).scalar_one() == 3
