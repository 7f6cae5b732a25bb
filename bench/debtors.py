"""Debtors at scale: lookups that stay flat from 10,000 to 1,000,000 debtors, and BODACC ingestion speed."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from bench.harness import (
    BenchDatabases,
    Figure,
    Report,
    bearer,
    bulk_insert,
    latencies,
    median,
    migrate,
    percentile,
    start_process,
    stop,
    wait_ready,
)
from services.debtors.adapters.tables import CoverStop, CreditLimit, CreditLimitVersion, Debtor
from services.kit.auth import Role
from services.kit.db import async_url
from services.kit.types import new_id
from tests.shared.builders import policy_body
from tests.shared.ports import free_port

SIZES = {"small": 10_000, "large": 1_000_000}
RECORDS = 100_000
BATCH = 10_000
ROUNDS = 2
REQUESTS_PER_ROUND = 200
LOADED = [Debtor.__table__, CreditLimit.__table__, CreditLimitVersion.__table__, CoverStop.__table__]


# Luhn: every second digit from the right (the check digit's neighbour first) counts doubled, digits summed.
_DOUBLED = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9]


def luhn_siren(base: int) -> str:
    """A valid SIREN (Luhn) from an 8-digit base."""
    digits = f"{base:08d}"
    total = sum(_DOUBLED[int(char)] for char in digits[1::2]) + sum(int(char) for char in digits[0::2])
    return digits + str((10 - total % 10) % 10)


def ids_from(first: uuid.UUID) -> Iterator[uuid.UUID]:
    """Time-ordered ids for a load, each the one before plus one (new_id for every row is half the load)."""
    value = first.int
    while True:
        yield uuid.UUID(int=value)
        value += 1


def siren_of(index: int) -> str:
    return luhn_siren(10_000_000 + index * 7)


async def load_debtors(url: str, count: int, *, policy_id: uuid.UUID) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Registry rows written straight to the database (the API would take hours for a million).

    Every tenth debtor has a named limit under the policy, granted then reduced. Another tenth has a claim
    open or closed under the policy (a cover stop, as claims' events leave it): 100,000 claims beside
    1,000,000 debtors. The ids of both kinds are returned.
    """
    now = datetime.now(UTC)
    engine = create_async_engine(async_url(url))
    with_limits: list[uuid.UUID] = []
    with_claims: list[uuid.UUID] = []
    ids = ids_from(new_id())
    async with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            # A large page cache for the load only: the indexes of a million rows outgrow the default 2 MB.
            await conn.exec_driver_sql("PRAGMA cache_size = -262144")
        # Secondary indexes are built once after the load (sorted), not row by row during it.
        indexes = [index for table in LOADED for index in table.indexes]
        for index in indexes:
            await conn.run_sync(index.drop)
        for start in range(0, count, 50_000):
            debtors, limits, versions, stops = [], [], [], []
            for index in range(start, min(count, start + 50_000)):
                siren, debtor_id = siren_of(index), next(ids)
                debtors.append(
                    {
                        "id": debtor_id,
                        "legal_name": f"Company {index}",
                        "name_key": f"company {index}",
                        "country": "FR",
                        "national_id": siren,
                        "siren": siren,
                        "created_at": now,
                        "created_by": "bench",
                    }
                )
                if index % 10 == 5:
                    with_claims.append(debtor_id)
                    stops.append(
                        {
                            "id": next(ids),
                            "policy_id": policy_id,
                            "debtor_id": debtor_id,
                            "claim_id": str(next(ids)),
                            "stopped_on": date(2026, 5, 1),
                            "restored_on": date(2026, 9, 1) if index % 20 == 5 else None,
                        }
                    )
                if index % 10 == 0:
                    limit_id = next(ids)
                    with_limits.append(debtor_id)
                    limits.append(
                        {
                            "id": limit_id,
                            "policy_id": policy_id,
                            "debtor_id": debtor_id,
                            "insured_id": "INS-ACME",
                            "currency": "EUR",
                            "version": 1,
                            "created_at": now,
                        }
                    )
                    for effective, amount in ((date(2026, 1, 1), 50_000), (date(2026, 7, 1), 30_000)):
                        versions.append(
                            {
                                "id": next(ids),
                                "credit_limit_id": limit_id,
                                "kind": "granted",
                                "amount": Decimal(amount),
                                "effective_date": effective,
                                "recorded_at": now,
                                "recorded_by": "bench",
                            }
                        )
            await bulk_insert(conn, Debtor.__table__, debtors)
            await bulk_insert(conn, CreditLimit.__table__, limits)
            await bulk_insert(conn, CreditLimitVersion.__table__, versions)
            await bulk_insert(conn, CoverStop.__table__, stops)
        for index in indexes:
            await conn.run_sync(index.create)
    async with engine.connect() as conn:
        await conn.exec_driver_sql("ANALYZE")
        await conn.commit()
    await engine.dispose()
    return with_limits, with_claims


