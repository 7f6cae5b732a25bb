"""Claims walked through the gateway over the four real processes, every amount checked to the cent.

The suite runs in sandbox mode, as `make run` does: time passes only when an admin moves the sandbox clock,
and every service follows. Insolvency: declared, a liquidation judgment reaches the claims through the
outboxes; one créance filed in time, the other not — moving the clock past its deadline forfeits that claim;
indemnity paid once; a recovery shared. Protracted default: moving the clock past the waiting period makes the
claim indemnifiable.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import suite_running, token
from tests.shared.builders import invoice, policy_body
from tests.support import Databases

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def gateway(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    relay_fast = {"DEBTORS_RELAY_POLL_SECONDS": "0.1", "CLAIMS_RELAY_POLL_SECONDS": "0.1"}
    with (
        suite_running(databases, tmp_path_factory.mktemp("suite-claims"), relay_fast, sandbox=True) as suite,
        httpx.Client(base_url=suite.url("gateway"), timeout=60) as client,
    ):
        yield client


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def actors(gateway: httpx.Client) -> dict[str, dict[str, str]]:
    names = ("insured", "insured-beta", "underwriter", "handler", "admin")
    return {name: token(gateway, f"demo-{name}") for name in names}


class Sandbox:
    """The suite's business calendar: dates counted from the day a test began, moved forward by an admin."""

    def __init__(self, gateway: httpx.Client, admin: dict[str, str]) -> None:
        self.gateway, self.admin = gateway, admin
        self.start = date.fromisoformat(ok(gateway.get("/v1/sandbox/clock", headers=admin))["today"])

    def day(self, offset: int) -> str:
        return (self.start + timedelta(days=offset)).isoformat()

    def move_to(self, offset: int) -> dict[str, Any]:
        return ok(self.gateway.post("/v1/sandbox/clock", json={"today": self.day(offset)}, headers=self.admin))


@pytest.fixture
def sandbox(gateway: httpx.Client, actors: dict[str, dict[str, str]]) -> Sandbox:
    return Sandbox(gateway, actors["admin"])


def make_policy(gateway: httpx.Client, actors: dict[str, dict[str, str]], sandbox: Sandbox, number: str) -> str:
    body = policy_body(number=number, start_date=sandbox.day(0), end_date=sandbox.day(700))
    created = gateway.post("/v1/policies", json=body, headers=actors["underwriter"])
    headers = {**actors["underwriter"], "If-Match": created.headers["ETag"]}
    ok(gateway.patch(created.headers["Location"], json={"status": "active"}, headers=headers))
    return str(created.json()["id"])


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


def liquidation(gateway: httpx.Client, handler: dict[str, str], debtor_id: str, on: str) -> None:
    judgment = {"procedure": "liquidation_judiciaire", "event": "opening", "judgment_date": on, "publication_date": on}
    ok(gateway.post(f"/v1/debtors/{debtor_id}/procedure-events", json=judgment, headers=handler), 201)


