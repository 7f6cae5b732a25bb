"""The worklist at 10,000 waiting claims: one page in the database, whatever the page, under concurrent reads.

Claims are written straight to the database (beside 2,000 closed ones), a third with a reminder on record and a
third with a formal notice, then worked out for the worklist as the upgrade that brought it does at the first
read. A claims process then answers pages: the first, every page of the whole list by its cursors, pages within
one status or policy, and 64 readers at once beside an unrelated read. Server time is the process's CPU time per
page (its /proc counters), beside the latency seen over loopback.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from bench import backoffice
from bench.debtors import ids_from
from bench.harness import (
    BenchDatabases,
    Figure,
    Report,
    bearer,
    bulk_insert,
    cpu_seconds,
    latencies,
    migrate,
    percentile,
    start_process,
    stop,
    wait_ready,
)
from services.claims.adapters.repository import ClaimsUnitOfWork
from services.claims.adapters.tables import Claim, CollectionAction
from services.claims.service_layer import worklist
from services.kit.auth import Role
from services.kit.clock import SystemClock
from services.kit.db import Database, async_url
from services.kit.types import new_id
from tests.shared.ports import free_port

WAITING = 10_000
CLOSED = 2_000
POLICIES = 20
PAGE = 50
STATUSES = ["open"] * 7 + ["insolvency", "indemnifiable", "forfeited"]
TARGET_MS = 50.0


def claim_rows(today: date, *, rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]], uuid.UUID]:
    """Waiting and closed claims, and the collection actions of two waiting claims in three; one policy's id."""
    now = datetime.now(UTC)
    ids = ids_from(new_id())
    policies = [next(ids) for _ in range(POLICIES)]
    claims, actions = [], []
    for index in range(WAITING + CLOSED):
        claim_id = next(ids)
        declared = today - timedelta(days=rng.randrange(0, 120))
        oldest_due = declared - timedelta(days=rng.randrange(10, 80))
        status = STATUSES[index % len(STATUSES)] if index < WAITING else "closed"
        insolvent = status in {"insolvency", "forfeited"}
        creance_deadline = declared + timedelta(days=rng.randrange(20, 90)) if insolvent else None
        claims.append(
            {
                "id": claim_id,
                "insured_id": f"INS-{index % 50:03d}",
                "policy_id": policies[index % POLICIES],
                "debtor_id": next(ids),
                "currency": "EUR",
                "status": status,
                "frozen": False,
                "declaration_date": declared,
                "oldest_due_date": oldest_due,
                "declaration_deadline": oldest_due + timedelta(days=90),
                "max_extension_end": oldest_due + timedelta(days=60),
                "waiting_period_end": oldest_due + timedelta(days=180),
                "creance_deadline": creance_deadline,
                "creance_deadline_legal": creance_deadline,
                "creance_missed_on": declared + timedelta(days=95) if status == "forfeited" else None,
                "creditor_territory": "FR",
                "terms": {},
                "cover_snapshot": {},
                "limits_snapshot": {},
                "procedure_snapshot": {"open": True, "opened_on": declared.isoformat()} if insolvent else {},
                "rejection_reasons": [],
                "version": 2,
                "created_at": now,
                "updated_at": now,
            }
        )
        if index < WAITING and index % 3:
            reminded = declared + timedelta(days=rng.randrange(0, 10))
            actions.append(action(next(ids), claim_id, "reminder", reminded, now))
            if index % 3 == 2:
                actions.append(action(next(ids), claim_id, "formal_notice", reminded + timedelta(days=14), now))
    return claims, actions, policies[0]


def action(action_id: uuid.UUID, claim_id: uuid.UUID, kind: str, on: date, now: datetime) -> dict[str, Any]:
    method = "registered_letter_with_acknowledgment" if kind == "formal_notice" else None
    return {
        "id": action_id,
        "claim_id": claim_id,
        "kind": kind,
        "done_on": on,
        "method": method,
        "documents": [],
        "recorded_at": now,
        "recorded_by": "bench",
    }


async def load(url: str, today: date) -> uuid.UUID:
    """The claims and their actions, then their worklist rows as at the first read after the upgrade."""
    claims, actions, policy_id = claim_rows(today, rng=random.Random(14))
    engine = create_async_engine(async_url(url))
    async with engine.begin() as conn:
        await bulk_insert(conn, Claim.__table__, claims)  # type: ignore[arg-type]
        await bulk_insert(conn, CollectionAction.__table__, actions)  # type: ignore[arg-type]
    await engine.dispose()
    return policy_id