def bodacc_records(count: int, *, known: int, seed: int = 7) -> list[dict[str, Any]]:
    """Records shaped as the open-data set publishes them; a fifth name SIRENs nobody registered."""
    rng = random.Random(seed)
    natures = [
        ("Jugement d'ouverture", "Jugement d'ouverture de liquidation judiciaire"),
        ("Jugement d'ouverture", "Jugement d'ouverture d'une procédure de redressement judiciaire"),
        ("Jugement d'ouverture", "Jugement d'ouverture d'une procédure de sauvegarde"),
        ("Jugement prononçant", "Jugement de conversion en liquidation judiciaire"),
        ("Jugement de clôture", "Jugement de clôture pour insuffisance d'actif"),
    ]
    records = []
    for index in range(count):
        siren = siren_of(rng.randrange(known)) if rng.random() < 0.8 else luhn_siren(90_000_000 + index)
        famille, nature = rng.choice(natures)
        judged = date(2026, 1, 1) + timedelta(days=rng.randrange(300))
        records.append(
            {
                "id": f"BENCH-{index:07d}",
                "dateparution": (judged + timedelta(days=8)).isoformat(),
                "familleavis": "collective",
                "tribunal": "Tribunal de commerce de Bench",
                "registre": [siren, f"{siren[:3]} {siren[3:6]} {siren[6:]}"],
                "jugement": json.dumps({"famille": famille, "nature": nature, "date": judged.isoformat()}),
            }
        )
    return records


