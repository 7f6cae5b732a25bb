"""The debtors service killed while its outbox relay delivers a batch to claims: after restart, every event
arrives and none takes effect twice (real processes)."""

from __future__ import annotations

import asyncio
import copy
import json
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from deploy.local import Suite
from services.claims.adapters.tables import DebtorProcedure
from services.debtors.adapters.tables import outbox as debtors_outbox
from services.kit.db import async_url
from tests.e2e.conftest import suite_running, token
from tests.shared.builders import invoice, policy_body, siren
from tests.support import Databases, in_thread

pytestmark = pytest.mark.e2e
DEBTORS = 150  # one relay batch holds them all: the kill lands inside it
TODAY = datetime.now(UTC).date()
TEMPLATE = next(
    record
    for record in json.loads((Path(__file__).resolve().parents[1] / "data" / "bodacc" / "samples.json").read_text())
    if record["id"] == "SYN-0004"  # a redressement judiciaire opened
)


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def announcement(number: int) -> dict[str, Any]:
    record = copy.deepcopy(TEMPLATE)
    code = siren(number)
    record["id"] = f"KILL-{number:04d}"
    record["registre"] = [f"{code[:3]} {code[3:6]} {code[6:]}", code]
    return record


@pytest.fixture(scope="module")
def suite(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    # Lists of ten: the first lists are applied in claims while the batch's others are still to be sent.
    fast = {
        "DEBTORS_RELAY_POLL_SECONDS": "0.05",
        "DEBTORS_RELAY_LEASE_SECONDS": "2",
        "DEBTORS_RELAY_EVENTS_PER_REQUEST": "10",
    }
    with suite_running(databases, tmp_path_factory.mktemp("suite-relay"), fast) as running:
        yield running


def count(url: str, query: Any) -> int:
    async def run() -> int:
        engine = create_async_engine(async_url(url))
        async with engine.connect() as conn:
            value = (await conn.execute(query)).scalar_one()
        await engine.dispose()
        return int(value)

    return in_thread(lambda: asyncio.run(run()))


def last_errors(url: str) -> list[str]:
    async def run() -> list[str]:
        engine = create_async_engine(async_url(url))
        async with engine.connect() as conn:
            query = select(debtors_outbox.c.last_error).where(debtors_outbox.c.delivered_at.is_(None)).limit(3)
            errors = [str(row[0]) for row in await conn.execute(query)]
        await engine.dispose()
        return errors

    return in_thread(lambda: asyncio.run(run()))


def test_relay_killed_mid_batch_delivers_every_event_once_in_effect(suite: Suite) -> None:
    replicas = select(func.count()).select_from(DebtorProcedure)
    # The events owed to claims (the same events are owed to the webhooks service too, on rows of their own).
    to_claims = debtors_outbox.c.destination == f"{suite.url('claims')}/internal/events"
    undelivered = (
        select(func.count()).select_from(debtors_outbox).where(to_claims, debtors_outbox.c.delivered_at.is_(None))
    )
    with httpx.Client(base_url=suite.url("gateway"), timeout=15) as gateway:
        underwriter, insured = token(gateway, "demo-underwriter"), token(gateway, "demo-insured")
        handler = token(gateway, "demo-handler")
        body = policy_body(number="E2E-RELAY", start_date=day(-200), end_date=day(300))
        created = gateway.post("/v1/policies", json=body, headers=underwriter)
        headers = {**underwriter, "If-Match": created.headers["ETag"]}
        assert gateway.patch(created.headers["Location"], json={"status": "active"}, headers=headers).status_code == 200
        claims = []
        for number in range(DEBTORS):
            debtor = gateway.post(
                "/v1/debtors",
                json={"legal_name": f"Relay {number}", "country": "FR", "siren": siren(number)},
                headers=insured,
            )
            assert debtor.status_code == 201, debtor.text
            lines = [invoice(f"R-{number}", invoice_date=day(-60), due_date=day(-30), vat_amount="0.00")]
            declared = gateway.post(
                "/v1/claims",
                json={"policy_id": created.json()["id"], "debtor_id": debtor.json()["id"], "invoices": lines},
                headers=insured,
            )
            assert declared.status_code == 201, declared.text
            claims.append(declared.json()["id"])

        report = gateway.post(
            "/v1/procedure-announcements", json=[announcement(number) for number in range(DEBTORS)], headers=handler
        )
        assert report.status_code == 200 and report.json()["recorded"] == DEBTORS, report.text
        claims_db = suite.database_urls["claims"]
        while (delivered := count(claims_db, replicas)) == 0:
            time.sleep(0.005)
        suite.stop("debtors", sig=signal.SIGKILL)
        delivered_at_kill = count(claims_db, replicas)
        assert delivered_at_kill < DEBTORS, "the relay finished its batch before the kill"
        assert count(suite.database_urls["debtors"], undelivered) == DEBTORS  # the batch was never settled

        suite.start("debtors")
        suite.wait_ready(timeout=60)
        # Generous: a delivery the loaded machine failed (CI runs two suites at once) waits out its backoff.
        deadline = time.monotonic() + 90
        while count(suite.database_urls["debtors"], undelivered) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = count(suite.database_urls["debtors"], undelivered)
        assert left == 0, f"{left} undelivered; last errors: {last_errors(suite.database_urls['debtors'])}"
        assert count(claims_db, replicas) == DEBTORS
        for claim_id in claims:
            kinds = [entry["kind"] for entry in gateway.get(f"/v1/claims/{claim_id}/timeline", headers=handler).json()]
            assert kinds.count("insolvency") == 1, kinds
            assert kinds.count("collection_suspended") == 1, kinds
        assert delivered >= 1
