"""debtor.procedure_changed from the debtors outbox to the claims inbox: no loss, no double effect.

The consumer is down, its answers are lost, or the relay dies mid-batch; every event still
takes effect exactly once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select

from services.claims.adapters.tables import DebtorProcedure
from services.claims.adapters.tables import inbox as claims_inbox
from services.debtors.adapters.tables import outbox
from services.debtors.config import DebtorsSettings
from services.debtors.main import create_app as create_debtors_app
from services.kit.clock import FixedClock
from services.kit.db import Database
from services.kit.outbox import Outbox, Relay, Subscriptions
from tests.shared.metrics import by_outcome
from tests.support import Tokens, at, running

SAMPLES = json.loads((Path(__file__).resolve().parents[1] / "data" / "bodacc" / "samples.json").read_text())
SIRENS = ["482309382", "853479236", "534640974", "302466339", "629923129", "973669468", "164808941", "819248659"]


class Consumer(httpx.AsyncBaseTransport):
    """The claims app behind a link that can be down, lose answers, hang before answering, or refuse."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.mode = "up"
        self.requests = 0
        self.served = 0  # events carried by the requests the app took (a list counts each of its events)
        self.hung = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.mode == "down":
            raise httpx.ConnectError("connection refused", request=request)
        carried = json.loads(await request.aread())
        if self.mode == "fail_lists" and isinstance(carried, list):
            return httpx.Response(500, json={"code": "INTERNAL_ERROR"}, request=request)
        self.requests += 1
        response = await self.inner.handle_async_request(request)
        self.served += len(carried) if isinstance(carried, list) else 1
        if self.mode == "hang":
            self.hung.set()
            await asyncio.Event().wait()  # the events took effect; the answer never comes, until the relay is killed
        if self.mode == "lose_answers":
            raise httpx.ReadError("connection reset after the request was taken", request=request)
        if self.mode == "refuse":
            return httpx.Response(422, json={"code": "MALFORMED_EVENT"}, request=request)
        return response


@pytest.fixture
def consumer(claims_app: Any) -> Consumer:
    return Consumer(claims_app)


@pytest.fixture
async def debtors_with_consumer(
    debtors_settings: DebtorsSettings, clock: FixedClock, policies_app: Any, consumer: Consumer
) -> AsyncIterator[Any]:
    transports = {"policies": httpx.ASGITransport(app=policies_app), "events": consumer}
    async with running(create_debtors_app(debtors_settings, clock, transports)) as app:
        yield app


@pytest.fixture
async def ten_events(debtors_with_consumer: Any, tokens: Tokens, clock: FixedClock) -> Any:
    at(clock, "2026-11-30")  # after the samples' publication
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=debtors_with_consumer), base_url="http://debtors"
    ) as client:
        for siren in SIRENS:
            body = {"legal_name": f"Company {siren}", "country": "FR", "siren": siren}
            assert (await client.post("/v1/debtors", json=body, headers=tokens.underwriter())).status_code == 201
        report = await client.post("/v1/procedure-announcements", json=SAMPLES, headers=tokens.handler())
        assert report.json()["recorded"] == 10
    return debtors_with_consumer


async def pending(app: Any) -> int:
    async with app.state.db.readers() as session:
        return (await session.execute(select(func.count()).where(outbox.c.delivered_at.is_(None)))).scalar_one()


async def effects(claims_app: Any) -> tuple[int, dict[str, tuple[Any, ...]]]:
    async with claims_app.state.db.readers() as session:
        taken = (await session.execute(select(func.count()).select_from(claims_inbox))).scalar_one()
        rows = (await session.execute(select(DebtorProcedure))).scalars().all()
    return taken, {row.siren: (row.procedure, row.insolvent, row.creance_deadline) for row in rows}


def expected_replica() -> dict[str, tuple[Any, ...]]:
    from datetime import date

    return {
        "482309382": ("liquidation_judiciaire", True, None),
        "853479236": ("liquidation_judiciaire", True, date(2026, 11, 9)),
        "534640974": ("sauvegarde", False, date(2026, 5, 12)),
        "302466339": ("liquidation_judiciaire", True, date(2026, 6, 2)),
        "629923129": ("redressement_judiciaire", True, date(2026, 7, 20)),
        "973669468": ("liquidation_judiciaire", False, None),
        "164808941": ("liquidation_judiciaire", True, date(2026, 8, 10)),
        "819248659": ("redressement_judiciaire", True, date(2026, 9, 1)),
    }


