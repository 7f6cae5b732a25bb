"""The debtors service through the gateway, real processes, real tokens; events reach claims across restarts."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from deploy.local import Suite
from services.claims.adapters.tables import DebtorProcedure
from services.kit.db import async_url
from tests.e2e.conftest import suite_running, token
from tests.shared.builders import policy_body
from tests.support import Databases, in_thread

pytestmark = pytest.mark.e2e
DATA = Path(__file__).resolve().parents[1] / "data" / "bodacc"
SAMPLES: list[dict[str, Any]] = json.loads((DATA / "samples.json").read_text())
EXPECTED: dict[str, Any] = json.loads((DATA / "expected.json").read_text())


@pytest.fixture(scope="module")
def suite(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    workdir = tmp_path_factory.mktemp("suite-debtors")
    with suite_running(databases, workdir, {"DEBTORS_RELAY_POLL_SECONDS": "0.1"}) as running:
        yield running


@pytest.fixture(scope="module")
def gateway(suite: Suite) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=suite.url("gateway"), timeout=10) as client:
        yield client


def replica_count(suite: Suite) -> int:
    async def count() -> int:
        engine = create_async_engine(async_url(suite.database_urls["claims"]))
        async with engine.connect() as conn:
            value = (await conn.execute(select(func.count()).select_from(DebtorProcedure))).scalar_one()
        await engine.dispose()
        return int(value)

    return in_thread(lambda: asyncio.run(count()))


def test_debtor_limit_exposure_and_procedures_through_the_gateway(suite: Suite, gateway: httpx.Client) -> None:
    insured, stranger = token(gateway, "demo-insured"), token(gateway, "demo-insured-beta")
    underwriter, handler = token(gateway, "demo-underwriter"), token(gateway, "demo-handler")
    policy = gateway.post("/v1/policies", json=policy_body(number="E2E-DEBTORS"), headers=underwriter).json()

    bad = gateway.post("/v1/debtors", json={"legal_name": "X", "country": "FR", "siren": "123456789"}, headers=insured)
    assert bad.status_code == 422 and bad.json()["code"] == "INVALID_IDENTIFIER" and "SIREN" in bad.json()["detail"]

    sirens = sorted({item["siren"] for item in EXPECTED.values() if item})
    ids = {}
    for siren in sirens:
        created = gateway.post(
            "/v1/debtors", json={"legal_name": f"Co {siren}", "country": "FR", "siren": siren}, headers=insured
        )
        assert created.status_code == 201, created.text
        ids[siren] = created.json()["id"]
    debtor_id = ids["853479236"]

    requested = gateway.post(
        "/v1/credit-limits",
        json={"policy_id": policy["id"], "debtor_id": debtor_id, "amount": "80000.00", "currency": "EUR"},
        headers=insured,
    )
    assert requested.status_code == 201, requested.text
    limit_url = requested.headers["Location"]
    assert gateway.get(limit_url, headers=stranger).status_code == 404
    decision = {"decision": "partially_granted", "amount": "50000.00", "reason": "Accounts 2025"}  # from today
    assert (
        gateway.post(
            f"{limit_url}/decision", json=decision, headers={**insured, "If-Match": requested.headers["ETag"]}
        ).status_code
        == 403
    )
    decided = gateway.post(
        f"{limit_url}/decision", json=decision, headers={**underwriter, "If-Match": requested.headers["ETag"]}
    )
    assert decided.status_code == 200 and decided.json()["amount_in_force"] == "50000.00"

    exposure = gateway.put(
        f"/v1/exposures/{policy['id']}/{debtor_id}",
        json={"amount": "31000.00", "currency": "EUR", "as_of_date": "2026-06-01"},
        headers=insured,
    )
    assert exposure.status_code == 201
    assert gateway.get(f"/v1/debtors/{debtor_id}/exposure", headers=insured).json()["totals"] == [
        {"currency": "EUR", "amount": "31000.00"}
    ]
    assert gateway.get(f"/v1/debtors/{debtor_id}/exposure", headers=stranger).json()["lines"] == []

    # The claims service is down while the announcements arrive: nothing is lost.
    suite.stop("claims", sig=signal.SIGKILL)
    report = gateway.post("/v1/procedure-announcements", json=SAMPLES, headers=handler)
    assert report.status_code == 200 and report.json()["recorded"] == 10
    for announcement_id, expected in EXPECTED.items():
        if expected is None:
            continue
        history = gateway.get(f"/v1/debtors/{ids[expected['siren']]}/procedure", headers=insured).json()["history"]
        [event] = [item for item in history if item["announcement_id"] == announcement_id]
        assert (event["event"], event["procedure"], event["creance_deadline"]) == (
            expected["event"],
            expected["procedure"],
            expected["creance_deadline"],
        )
    suite.start("claims")
    suite.wait_ready(timeout=60)
    # The relay backs off while claims is down (2, 4, 8 s…); within its backoff the events arrive.
    deadline = time.monotonic() + 40
    while replica_count(suite) < len(sirens) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert replica_count(suite) == len(sirens)