def test_insolvency_case_from_declaration_to_shared_recovery(
    gateway: httpx.Client, actors: dict[str, dict[str, str]], sandbox: Sandbox
) -> None:
    insured, handler = actors["insured"], actors["handler"]
    policy_id = make_policy(gateway, actors, sandbox, "E2E-INSOLVENCY")
    debtor_id, late_debtor_id = debtor(gateway, actors, "853479236"), debtor(gateway, actors, "542051180")
    limit = {"policy_id": policy_id, "debtor_id": debtor_id, "amount": "10000.00", "currency": "EUR"}
    requested = gateway.post("/v1/credit-limits", json=limit, headers=insured)
    decision = {"decision": "granted", "reason": "ok", "effective_date": sandbox.day(0)}
    headers = {**actors["underwriter"], "If-Match": requested.headers["ETag"]}
    ok(gateway.post(f"{requested.headers['Location']}/decision", json=decision, headers=headers))
    sandbox.move_to(100)
    invoices = [
        invoice("A", invoice_date=sandbox.day(5), due_date=sandbox.day(65), amount="12000.00", vat_amount="2000.00"),
        invoice("B", invoice_date=sandbox.day(20), due_date=sandbox.day(80), amount="6000.00", vat_amount="1000.00"),
    ]
    declared = gateway.post(
        "/v1/claims",
        json={"policy_id": policy_id, "debtor_id": debtor_id, "invoices": invoices},
        headers={**insured, "Idempotency-Key": "e2e-insolvency"},
    )
    ok(declared, 201)
    url = declared.headers["Location"]
    late = gateway.post(
        "/v1/claims",
        json={"policy_id": policy_id, "debtor_id": late_debtor_id, "invoices": [invoice("L", **late_dates(sandbox))]},
        headers=insured,
    )
    late_url = ok(late, 201) and late.headers["Location"]
    assert gateway.get(url, headers=actors["insured-beta"]).status_code == 404
    payment = {"amount": "3000.00", "received_on": sandbox.day(100)}
    ok(gateway.post(f"{url}/payments-received", json=payment, headers=insured), 201)
    future = {"amount": "1.00", "received_on": sandbox.day(101)}
    assert gateway.post(f"{url}/payments-received", json=future, headers=insured).json()["code"] == "DATE_IN_FUTURE"
    liquidation(gateway, handler, debtor_id, sandbox.day(100))
    liquidation(gateway, handler, late_debtor_id, sandbox.day(100))
    claim = wait_for_status(gateway, url, insured, "insolvency")
    deadline = ok(gateway.get(f"/v1/debtors/{debtor_id}/procedure", headers=handler))["creance_deadline"]
    assert (claim["status"], claim["deadlines"]["creance_deadline"]) == ("insolvency", deadline)
    assert wait_for_status(gateway, late_url, insured, "insolvency")["deadlines"]["creance_deadline"] == deadline
    filing = {"filed_on": sandbox.day(100), "amount": "15000.00", "court_officer": "Me Dupont"}
    as_read = {**insured, "If-Match": gateway.get(url, headers=insured).headers["ETag"]}
    assert ok(gateway.post(f"{url}/creance-filings", json=filing, headers=as_read), 201)["status"] == "indemnifiable"
    # The clock moves to the créance deadline, then past it: the unfiled claim is forfeited by the sweep of that day.
    at_deadline = (date.fromisoformat(deadline) - sandbox.start).days
    assert sandbox.move_to(at_deadline)["effects"]["claims"]["forfeited"] == 0
    assert ok(gateway.get(late_url, headers=insured))["status"] == "insolvency"
    assert sandbox.move_to(at_deadline + 1)["effects"]["claims"]["forfeited"] == 1
    assert ok(gateway.get(late_url, headers=insured))["status"] == "forfeited"
    assert gateway.post(f"{url}/indemnity", headers=insured).status_code == 403
    # A: 9,000 unpaid -> 7,500 net; B: 5,000 net; limit 10,000 -> 7,500 + 2,500; x 0.90 - 500 = 8,500.
    paid = ok(gateway.post(f"{url}/indemnity", headers=handler), 201)
    assert (paid["eligible_loss"], paid["amount"]) == ("10000.00", "8500.00")
    assert ok(gateway.post(f"{url}/indemnity", headers=handler)) == paid
    recovery = {"amount": "1000.00", "received_on": sandbox.day(at_deadline + 1)}
    shared = ok(gateway.post(f"{url}/recoveries", json=recovery, headers=handler), 201)
    assert (shared["insurer_share"], shared["insured_share"]) == ("850.00", "150.00")
    as_read = {**handler, "If-Match": gateway.get(url, headers=handler).headers["ETag"]}
    assert ok(gateway.post(f"{url}/closure", json={"reason": "LJ closed"}, headers=as_read), 201)["status"] == "closed"
    timeline = ok(gateway.get(f"{url}/timeline", headers=insured))
    insolvency = next(entry for entry in timeline if entry["kind"] == "insolvency")
    # Moved by the debtors' event, in the name of whoever recorded the judgment there.
    assert insolvency["actor"] == "demo-handler" and insolvency["source"].startswith("event:")
    forfeited = next(
        entry for entry in ok(gateway.get(f"{late_url}/timeline", headers=insured)) if entry["kind"] == "forfeited"
    )
    assert (forfeited["actor"], forfeited["detail"]["as_of"]) == ("scheduler", sandbox.day(at_deadline + 1))


def late_dates(sandbox: Sandbox) -> dict[str, str]:
    return {"invoice_date": sandbox.day(10), "due_date": sandbox.day(70), "amount": "5000.00", "vat_amount": "0.00"}