async def test_consumer_down_then_up_gets_every_event_once(
    ten_events: Any, consumer: Consumer, claims_app: Any, clock: FixedClock
) -> None:
    relay: Relay = ten_events.state.relay
    consumer.mode = "down"
    assert await relay.run_once() == 0
    assert await pending(ten_events) == 10
    assert await relay.run_once() == 0, "retries wait for their backoff"
    consumer.mode = "up"
    clock.advance(timedelta(seconds=3))
    assert await relay.run_once() == 10
    assert await pending(ten_events) == 0 and await relay.run_once() == 0
    assert await effects(claims_app) == (10, expected_replica())


async def test_lost_answers_are_redelivered_without_double_effect(
    ten_events: Any, consumer: Consumer, claims_app: Any, clock: FixedClock
) -> None:
    relay: Relay = ten_events.state.relay
    consumer.mode = "lose_answers"
    assert await relay.run_once() == 0
    assert consumer.served == 10 and await pending(ten_events) == 10
    consumer.mode = "up"
    clock.advance(timedelta(seconds=3))
    assert await relay.run_once() == 10
    assert consumer.served == 20
    assert await effects(claims_app) == (10, expected_replica())


async def test_relay_killed_mid_batch_resumes_after_restart(
    ten_events: Any, consumer: Consumer, claims_app: Any, clock: FixedClock
) -> None:
    consumer.mode = "hang"
    batch = asyncio.create_task(ten_events.state.relay.run_once())
    await asyncio.wait_for(consumer.hung.wait(), timeout=10)
    batch.cancel()  # the relay dies with the events taken and none marked delivered
    with pytest.raises(asyncio.CancelledError):
        await batch
    assert await pending(ten_events) == 10
    consumer.mode = "up"
    restarted = Relay(
        database=ten_events.state.db,
        table=outbox,
        client=ten_events.state.relay.client,
        clock=clock,
        internal_token=ten_events.state.settings.internal_token,
    )
    assert await restarted.run_once() == 0, "the dead relay's lease still holds"
    clock.advance(timedelta(seconds=31))
    assert await restarted.run_once() == 10
    assert await effects(claims_app) == (10, expected_replica())


async def test_older_event_delivered_late_does_not_roll_state_back(claims_app: Any, clock: FixedClock) -> None:
    from tests.conftest import INTERNAL_TOKEN

    debtor = "01a21902-ff26-779a-8251-1b6812fc3a1b"

    def event(event_id: str, at: str, procedure: str) -> dict[str, Any]:
        state = {"procedure": procedure, "open": True, "insolvent": True, "opened_on": "2026-03-25"}
        return {
            "event_id": event_id,
            "type": "debtor.procedure_changed.v1",
            "occurred_at": at,
            "data": {"debtor_id": debtor, "state": state},
        }

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=claims_app), base_url="http://claims") as client:
        headers = {"X-Internal-Token": INTERNAL_TOKEN}
        await client.post(
            "/internal/events", json=event("e2", "2026-09-16T10:00:00Z", "liquidation_judiciaire"), headers=headers
        )
        late = await client.post(
            "/internal/events", json=event("e1", "2026-04-02T10:00:00Z", "redressement_judiciaire"), headers=headers
        )
        assert late.json() == {"applied": True}
    taken, replica = await effects(claims_app)
    assert taken == 2 and replica == {None: ("liquidation_judiciaire", True, None)}


async def test_an_event_the_consumer_refuses_for_what_it_is_is_parked_not_retried(
    ten_events: Any, consumer: Consumer, clock: FixedClock
) -> None:
    relay: Relay = ten_events.state.relay
    consumer.mode = "refuse"
    assert await relay.run_once() == 0
    assert consumer.requests == 11, "the list refused, then each event alone"
    clock.advance(timedelta(days=30))
    assert await relay.run_once() == 0 and consumer.requests == 11  # never sent again
    async with ten_events.state.db.readers() as session:
        errors = [row.last_error for row in await session.execute(select(outbox.c.last_error))]
    assert len(errors) == 10 and all(error.startswith("refused, parked: HTTP 422") for error in errors)
    assert await pending(ten_events) == 10  # kept for an operator, not lost


