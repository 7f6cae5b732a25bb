"""Transactional outbox and inbox: events leave only after commit, and take effect once.

The outbox row is written in the same transaction as the change; a relay delivers it
over HTTP (at least once, with backoff, surviving restarts); the consumer records the
event id in its inbox in the same transaction as its effect, so a redelivery is a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import Request
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from pydantic import BaseModel, Field
from sqlalchemy import JSON, BigInteger, Column, Index, Integer, MetaData, String, Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.bulk import insert_many
from services.kit.clock import Clock
from services.kit.db import Database
from services.kit.errors import Unauthenticated
from services.kit.observability import Metrics
from services.kit.statements import insert_unless_present
from services.kit.tracing import context_of, traceparent_now
from services.kit.types import UTCDateTime, new_id

log = logging.getLogger("credit_claims.outbox")

INTERNAL_TOKEN_HEADER = "X-Internal-Token"


def outbox_table(metadata: MetaData) -> Table:
    table = Table(
        "outbox",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False),
        Column("event_type", String(100), nullable=False),
        Column("destination", String(500), nullable=False),
        Column("payload", JSON, nullable=False),
        Column("occurred_at", UTCDateTime(), nullable=False),
        Column("attempts", Integer, nullable=False, default=0),
        Column("next_attempt_at", UTCDateTime(), nullable=False),
        Column("delivered_at", UTCDateTime(), nullable=True),
        Column("last_error", String(500), nullable=True),
        # The W3C traceparent of the request that wrote the event: its delivery continues that trace.
        Column("trace_context", String(64), nullable=True),
    )
    Index("ix_outbox_pending", table.c.delivered_at, table.c.next_attempt_at)
    return table


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("received_at", UTCDateTime(), nullable=False),
    )


class EventEnvelope(BaseModel):
    """What travels between services."""

    event_id: str = Field(min_length=1, max_length=36)
    type: str = Field(min_length=1, max_length=100)
    occurred_at: datetime
    data: dict[str, Any]
    # In a list of events, the trace each goes on in (one event alone carries it as the request's traceparent).
    traceparent: str | None = Field(default=None, max_length=128)


@dataclass(frozen=True)
class Subscriptions:
    """Which destinations receive which event types (from settings)."""

    by_type: Mapping[str, Sequence[str]]

    def destinations(self, event_type: str) -> Sequence[str]:
        return self.by_type.get(event_type, ())


# A destination that refuses an event for what it is (malformed, too large) will refuse it again: the row is
# parked, kept with its error for an operator, never retried in a loop. A refused token or a missing route is
# a deployment to fix, and is retried.
REFUSED = frozenset({400, 413, 415, 422})
# A list of events answered with one of these may be refused for one of them: each is then sent alone. Any other
# answer (down, unauthorised, no route) is the destination's, and every event of the list waits for the retry.
ABOUT_AN_EVENT = frozenset({*REFUSED, 500})
MAX_EVENTS_PER_REQUEST = 200
LIST_SECONDS_PER_EVENT = 0.05  # beyond the client's timeout, what a list may take for each of its events
PARKED_MARK = "refused, parked:"
PARKED_UNTIL = datetime(9999, 12, 31, tzinfo=UTC)


class Outbox:
    """Writes events in the caller's transaction, one row per destination.

    An event happened at business time (`now`); its delivery is scheduled on `schedule` (real time): a sandbox's
    clock moved a month on must neither hold deliveries back nor expire a relay's lease.
    """

    def __init__(self, table: Table, subscriptions: Subscriptions, *, schedule: Clock | None = None) -> None:
        self.table = table
        self.subscriptions = subscriptions
        self.schedule = schedule

    def rows(self, event_type: str, payloads: Sequence[dict[str, Any]], *, now: datetime) -> list[dict[str, Any]]:
        due = self.schedule.now() if self.schedule is not None else now
        trace_context = traceparent_now()
        rows = []
        for payload in payloads:
            event_id = str(new_id())
            for destination in self.subscriptions.destinations(event_type):
                rows.append(
                    {
                        "event_id": event_id,
                        "event_type": event_type,
                        "destination": destination,
                        "payload": payload,
                        "occurred_at": now,
                        "attempts": 0,
                        "next_attempt_at": due,
                        "trace_context": trace_context,
                    }
                )
        return rows

    async def add(
        self, session: AsyncSession, event_type: str, payloads: Sequence[dict[str, Any]], *, now: datetime
    ) -> int:
        """Queue events; nothing is sent before the transaction commits. In a unit of work the rows are written
        when it commits, with every other event of the transaction, in one statement."""
        rows = self.rows(event_type, payloads, now=now)
        held = session.info.get(HELD_EVENTS)
        if held is not None:
            held.setdefault(self.table, []).extend(rows)
        elif rows:
            await insert_many(await session.connection(), self.table, rows)
        return len(rows)


# The outbox rows a unit of work's transaction queued, by table, until it commits (see `write_held_events`).
HELD_EVENTS = "outbox.held"


def hold_events(session: AsyncSession) -> None:
    """From now on the session's events are held until `write_held_events` (a unit of work's commit)."""
    session.info[HELD_EVENTS] = {}


async def write_held_events(session: AsyncSession) -> None:
    """Write the events the transaction queued: one statement per outbox table."""
    held: dict[Table, list[dict[str, Any]]] = session.info.get(HELD_EVENTS) or {}
    for table, rows in held.items():
        if rows:
            await insert_many(await session.connection(), table, rows)
    held.clear()


async def accept_once(session: AsyncSession, inbox: Table, envelope: EventEnvelope, *, now: datetime) -> bool:
    """Record the event in the inbox; False when it was already taken (its effect must be skipped)."""
    row = {"event_id": envelope.event_id, "event_type": envelope.type, "received_at": now}
    return await insert_unless_present(session, inbox, row, key=["event_id"])


async def check_internal_token(request: Request) -> None:
    """Internal endpoints (events between services) need the shared internal token."""
    expected: str | None = request.app.state.settings.internal_token
    given = request.headers.get(INTERNAL_TOKEN_HEADER, "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthenticated("This endpoint is for the suite's own services.")


@dataclass(frozen=True, slots=True)
class Backlog:
    """What the outbox holds undelivered: pending (to be tried), parked (refused), and the oldest pending."""

    pending: int
    parked: int
    oldest: datetime | None


async def backlog_of(database: Database, table: Table) -> Backlog:
    t = table
    undelivered = t.c.delivered_at.is_(None)
    async with database.readers() as session:
        pending, oldest = (
            await session.execute(
                select(func.count(), func.min(t.c.occurred_at)).where(undelivered, t.c.next_attempt_at < PARKED_UNTIL)
            )
        ).one()
        parked = (
            await session.execute(select(func.count()).where(undelivered, t.c.next_attempt_at >= PARKED_UNTIL))
        ).scalar_one()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return Backlog(pending=pending, parked=parked, oldest=oldest)


class Relay:
    """Delivers pending outbox rows; several relays (replicas) can run at once."""

    def __init__(
        self,
        *,
        database: Database,
        table: Table,
        client: httpx.AsyncClient,
        clock: Clock,
        internal_token: str | None,
        batch_size: int = 200,
        per_request: int = MAX_EVENTS_PER_REQUEST,
        lease: timedelta = timedelta(seconds=30),
        max_backoff: timedelta = timedelta(minutes=5),
        metrics: Metrics | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self.database = database
        self.table = table
        self.client = client
        self.clock = clock
        self.internal_token = internal_token or ""
        self.batch_size = batch_size
        self.per_request = min(per_request, MAX_EVENTS_PER_REQUEST)
        self.lease = lease
        self.max_backoff = max_backoff
        self.metrics = metrics
        self.tracer = tracer
        self.wake = asyncio.Event()

    async def claim(self) -> list[dict[str, Any]]:
        """Lease a batch of due rows so that no other relay sends them meanwhile."""
        now = self.clock.now()
        t = self.table
        async with self.database.writers() as session, session.begin():
            query = (
                select(t)
                .where(t.c.delivered_at.is_(None), t.c.next_attempt_at <= now)
                .order_by(t.c.id)
                .limit(self.batch_size)
            )
            if self.database.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = [dict(row._mapping) for row in await session.execute(query)]
            if rows:
                await session.execute(
                    update(t)
                    .where(t.c.id.in_([row["id"] for row in rows]))
                    .values(next_attempt_at=now + self.lease, attempts=t.c.attempts + 1)
                )
        return rows

    async def deliver(self, row: dict[str, Any]) -> str | None:
        """POST one event, in the trace of the request that wrote it; None when the destination took it, else the
        error."""
        if self.tracer is None:
            return await self._post(row)
        with self.tracer.start_as_current_span(
            f"deliver {row['event_type']}", context=context_of(row.get("trace_context")), kind=SpanKind.PRODUCER
        ) as span:
            error = await self._post(row)
            span.set_attribute("messaging.destination.name", row["destination"])
            if error is not None:
                span.set_status(Status(StatusCode.ERROR, error[:200]))
            return error

    def _headers(self, traceparent: str | None) -> dict[str, str]:
        headers = {"content-type": "application/json", INTERNAL_TOKEN_HEADER: self.internal_token}
        if traceparent:
            headers["traceparent"] = traceparent
        return headers

    async def _post(self, row: dict[str, Any]) -> str | None:
        # Without a tracer here the trace still goes on where the row keeps it.
        headers = self._headers(row.get("trace_context") if self.tracer is None else None)
        try:
            response = await self.client.post(
                row["destination"], content=_envelope(row).model_dump_json(), headers=headers
            )
        except httpx.HTTPError as exc:
            return _unsent(exc)
        if 200 <= response.status_code < 300:
            return None
        return _refusal(response.status_code, response.text)

    async def _deliver_in_order(self, rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str | None]]:
        """One destination's events, a request after the other (each holds at most `per_request` of them)."""
        outcomes = []
        for start in range(0, len(rows), self.per_request):
            outcomes += await self._deliver_chunk(rows[start : start + self.per_request])
        return outcomes

    async def _deliver_chunk(self, rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str | None]]:
        """One destination's events, in outbox order: several in one request, each sent alone if the destination
        refuses the list for what one of them is; (row, error or None) each."""
        if len(rows) > 1:
            outcomes = await self._post_list(rows)
            if outcomes is not None:
                return outcomes
        return [(row, await self.deliver(row)) for row in rows]

    async def _post_list(self, rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str | None]] | None:
        """POST the events as one list, in the trace they share if they share one (one request's events); None
        when the destination did not answer for each (refused the list)."""
        traces = {row.get("trace_context") for row in rows}
        shared = traces.pop() if len(traces) == 1 else None
        if self.tracer is None:
            return await self._send_list(rows, traceparent=shared)
        with self.tracer.start_as_current_span(
            f"deliver {len(rows)} events", context=context_of(shared), kind=SpanKind.PRODUCER
        ) as span:
            span.set_attribute("messaging.destination.name", rows[0]["destination"])
            span.set_attribute("messaging.batch.message_count", len(rows))
            return await self._send_list(rows, traceparent=None)  # the traced client sends the span's own

    async def _send_list(
        self, rows: list[dict[str, Any]], *, traceparent: str | None
    ) -> list[tuple[dict[str, Any], str | None]] | None:
        body = "[" + ",".join(_envelope(row, traced=True).model_dump_json() for row in rows) + "]"
        headers = self._headers(traceparent)
        # Applied in one transaction, or one by one if an event of it fails: a list is given time by its length.
        usual = self.client.timeout
        allowed = httpx.Timeout((usual.read or 5.0) + LIST_SECONDS_PER_EVENT * len(rows), connect=usual.connect)
        try:
            response = await self.client.post(rows[0]["destination"], content=body, headers=headers, timeout=allowed)
        except httpx.HTTPError as exc:
            error = _unsent(exc)
            return [(row, error) for row in rows]
        if response.status_code in ABOUT_AN_EVENT:
            return None
        if not 200 <= response.status_code < 300:
            error = _refusal(response.status_code, response.text)
            return [(row, error) for row in rows]
        try:
            answers = {answer["event_id"]: answer for answer in response.json()["results"]}
            statuses = [int(answers[row["event_id"]]["status"]) for row in rows]
        except (ValueError, KeyError, TypeError):
            return None
        return [
            (row, None if 200 <= status < 300 else _refusal(status, str(answers[row["event_id"]].get("detail", ""))))
            for row, status in zip(rows, statuses, strict=True)
        ]

    async def settle(self, outcomes: list[tuple[dict[str, Any], str | None]]) -> None:
        now = self.clock.now()
        t = self.table
        async with self.database.writers() as session, session.begin():
            delivered = [row["id"] for row, error in outcomes if error is None]
            if delivered:
                await session.execute(update(t).where(t.c.id.in_(delivered)).values(delivered_at=now, last_error=None))
            for row, error in outcomes:
                if error is not None:
                    attempts = row["attempts"] + 1
                    backoff = min(timedelta(seconds=2 ** min(attempts, 16)), self.max_backoff)
                    due = PARKED_UNTIL if error.startswith(PARKED_MARK) else now + backoff
                    if due == PARKED_UNTIL:
                        log.error("event %s parked: %s", row["event_id"], error)
                    await session.execute(
                        update(t).where(t.c.id == row["id"]).values(next_attempt_at=due, last_error=error)
                    )
        if self.metrics is not None:
            for _, error in outcomes:
                outcome = "delivered" if error is None else "parked" if error.startswith(PARKED_MARK) else "retry"
                self.metrics.outbox_settled.labels(self.metrics.service, outcome).inc()

    async def run_once(self) -> int:
        """Deliver one batch, in outbox order, to every destination at once; the number of rows delivered."""
        rows = await self.claim()
        by_destination: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_destination.setdefault(row["destination"], []).append(row)
        sent = await asyncio.gather(*(self._deliver_in_order(group) for group in by_destination.values()))
        outcomes = [outcome for group in sent for outcome in group]
        if outcomes:
            await self.settle(outcomes)
        return sum(1 for _, error in outcomes if error is None)

    async def run_forever(self, poll_interval: float = 0.5) -> None:
        while True:
            try:
                delivered = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the relay must outlive a database hiccup
                log.exception("outbox relay batch failed")
                delivered = 0
            else:
                if self.metrics is not None:
                    self.metrics.relay_last_pass.labels(self.metrics.service).set(time.time())
            if delivered:
                continue
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=poll_interval)


def _envelope(row: dict[str, Any], *, traced: bool = False) -> EventEnvelope:
    """The event of an outbox row as it travels; in a list, with the trace it goes on in."""
    return EventEnvelope(
        event_id=row["event_id"],
        type=row["event_type"],
        occurred_at=row["occurred_at"],
        data=row["payload"],
        traceparent=row.get("trace_context") if traced else None,
    )


def _unsent(error: httpx.HTTPError) -> str:
    """The error kept on the row when the request did not get an answer."""
    return f"{type(error).__name__}: {error}"[:500]


def _refusal(status: int, text: str) -> str:
    """The error kept on the row: parked when the destination refuses the event for what it is."""
    if status in REFUSED:
        return f"{PARKED_MARK} HTTP {status}: {text[:400]}"
    return f"HTTP {status}: {text[:400]}"
