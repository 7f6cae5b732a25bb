"""The delivery worker: takes the messages due, signs and sends each, records what came of it.

It runs beside the API in its own task with its own HTTP client and a timeout per attempt, so a slow or hanging
receiver holds one of its slots, never a request of the suite. A message is leased while it is tried: a worker
that dies mid-batch (SIGKILL included) leaves it to be taken again once the lease ends: at least once, with the
same webhook-id, which receivers use to drop a repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from services.kit.db import Database
from services.kit.errors import NotFound
from services.webhooks.adapters.repository import WebhooksUnitOfWork
from services.webhooks.adapters.sender import Sent, delivery_client, post
from services.webhooks.adapters.tables import AttemptRow
from services.webhooks.domain.schedule import Attempt, Outcome, disabled_because, next_attempt_at, outcome_of
from services.webhooks.domain.signing import signed_headers
from services.webhooks.service_layer.endpoints import secrets_in_force

log = logging.getLogger("credit_claims.webhooks")


@dataclass(frozen=True, slots=True)
class Rules:
    """A pass takes at most `concurrency` messages, each tried within `deadline` seconds in all: a pass ends well
    inside its lease, so no other worker takes a message still being tried."""

    concurrency: int = 8
    deadline: float = 10.0
    lease: timedelta = timedelta(seconds=60)
    time_scale: float = 1.0
    public_only: bool = True  # outside sandbox mode, never to an address inside the suite's network


@dataclass(frozen=True, slots=True)
class Job:
    """A message taken for one attempt, with what its sending needs."""

    message_id: str
    endpoint_id: uuid.UUID
    number: int
    url: str
    secrets: list[str]
    body: bytes


def body_of(payload: dict[str, Any]) -> bytes:
    """The exact bytes signed and sent."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


async def take(database: Database, *, now: datetime, rules: Rules) -> list[Job]:
    async with WebhooksUnitOfWork(database) as uow:
        taken = await uow.webhooks.take_due(now=now, until=now + rules.lease, limit=rules.concurrency)
        jobs = [
            Job(
                message_id=message.id,
                endpoint_id=endpoint.id,
                number=message.attempts + 1,
                url=endpoint.url,
                secrets=secrets_in_force(endpoint, now=now),
                body=body_of(message.payload),
            )
            for message, endpoint in taken
        ]
        await uow.commit()
    return jobs


async def deliver_due(
    database: Database,
    client: httpx.AsyncClient,
    *,
    clock: Callable[[], datetime],
    rules: Rules,
    jitter: Callable[[], float] = lambda: random.uniform(-1.0, 1.0),
    noted: Callable[[Outcome], None] = lambda outcome: None,
) -> int:
    """One pass: the messages due now (at most `rules.concurrency`) tried once each, side by side; how many.
    `noted` hears each attempt's outcome (for the metrics)."""
    jobs = await take(database, now=clock(), rules=rules)

    async def attempt(job: Job) -> None:
        headers = signed_headers(job.secrets, message_id=job.message_id, timestamp=clock(), payload=job.body)
        try:
            sent = await post(
                client, job.url, headers=headers, body=job.body, deadline=rules.deadline, public_only=rules.public_only
            )
        except Exception as exc:  # whatever fails an attempt is the attempt's answer, never the pass's
            sent = Sent(status=None, error=f"{type(exc).__name__}: {exc}"[:500], latency_ms=0)
        # The endpoint may have been deleted while its message was tried: nothing is owed any more.
        with contextlib.suppress(NotFound):
            outcome = await record(database, job, sent, now=clock(), rules=rules, jitter=jitter())
            if outcome is not None:
                noted(outcome)

    await asyncio.gather(*(attempt(job) for job in jobs))
    return len(jobs)


async def record(
    database: Database, job: Job, sent: Sent, *, now: datetime, rules: Rules, jitter: float
) -> Outcome | None:
    """The attempt in the log; the message delivered, scheduled again or failed; the endpoint disabled if due.
    The attempt's outcome, or None when another worker recorded it already."""
    attempt = Attempt(number=job.number, status=sent.status, error=sent.error)
    outcome = outcome_of(attempt)
    async with WebhooksUnitOfWork(database) as uow:
        repo = uow.webhooks
        message = await repo.message(job.endpoint_id, job.message_id, for_update=True)
        endpoint = await repo.endpoint(job.endpoint_id, for_update=True)
        if endpoint is None or message.state != "pending" or message.attempts >= job.number:
            return None  # recorded already: the lease ran out and another worker tried it too
        repo.add(
            AttemptRow(
                message_id=message.id,
                number=job.number,
                at=now,
                status=sent.status,
                error=sent.error,
                latency_ms=sent.latency_ms,
                outcome=outcome.value,
            )
        )
        message.attempts, message.leased_until, message.last_answer = job.number, None, attempt.describe()
        if outcome is Outcome.DELIVERED:
            message.state, message.delivered_at, message.next_attempt_at = "delivered", now, None
            endpoint.last_success_at = now
        else:
            message.first_failure_at = message.first_failure_at or now
            following = next_attempt_at(attempt, now=now, jitter=jitter)
            message.next_attempt_at = now + (following - now) * rules.time_scale if following else None
            message.state = "pending" if following else "failed"
            reason = disabled_because(
                last=attempt, first_failure_at=message.first_failure_at, last_success_at=endpoint.last_success_at
            )
            if reason and endpoint.enabled:
                endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = False, reason, now
                endpoint.version += 1
                log.warning("webhooks: endpoint %s disabled: %s", endpoint.id, reason)
        await uow.commit()
    return outcome


def worker(
    *, every_seconds: float, rules: Rules, clock_of: Callable[[Any], Callable[[], datetime]]
) -> Callable[[Any], Awaitable[None]]:
    """The background job of the service: passes as long as there is work, a pause when there is none."""

    async def job(app: Any) -> None:
        clock = clock_of(app)
        client = delivery_client(timeout=rules.deadline)
        metrics = app.state.metrics

        def noted(outcome: Outcome) -> None:
            metrics.webhook_deliveries.labels(metrics.service, outcome.value).inc()

        try:
            while True:
                try:
                    tried = await deliver_due(app.state.db, client, clock=clock, rules=rules, noted=noted)
                except Exception:
                    log.exception("webhooks: a delivery pass failed; the next one takes the same messages")
                    app.state.metrics.job_ran("webhook_delivery", succeeded=False)
                    tried = 0
                else:
                    app.state.metrics.job_ran("webhook_delivery", succeeded=True)
                if tried < rules.concurrency:
                    await asyncio.sleep(every_seconds)
        finally:
            await client.aclose()

    return job