async def run(report: Report, *, backend: str, workdir: Path) -> None:
    databases = BenchDatabases(backend, workdir)
    public_key, headers = bearer(workdir, Role.CLAIMS_HANDLER)
    process = None
    try:
        url = await databases.new("claims")
        migrate("claims", url)
        today = datetime.now(UTC).date()
        policy_id = await load(url, today)
        database = Database(url)
        started = time.perf_counter()
        # The service's own start-up step first (its default collection settings, {}), so that the process started
        # below finds the rows worked out with its settings and serves them rather than redoing every claim.
        await worklist.adopt(ClaimsUnitOfWork(database), worklist.Basis(SystemClock(), {}))
        worked = await worklist.catch_up(ClaimsUnitOfWork(database), today=today, rules={})
        seconds = time.perf_counter() - started
        await database.dispose()
        note = f"{worked:,} claims"
        report.add(
            Figure("worklist", backend, "work out every claim (after the upgrade)", seconds, "s", "", None, note)
        )

        port = free_port()
        env = {
            "CLAIMS_DATABASE_URL": url,
            "CLAIMS_JWT_PUBLIC_KEY_FILE": str(public_key),
            "CLAIMS_SWEEP_EVERY_SECONDS": "0",
            "CLAIMS_RELAY_ENABLED": "false",
        }
        process = start_process("services.claims.main:create_app", port=port, env=env, log=workdir / "claims.log")
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, process)
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
            await measure(report, client, backend=backend, pid=process.pid, policy_id=policy_id)
        await backoffice.measure(report, backend=backend, workdir=workdir, claims_url=base)
    finally:
        if process is not None:
            stop([process])
        await databases.drop()


async def measure(report: Report, client: httpx.AsyncClient, *, backend: str, pid: int, policy_id: uuid.UUID) -> None:
    everything = {"within_days": "365", "limit": str(PAGE)}
    first = await client.get("/v1/worklist", params=everything)
    first.raise_for_status()
    listed = first.json()["items"]

    cursors: list[str | None] = [None]
    total = 0
    while True:
        page = await client.get(
            "/v1/worklist", params={**everything, **({"cursor": cursors[-1]} if cursors[-1] else {})}
        )
        page.raise_for_status()
        total += len(page.json()["items"])
        if page.json()["next_cursor"] is None:
            break
        cursors.append(page.json()["next_cursor"])
    report.add(
        Figure("worklist", backend, "rows on the worklist (365 days)", total, "rows", "", None, f"{len(cursors)} pages")
    )

    async def first_page(_: int) -> httpx.Response:
        return await client.get("/v1/worklist", params=everything)

    async def any_page(index: int) -> httpx.Response:
        cursor = cursors[index % len(cursors)]
        return await client.get("/v1/worklist", params={**everything, **({"cursor": cursor} if cursor else {})})

    async def filtered(index: int) -> httpx.Response:
        params = {**everything, "status": "open"} if index % 2 else {**everything, "policy_id": str(policy_id)}
        return await client.get("/v1/worklist", params=params)

    for label, call in (
        ("first page", first_page),
        ("any page by its cursor", any_page),
        ("one status or policy", filtered),
    ):
        cpu_before = cpu_seconds(pid)
        samples, errors = await latencies(call, requests=300, concurrency=1)
        server_ms = (cpu_seconds(pid) - cpu_before) / len(samples) * 1000
        if errors:
            raise RuntimeError(f"{errors} failed worklist reads ({label})")
        report.add(
            Figure(
                "worklist",
                backend,
                f"{label}: server CPU per page of {PAGE}",
                server_ms,
                "ms",
                f"< {TARGET_MS:.0f}",
                server_ms < TARGET_MS,
            )
        )
        p99 = percentile(samples, 0.99) * 1000
        report.add(
            Figure("worklist", backend, f"{label}: p99 latency", p99, "ms", f"< {TARGET_MS:.0f}", p99 < TARGET_MS)
        )

    claim_id = listed[0]["claim_id"]

    async def unrelated(_: int) -> httpx.Response:
        return await client.get(f"/v1/claims/{claim_id}")

    async def crowd() -> tuple[list[float], int]:
        return await latencies(any_page, requests=64 * 10, concurrency=64)

    cpu_before = cpu_seconds(pid)
    crowd_task = asyncio.create_task(crowd())
    await asyncio.sleep(0.05)
    beside, beside_errors = await latencies(unrelated, requests=50, concurrency=1)
    samples, errors = await crowd_task
    server_ms = (cpu_seconds(pid) - cpu_before) / (len(samples) + len(beside)) * 1000
    report.add(Figure("worklist", backend, "64 readers at once: server CPU per read", server_ms, "ms", "", None))
    report.add(
        Figure(
            "worklist",
            backend,
            "64 readers at once: failed answers",
            errors + beside_errors,
            "",
            "0",
            errors + beside_errors == 0,
        )
    )
    report.add(
        Figure("worklist", backend, "64 readers at once: p99 latency", percentile(samples, 0.99) * 1000, "ms", "", None)
    )
    p99 = percentile(beside, 0.99) * 1000
    # One process answers in turn: the read waits behind the pages queued before it (6 s at 2,200 claims when
    # each page read every claim).
    note = "one process, 64 pages queued ahead"
    report.add(
        Figure(
            "worklist", backend, "a claim read beside 64 worklist readers: p99", p99, "ms", "< 1,000", p99 < 1000, note
        )
    )
