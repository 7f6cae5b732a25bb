"""Faults with the real processes: the claims service killed while partners declare, then restarted.

Every declaration carries an Idempotency-Key, as a partner's retrying client would send it.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from deploy.local import Suite
from tests.e2e.conftest import suite_running, token
from tests.shared.builders import invoice, policy_body, siren
from tests.support import Databases

pytestmark = pytest.mark.e2e
TODAY = datetime.now(UTC).date()
DECLARATIONS = 40


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


@pytest.fixture(scope="module")
def suite(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    # A short lease, so that a retry soon after the restart may take over an attempt the kill cut short.
    lease = {"CLAIMS_IDEMPOTENCY_LEASE_SECONDS": "1"}
    with suite_running(databases, tmp_path_factory.mktemp("suite-faults"), lease) as running:
        yield running


def declaration_of(policy_id: str, debtor_id: str, number: int) -> dict[str, Any]:
    return {
        "policy_id": policy_id,
        "debtor_id": debtor_id,
        "invoices": [
            invoice(f"K-{number:03d}", invoice_date=day(-60), due_date=day(-30), amount="1200.00", vat_amount="200.00")
        ],
    }


def test_claims_killed_during_declarations_loses_nothing_and_each_key_succeeds_once(suite: Suite) -> None:
    with httpx.Client(base_url=suite.url("gateway"), timeout=10) as gateway:
        underwriter, insured = token(gateway, "demo-underwriter"), token(gateway, "demo-insured")
        handler = token(gateway, "demo-handler")
        created = gateway.post(
            "/v1/policies",
            json=policy_body(number="E2E-FAULTS", start_date=day(-200), end_date=day(300)),
            headers=underwriter,
        )
        policy_id = created.json()["id"]
        activated = gateway.patch(
            created.headers["Location"],
            json={"status": "active"},
            headers={**underwriter, "If-Match": created.headers["ETag"]},
        )
        assert activated.status_code == 200
        debtors = [
            gateway.post(
                "/v1/debtors",
                json={"legal_name": f"Faults {number} SA", "country": "FR", "siren": siren(number)},
                headers=insured,
            ).json()["id"]
            for number in range(DECLARATIONS)
        ]

        def declare(number: int) -> tuple[int, httpx.Response, float, float]:
            started = time.monotonic()
            answer = gateway.post(
                "/v1/claims",
                json=declaration_of(policy_id, debtors[number], number),
                headers={**insured, "Idempotency-Key": f"fault-{number}"},
            )
            return number, answer, started, time.monotonic()

        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(declare, number) for number in range(DECLARATIONS)]
            while sum(future.done() for future in futures) < 5:
                time.sleep(0.01)
            killed_at = time.monotonic()
            suite.stop("claims", sig=signal.SIGKILL)
            answers = [future.result() for future in futures]

        statuses = {answer.status_code for _, answer, _, _ in answers}
        assert statuses <= {201, 503}, [
            answer.text for _, answer, _, _ in answers if answer.status_code not in (201, 503)
        ]
        failed = [(answer, started, finished) for _, answer, started, finished in answers if answer.status_code == 503]
        assert failed, "the kill came after every declaration had answered"
        for answer, started, finished in failed:
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.headers["Retry-After"] and answer.json()["code"] == "UPSTREAM_UNAVAILABLE"
            assert finished - max(started, killed_at) < 2  # no request hangs on the dead process

        suite.start("claims")
        suite.wait_ready(timeout=60)
        time.sleep(1.2)  # the lease of the attempts the kill cut short

        # Nothing half-written: every claim the kill left has its invoice and its timeline.
        survivors = gateway.get("/v1/claims?limit=200", headers=handler).json()["items"]
        for claim in survivors:
            assert claim["status"] == "open" and len(claim["invoices"]) == 1
            timeline = gateway.get(f"/v1/claims/{claim['id']}/timeline", headers=handler).json()
            assert [entry["kind"] for entry in timeline] == ["declared", "opened"]

        # Each key, retried, ends with exactly one claim for its invoice; a first success replays.
        first = {number: answer for number, answer, _, _ in answers}
        for number in range(DECLARATIONS):
            retried = declare(number)[1]
            assert retried.status_code in (201, 409), retried.text
            if retried.status_code == 409:
                assert retried.json()["code"] == "IDEMPOTENCY_RESPONSE_LOST"
            if first[number].status_code == 201:
                assert retried.status_code == 201 and retried.content == first[number].content
            again = declare(number)[1]
            assert again.status_code == retried.status_code
            if retried.status_code == 201:
                assert again.content == retried.content and again.headers["Idempotent-Replayed"] == "true"
        claims = gateway.get("/v1/claims?limit=200", headers=handler).json()["items"]
        numbers = sorted(claim["invoices"][0]["number"] for claim in claims)
        assert numbers == [f"K-{number:03d}" for number in range(DECLARATIONS)]
