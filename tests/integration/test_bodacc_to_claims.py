"""A BODACC liquidation announcement reaches the debtor's open claims through the outboxes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from services.debtors.adapters.tables import outbox
from services.kit.clock import FixedClock
from services.kit.outbox import Relay
from tests.conftest import INTERNAL_TOKEN
from tests.shared.builders import invoice, policy_body
from tests.support import Tokens, at

SAMPLES = {
    item["id"]: item
    for item in json.loads((Path(__file__).resolve().parents[1] / "data" / "bodacc" / "samples.json").read_text())
}
LJ_SIREN = "853479236"  # A202601721671: LJ opened 2026-08-31, published 2026-09-09


async def declare(claims: httpx.AsyncClient, tokens: Tokens, policy_id: str, debtor_id: str, number: str) -> str:
    body = {"policy_id": policy_id, "debtor_id": debtor_id, "invoices": [invoice(number)]}
    response = await claims.post("/v1/claims", json=body, headers=tokens.insured())
    assert response.status_code == 201, response.text
    return response.headers["Location"]


async def test_lj_announcement_puts_open_claims_into_insolvency_and_the_creance_decides(
    claims_service: httpx.AsyncClient,
    debtors: httpx.AsyncClient,
    policies: httpx.AsyncClient,
    debtors_app: Any,
    tokens: Tokens,
    clock: FixedClock,
    active_policy_id: str,
) -> None:
    debtor = await debtors.post(
        "/v1/debtors", json={"legal_name": "Evry SARL", "country": "FR", "siren": LJ_SIREN}, headers=tokens.insured()
    )
    debtor_id = debtor.json()["id"]
    filed_url = await declare(claims_service, tokens, active_policy_id, debtor_id, "F-1")
    # Another policy of the insured on the same buyer: one live claim per buyer and policy.
    other = (await policies.post("/v1/policies", json=policy_body(number="POL-2"), headers=tokens.underwriter())).json()
    await policies.patch(
        f"/v1/policies/{other['id']}", json={"status": "active"}, headers={**tokens.underwriter(), "If-Match": '"1"'}
    )
    missed_url = await declare(claims_service, tokens, other["id"], debtor_id, "F-2")
    at(clock, "2026-09-10")  # the day after the liquidation's publication
    report = await debtors.post("/v1/procedure-announcements", json=SAMPLES["A202601721671"], headers=tokens.handler())
    assert report.json()["recorded"] == 1
    to_claims = httpx.AsyncClient(transport=httpx.ASGITransport(app=claims_service.app))  # type: ignore[attr-defined]
    relay = Relay(
        database=debtors_app.state.db, table=outbox, client=to_claims, clock=clock, internal_token=INTERNAL_TOKEN
    )
    assert await relay.run_once() == 1
    await to_claims.aclose()
    for url in (filed_url, missed_url):
        claim = (await claims_service.get(url, headers=tokens.insured())).json()
        assert (claim["status"], claim["deadlines"]["creance_deadline"]) == ("insolvency", "2026-11-09")
        # The timeline names who brought the judgment in (the handler's ingestion), from which event.
        timeline = (await claims_service.get(f"{url}/timeline", headers=tokens.insured())).json()
        [moved] = [entry for entry in timeline if entry["kind"] == "insolvency"]
        assert moved["actor"] == "test-client" and moved["source"].startswith("event:")
    worklist = (await claims_service.get("/v1/worklist?within_days=180", headers=tokens.handler())).json()["items"]
    assert {(item["action"], item["due"]) for item in worklist} == {("creance_to_file", "2026-11-09")}
    at(clock, "2026-11-09")
    filing = {"filed_on": "2026-11-09", "amount": "12000.00", "court_officer": "Me X"}
    read = await claims_service.get(filed_url, headers=tokens.insured())
    headers = {**tokens.insured(), "If-Match": read.headers["ETag"]}
    filed = await claims_service.post(f"{filed_url}/creance-filings", json=filing, headers=headers)
    assert filed.json()["status"] == "indemnifiable"
    at(clock, "2026-11-10")
    swept = await claims_service.post("/v1/claims/sweeps", json={"on": "2026-11-10"}, headers=tokens.handler())
    assert swept.json() == {"on": "2026-11-10", "indemnifiable": 0, "forfeited": 1, "creance_missed": 0}
    assert (await claims_service.get(missed_url, headers=tokens.insured())).json()["status"] == "forfeited"