def test_protracted_default_case(gateway: httpx.Client, actors: dict[str, dict[str, str]], sandbox: Sandbox) -> None:
    insured, handler = actors["insured"], actors["handler"]
    policy_id = make_policy(gateway, actors, sandbox, "E2E-PROTRACTED")
    debtor_id = debtor(gateway, actors, "552032534")  # no named limit: the policy's discretionary 20,000 covers
    sandbox.move_to(100)
    unpaid = invoice(
        "C", invoice_date=sandbox.day(0), due_date=sandbox.day(60), amount="24000.00", vat_amount="4000.00"
    )
    declared = gateway.post(
        "/v1/claims", json={"policy_id": policy_id, "debtor_id": debtor_id, "invoices": [unpaid]}, headers=insured
    )
    url = declared.headers["Location"]
    waiting_ends = ok(declared, 201)["deadlines"]["waiting_period_end"]
    assert waiting_ends == sandbox.day(240)
    future = gateway.post("/v1/claims/sweeps", json={"on": waiting_ends}, headers=handler)
    assert future.status_code == 422 and future.json()["code"] == "DATE_IN_FUTURE"  # no sweep ahead of time
    notice = {"kind": "formal_notice", "done_on": sandbox.day(100), "method": "commissaire_de_justice"}
    ok(gateway.post(f"{url}/collection-actions", json=notice, headers=insured), 201)
    assert sandbox.move_to(240)["effects"]["claims"]["days_swept"] == 140
    assert ok(gateway.get(url, headers=insured))["status"] == "open"  # the last day of the waiting period
    assert sandbox.move_to(241)["effects"]["claims"]["indemnifiable"] == 1
    claim = ok(gateway.get(url, headers=insured))
    assert (claim["status"], claim["loss_ground"]) == ("indemnifiable", "protracted_default")
    worklist = ok(gateway.get("/v1/worklist", headers=handler))["items"]
    assert any(item["claim_id"] == url.rsplit("/", 1)[1] and item["action"] == "indemnity_to_pay" for item in worklist)
    # 24,000 incl. VAT -> 20,000 net, within 20,000; x 0.90 = 18,000; - 500 deductible = 17,500.
    paid = ok(gateway.post(f"{url}/indemnity", headers=handler), 201)
    assert (paid["eligible_loss"], paid["amount"]) == ("20000.00", "17500.00")
    recovery = {"amount": "2000.00", "received_on": sandbox.day(241), "origin": "debtor"}
    shared = ok(gateway.post(f"{url}/recoveries", json=recovery, headers=handler), 201)
    assert (shared["insurer_share"], shared["insured_share"]) == ("1750.00", "250.00")
    liability = ok(gateway.get(f"/v1/policies/{policy_id}/liability?on={sandbox.day(0)}", headers=insured))
    assert liability["consumed"] == "17500.00"


def test_the_sandbox_clock_is_an_admins_and_never_goes_back(
    gateway: httpx.Client, actors: dict[str, dict[str, str]], sandbox: Sandbox
) -> None:
    assert gateway.post("/v1/sandbox/clock", json={"advance_days": 1}, headers=actors["handler"]).status_code == 403
    back = gateway.post("/v1/sandbox/clock", json={"today": sandbox.day(-1)}, headers=actors["admin"])
    assert back.status_code == 422 and back.json()["code"] == "SANDBOX_CLOCK_BACKWARDS"
    moved = ok(gateway.post("/v1/sandbox/clock", json={"advance_days": 2}, headers=actors["admin"]))
    assert (moved["previous"], moved["today"], moved["days_passed"]) == (sandbox.day(0), sandbox.day(2), 2)
    assert ok(gateway.post("/v1/claims/sweeps", json={}, headers=actors["handler"]))["on"] == sandbox.day(2)


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
        timeout=180,
    )
    assert tour.returncode == 0, tour.stderr + tour.stdout
    assert "indemnity 8500.00 EUR (eligible loss 10000.00)" in tour.stdout
    assert "indemnity 17500.00 EUR (eligible loss 20000.00)" in tour.stdout
    assert "next: await_opposition_window by debtor" in tour.stdout
    assert "collection: route=injonction_de_payer stage=enforceable_title duties met=True" in tour.stdout
    assert "loss_established                open -> indemnifiable        by scheduler" in tour.stdout
