"""Two claims walked through the gateway over the four real processes, every amount checked to the cent.

The processes run on the real clock, so every date here is counted from today. Insolvency: declared,
then a liquidation judgment reaches the claim through the outboxes; créance filed in time; indemnity
paid once; a recovery shared. Protracted default: the waiting period runs out.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.builders import invoice, policy_body
from tests.e2e.conftest import suite_running, token
from tests.support import Databases

pytestmark = pytest.mark.e2e
TODAY = datetime.now(UTC).date()


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


@pytest.fixture(scope="module")
def gateway(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    relay_fast = {"DEBTORS_RELAY_POLL_SECONDS": "0.1", "CLAIMS_RELAY_POLL_SECONDS": "0.1"}
    with (
        suite_running(databases, tmp_path_factory.mktemp("suite-claims"), relay_fast) as suite,
        httpx.Client(base_url=suite.url("gateway"), timeout=15) as client,
    ):
        yield client


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def actors(gateway: httpx.Client) -> dict[str, dict[str, str]]:
    return {name: token(gateway, f"demo-{name}") for name in ("insured", "insured-beta", "underwriter", "handler")}


@pytest.fixture(scope="module")
def policy(gateway: httpx.Client, actors: dict[str, dict[str, str]]) -> dict[str, Any]:
    body = policy_body(number="E2E-CLAIMS", start_date=day(-200), end_date=day(500))
    created = gateway.post("/v1/policies", json=body, headers=actors["underwriter"])
    headers = {**actors["underwriter"], "If-Match": created.headers["ETag"]}
    ok(gateway.patch(created.headers["Location"], json={"status": "active"}, headers=headers))
    return created.json()


def debtor(gateway: httpx.Client, actors: dict[str, dict[str, str]], siren: str) -> str:
    body = {"legal_name": f"Co {siren}", "country": "FR", "siren": siren}
    return ok(gateway.post("/v1/debtors", json=body, headers=actors["insured"]), 201)["id"]


def wait_for_status(gateway: httpx.Client, url: str, headers: dict[str, str], status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        claim = ok(gateway.get(url, headers=headers))
        if claim["status"] == status or time.monotonic() > deadline:
            return claim
        time.sleep(0.2)


def test_insolvency_case_from_declaration_to_shared_recovery(
    gateway: httpx.Client, actors: dict[str, dict[str, str]], policy: dict[str, Any]
) -> None:
    insured, handler = actors["insured"], actors["handler"]
    debtor_id = debtor(gateway, actors, "853479236")
    limit = {"policy_id": policy["id"], "debtor_id": debtor_id, "amount": "10000.00", "currency": "EUR"}
    requested = gateway.post("/v1/credit-limits", json=limit, headers=insured)
    decision = {"decision": "granted", "reason": "ok", "effective_date": day(-200)}
    headers = {**actors["underwriter"], "If-Match": requested.headers["ETag"]}
    ok(gateway.post(f"{requested.headers['Location']}/decision", json=decision, headers=headers))
    invoices = [
        invoice("A", invoice_date=day(-100), due_date=day(-40), amount="12000.00", vat_amount="2000.00"),
        invoice("B", invoice_date=day(-80), due_date=day(-20), amount="6000.00", vat_amount="1000.00"),
    ]
    declared = gateway.post(
        "/v1/claims",
        json={"policy_id": policy["id"], "debtor_id": debtor_id, "invoices": invoices},
        headers={**insured, "Idempotency-Key": "e2e-insolvency"},
    )
    ok(declared, 201)
    url = declared.headers["Location"]
    assert gateway.get(url, headers=actors["insured-beta"]).status_code == 404
    payment = {"amount": "3000.00", "received_on": day(0)}
    ok(gateway.post(f"{url}/payments-received", json=payment, headers=insured), 201)
    judgment = {
        "procedure": "liquidation_judiciaire",
        "event": "opening",
        "judgment_date": day(0),
        "publication_date": day(0),
    }
    ok(gateway.post(f"/v1/debtors/{debtor_id}/procedure-events", json=judgment, headers=handler), 201)
    claim = wait_for_status(gateway, url, insured, "insolvency")
    deadline = ok(gateway.get(f"/v1/debtors/{debtor_id}/procedure", headers=handler))["creance_deadline"]
    assert (claim["status"], claim["deadlines"]["creance_deadline"]) == ("insolvency", deadline)
    filing = {"filed_on": day(0), "amount": "15000.00", "court_officer": "Me Dupont"}
    as_read = {**insured, "If-Match": gateway.get(url, headers=insured).headers["ETag"]}
    assert ok(gateway.post(f"{url}/creance-filings", json=filing, headers=as_read), 201)["status"] == "indemnifiable"
    assert gateway.post(f"{url}/indemnity", headers=insured).status_code == 403
    # A: 9,000 unpaid -> 7,500 net; B: 5,000 net; limit 10,000 -> 7,500 + 2,500; x 0.90 - 500 = 8,500.
    paid = ok(gateway.post(f"{url}/indemnity", headers=handler), 201)
    assert (paid["eligible_loss"], paid["amount"]) == ("10000.00", "8500.00")
    assert ok(gateway.post(f"{url}/indemnity", headers=handler)) == paid
    recovery = {"amount": "1000.00", "received_on": day(0)}
    shared = ok(gateway.post(f"{url}/recoveries", json=recovery, headers=handler), 201)
    assert (shared["insurer_share"], shared["insured_share"]) == ("850.00", "150.00")
    as_read = {**handler, "If-Match": gateway.get(url, headers=handler).headers["ETag"]}
    assert ok(gateway.post(f"{url}/closure", json={"reason": "LJ closed"}, headers=as_read), 201)["status"] == "closed"
    timeline = ok(gateway.get(f"{url}/timeline", headers=insured))
    insolvency = next(entry for entry in timeline if entry["kind"] == "insolvency")
    assert insolvency["actor"] == "debtors" and insolvency["source"].startswith("event:")


def test_protracted_default_case(
    gateway: httpx.Client, actors: dict[str, dict[str, str]], policy: dict[str, Any]
) -> None:
    insured, handler = actors["insured"], actors["handler"]
    debtor_id = debtor(gateway, actors, "732829320")  # no named limit: the policy's discretionary 20,000 covers
    unpaid = invoice("C", invoice_date=day(-100), due_date=day(-40), amount="24000.00", vat_amount="4000.00")
    declared = gateway.post(
        "/v1/claims", json={"policy_id": policy["id"], "debtor_id": debtor_id, "invoices": [unpaid]}, headers=insured
    )
    url = declared.headers["Location"]
    waiting_ends = ok(declared, 201)["deadlines"]["waiting_period_end"]
    assert waiting_ends == day(140)
    assert ok(gateway.post("/v1/claims/sweeps", json={"on": waiting_ends}, headers=handler))["indemnifiable"] == 0
    after = (date.fromisoformat(waiting_ends) + timedelta(days=1)).isoformat()
    assert ok(gateway.post("/v1/claims/sweeps", json={"on": after}, headers=handler))["indemnifiable"] == 1
    worklist = ok(gateway.get("/v1/worklist", headers=handler))["items"]
    assert any(item["claim_id"] == url.rsplit("/", 1)[1] and item["action"] == "indemnity_to_pay" for item in worklist)
    # 24,000 incl. VAT -> 20,000 net, within 20,000; x 0.90 = 18,000; - 500 deductible = 17,500.
    paid = ok(gateway.post(f"{url}/indemnity", headers=handler), 201)
    assert (paid["eligible_loss"], paid["amount"]) == ("20000.00", "17500.00")
    recovery = {"amount": "2000.00", "received_on": day(0), "origin": "debtor"}
    shared = ok(gateway.post(f"{url}/recoveries", json=recovery, headers=handler), 201)
    assert (shared["insurer_share"], shared["insured_share"]) == ("1750.00", "250.00")
    liability = ok(gateway.get(f"/v1/policies/{policy['id']}/liability?on={day(-100)}", headers=insured))
    assert liability["consumed"] == "26000.00"


def test_demo_tour_runs_clean_against_the_suite(gateway: httpx.Client) -> None:
    import os
    import subprocess
    import sys

    from services.kit.settings import PROJECT_ROOT

    tour = subprocess.run(
        [sys.executable, "-m", "deploy.demo"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "GATEWAY_URL": str(gateway.base_url).rstrip("/")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert tour.returncode == 0, tour.stderr + tour.stdout
    assert "indemnity 8500.00 EUR (eligible loss 10000.00)" in tour.stdout
    assert "indemnity 17500.00 EUR (eligible loss 20000.00)" in tour.stdout
    assert "collection: route=injonction_de_payer stage=order_served duties met=True" in tour.stdout
    assert "collection:await_opposition_window" in tour.stdout