async def run(report: Report, *, backend: str, workdir: Path) -> None:
    databases = BenchDatabases(backend, workdir)
    public_key, headers = bearer(workdir, Role.ADMIN)
    processes = []
    try:
        policies_url = await databases.new("policies")
        migrate("policies", policies_url)
        policies_port = free_port()
        policies = start_process(
            "services.policies.main:create_app",
            port=policies_port,
            env={"POLICIES_DATABASE_URL": policies_url, "POLICIES_JWT_PUBLIC_KEY_FILE": str(public_key)},
            log=workdir / "policies.log",
        )
        processes.append(policies)
        wait_ready(f"http://127.0.0.1:{policies_port}", policies)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{policies_port}", headers=headers) as setup:
            created = await setup.post("/v1/policies", json=policy_body(number="BENCH-1"))
        policy_id = uuid.UUID(created.json()["id"])

        urls: dict[str, str] = {}
        with_limits: dict[str, list[uuid.UUID]] = {}
        claimed: dict[str, list[uuid.UUID]] = {}
        for name, size in SIZES.items():
            urls[name] = await databases.new(f"debtors_{name}")
            migrate("debtors", urls[name])
            started = time.perf_counter()
            with_limits[name], claimed[name] = await load_debtors(urls[name], size, policy_id=policy_id)
            seconds = time.perf_counter() - started
            print(
                f"  loaded {size:,} debtors, {len(claimed[name]):,} claims ({backend}) in {seconds:.1f} s", flush=True
            )

        clients: dict[str, httpx.AsyncClient] = {}
        for name in SIZES:
            port = free_port()
            process = start_process(
                "services.debtors.main:create_app",
                port=port,
                env={
                    "DEBTORS_DATABASE_URL": urls[name],
                    "DEBTORS_JWT_PUBLIC_KEY_FILE": str(public_key),
                    "DEBTORS_POLICIES_URL": f"http://127.0.0.1:{policies_port}",
                    # Events are written to the outbox (their cost is measured) but not sent.
                    "DEBTORS_SUBSCRIBERS": json.dumps(
                        {"debtor.procedure_changed.v1": ["http://127.0.0.1:9/internal/events"]}
                    ),
                    "DEBTORS_RELAY_ENABLED": "false",
                },
                log=workdir / f"debtors-{name}.log",
            )
            processes.append(process)
            wait_ready(f"http://127.0.0.1:{port}", process)
            clients[name] = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60)

        rng = random.Random(3)
        p99: dict[str, dict[str, list[float]]] = {"siren": {}, "in_force": {}, "context": {}}
        for _ in range(ROUNDS):
            for name, client in clients.items():
                size, limited = SIZES[name], with_limits[name]

                async def by_siren(_: int, client: httpx.AsyncClient = client, size: int = size) -> httpx.Response:
                    return await client.get("/v1/debtors", params={"siren": siren_of(rng.randrange(size))})

                async def in_force(
                    _: int, client: httpx.AsyncClient = client, limited: list[uuid.UUID] = limited
                ) -> httpx.Response:
                    params = {
                        "policy_id": str(policy_id),
                        "debtor_id": str(rng.choice(limited)),
                        "on": ["2026-03-01", "2026-08-01"],
                    }
                    return await client.get("/v1/credit-limits/in-force", params=params)

                async def context(
                    _: int, client: httpx.AsyncClient = client, name: str = name, limited: list[uuid.UUID] = limited
                ) -> httpx.Response:
                    # What claims reads for each declaration: half on debtors with a limit, half on debtors with
                    # a claim (and no limit of their own: the discretionary limit, stopped by the claim).
                    debtor_id = rng.choice(limited) if rng.random() < 0.5 else rng.choice(claimed[name])
                    params = {"policy_id": str(policy_id), "on": ["2026-03-01", "2026-08-01"]}
                    return await client.get(f"/v1/debtors/{debtor_id}/declaration-context", params=params)

                for kind, call in (("siren", by_siren), ("in_force", in_force), ("context", context)):
                    samples, errors = await latencies(call, requests=REQUESTS_PER_ROUND, concurrency=4)
                    if errors:
                        raise RuntimeError(f"{errors} failed {kind} lookups on {name}")
                    p99[kind].setdefault(name, []).append(percentile(samples, 0.99))
        labels = (("siren", "debtor by SIREN"), ("in_force", "limit in force"), ("context", "declaration context"))
        for kind, label in labels:
            small, large = median(p99[kind]["small"]), median(p99[kind]["large"])
            small_label, large_label = "10k debtors, 1k claims", "1M debtors, 100k claims"
            report.add(Figure("debtors", backend, f"{label} p99 {small_label}", small * 1000, "ms", "", None))
            report.add(Figure("debtors", backend, f"{label} p99 {large_label}", large * 1000, "ms", "", None))
            ratio = large / small
            report.add(Figure("debtors", backend, f"{label} p99 ratio large/small", ratio, "x", "<= 1.3", ratio <= 1.3))

        records = bodacc_records(RECORDS, known=SIZES["large"])
        bodies = [json.dumps(records[start : start + BATCH]).encode() for start in range(0, RECORDS, BATCH)]
        large_client = clients["large"]
        started = time.perf_counter()
        recorded = 0
        for body in bodies:
            response = await large_client.post(
                "/v1/procedure-announcements", content=body, headers={"content-type": "application/json"}
            )
            response.raise_for_status()
            recorded += response.json()["recorded"]
        elapsed = time.perf_counter() - started
        rate = RECORDS / elapsed
        report.add(
            Figure(
                "debtors",
                backend,
                "BODACC ingestion, 100k records vs 1M debtors",
                rate,
                "records/s",
                ">= 20,000",
                rate >= 20_000,
                f"{recorded} recorded",
            )
        )
        for client in clients.values():
            await client.aclose()
    finally:
        stop(processes)
        await databases.drop()