async def scraped(app: Any) -> dict[tuple[str, str], float]:
    """/metrics as Prometheus reads it: (sample name, outcome label or '') → value."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://debtors") as client:
        return by_outcome((await client.get("/metrics")).text)


async def test_the_backlog_its_age_and_each_outcome_are_scraped_as_they_are(
    ten_events: Any, consumer: Consumer, clock: FixedClock
) -> None:
    relay: Relay = ten_events.state.relay
    consumer.mode = "down"
    await relay.run_once()
    clock.advance(timedelta(seconds=90))
    metrics = await scraped(ten_events)
    assert metrics[("outbox_pending_events", "")] == 10 and metrics[("outbox_parked_events", "")] == 0
    assert metrics[("outbox_oldest_pending_age_seconds", "")] == 90
    assert metrics[("outbox_events_settled_total", "retry")] == 10 and metrics[("database_up", "")] == 1
    consumer.mode = "refuse"
    await relay.run_once()
    metrics = await scraped(ten_events)
    assert metrics[("outbox_parked_events", "")] == 10 and metrics[("outbox_pending_events", "")] == 0
    assert metrics[("outbox_oldest_pending_age_seconds", "")] == 0
    assert metrics[("outbox_events_settled_total", "parked")] == 10


async def test_a_database_that_does_not_answer_is_scraped_as_down(ten_events: Any, tmp_path: Path) -> None:
    assert (await scraped(ten_events))[("database_up", "")] == 1
    answering = ten_events.state.db
    ten_events.state.db = Database(f"sqlite+aiosqlite:///{tmp_path / 'no-such-folder' / 'debtors.db'}")
    try:
        assert (await scraped(ten_events))[("database_up", "")] == 0
    finally:
        await ten_events.state.db.dispose()
        ten_events.state.db = answering


async def test_a_destinations_backlog_goes_in_one_request(ten_events: Any, consumer: Consumer, claims_app: Any) -> None:
    assert await ten_events.state.relay.run_once() == 10
    assert consumer.requests == 1 and consumer.served == 10
    assert await pending(ten_events) == 0
    assert await effects(claims_app) == (10, expected_replica())


async def test_an_event_refused_in_a_list_holds_back_no_other(
    ten_events: Any, consumer: Consumer, claims_app: Any, clock: FixedClock
) -> None:
    relay: Relay = ten_events.state.relay
    malformed = relay_rows(ten_events, "debtor.procedure_changed.v1", {"debtor_id": "not a uuid"})
    async with ten_events.state.db.writers() as session, session.begin():
        await session.execute(outbox.insert(), malformed)
    assert await relay.run_once() == 10
    assert consumer.requests == 1
    async with ten_events.state.db.readers() as session:
        left = (
            await session.execute(select(outbox.c.event_id, outbox.c.last_error).where(outbox.c.delivered_at.is_(None)))
        ).all()
    assert [event_id for event_id, _ in left] == [malformed[0]["event_id"]]
    assert left[0][1].startswith("refused, parked: HTTP 422: Malformed debtor.procedure_changed.v1 event")
    assert await effects(claims_app) == (10, expected_replica())


async def test_a_list_the_destination_fails_on_is_sent_one_event_at_a_time(
    ten_events: Any, consumer: Consumer, claims_app: Any
) -> None:
    consumer.mode = "fail_lists"
    assert await ten_events.state.relay.run_once() == 10
    assert consumer.requests == 10 and consumer.served == 10
    assert await effects(claims_app) == (10, expected_replica())


def relay_rows(app: Any, event_type: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """An event as the service's outbox writes it, to every destination of its type."""
    return Outbox(outbox, Subscriptions(app.state.settings.subscribers)).rows(
        event_type, [payload], now=app.state.clock.now()
    )


async def test_each_event_of_a_list_is_answered_for_alone(claims_app: Any) -> None:
    from tests.conftest import INTERNAL_TOKEN

    state = {"procedure": "sauvegarde", "open": True, "insolvent": False, "opened_on": "2026-03-25"}
    event = {
        "event_id": "e1",
        "type": "debtor.procedure_changed.v1",
        "occurred_at": "2026-04-02T10:00:00Z",
        "data": {"debtor_id": "01a21902-ff26-779a-8251-1b6812fc3a1b", "state": state},
    }
    delivered = [event, {**event, "data": {"debtor_id": "nope"}, "event_id": "e2"}, {"type": "x"}, event]
    headers = {"X-Internal-Token": INTERNAL_TOKEN}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=claims_app), base_url="http://claims") as client:
        answered = await client.post("/internal/events", json=delivered, headers=headers)
        assert answered.status_code == 200, answered.text
        assert [(item["event_id"], item["status"], item.get("applied")) for item in answered.json()["results"]] == [
            ("e1", 200, True),
            ("e2", 422, None),
            ("", 422, None),
            ("e1", 200, False),
        ]
        too_many = await client.post("/internal/events", json=[event] * 201, headers=headers)
        assert too_many.status_code == 422
        unsigned = await client.post("/internal/events", json=[event], headers={"X-Internal-Token": "wrong"})
        assert unsigned.status_code == 401
    taken, _ = await effects(claims_app)
    assert taken == 1


async def test_the_events_of_a_list_are_applied_in_one_transaction(claims_app: Any) -> None:
    from tests.conftest import INTERNAL_TOKEN

    commits: list[object] = []

    def committed(connection: object) -> None:
        commits.append(connection)

    engine = claims_app.state.db.writer_engine.sync_engine
    event.listen(engine, "commit", committed)
    state = {"procedure": "sauvegarde", "open": True, "insolvent": False, "opened_on": "2026-03-25"}
    try:
        delivered = [
            {
                "event_id": f"e{index}",
                "type": "debtor.procedure_changed.v1",
                "occurred_at": f"2026-04-0{index}T10:00:00Z",
                "data": {"debtor_id": f"01a21902-ff26-779a-8251-1b6812fc3a1{index}", "state": state},
            }
            for index in range(1, 6)
        ]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=claims_app), base_url="http://claims") as client:
            answered = await client.post(
                "/internal/events", json=delivered, headers={"X-Internal-Token": INTERNAL_TOKEN}
            )
        assert [item["applied"] for item in answered.json()["results"]] == [True] * 5, answered.text
    finally:
        event.remove(engine, "commit", committed)
    assert len(commits) == 1
    taken, _ = await effects(claims_app)
    assert taken == 5


async def test_a_long_backlog_goes_in_lists_of_the_configured_length_in_order(
    ten_events: Any, consumer: Consumer, claims_app: Any
) -> None:
    relay: Relay = ten_events.state.relay
    relay.per_request = 3
    assert await relay.run_once() == 10
    assert consumer.requests == 4 and consumer.served == 10
    assert await effects(claims_app) == (10, expected_replica())


async def test_a_procedure_date_sent_as_a_timestamp_is_read_as_its_day(claims_app: Any) -> None:
    from datetime import date

    from tests.conftest import INTERNAL_TOKEN

    state = {"procedure": "sauvegarde", "open": True, "insolvent": False, "opened_on": 1774396800}
    delivered = {
        "event_id": "e1",
        "type": "debtor.procedure_changed.v1",
        "occurred_at": "2026-04-02T10:00:00Z",
        "data": {"debtor_id": "01a21902-ff26-779a-8251-1b6812fc3a1b", "state": state},
    }
    headers = {"X-Internal-Token": INTERNAL_TOKEN}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=claims_app), base_url="http://claims") as client:
        answered = await client.post("/internal/events", json=delivered, headers=headers)
    assert answered.json() == {"applied": True}
    async with claims_app.state.db.readers() as session:
        [opened_on] = (await session.execute(select(DebtorProcedure.opened_on))).scalars()
    assert opened_on == date(2026, 3, 25)
