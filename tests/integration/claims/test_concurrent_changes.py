"""Transactions that change several claims at once lock them in one order, and read what others changed meanwhile."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from services.claims.adapters.repository import ClaimRepository
from services.kit.clock import FixedClock
from tests.integration.claims.events import LJ, procedure_event
from tests.shared.builders import invoice, policy_body, siren
from tests.support import Tokens, at

NOTICE = {"kind": "formal_notice", "done_on": "2026-06-15", "method": "registered_letter_with_acknowledgment"}


@pytest.fixture
async def noticed_claims(
    claims_service: httpx.AsyncClient, policies: httpx.AsyncClient, debtors: httpx.AsyncClient, tokens: Tokens
) -> list[str]:
    """Twenty claims, each on a buyer of its own, changed last in the reverse order of their ids."""
    policy = (await policies.post("/v1/policies", json=policy_body(), headers=tokens.underwriter())).json()
    await policies.patch(
        f"/v1/policies/{policy['id']}", json={"status": "active"}, headers={**tokens.underwriter(), "If-Match": '"1"'}
    )
    ids = []
    for number in range(20):
        buyer = {"legal_name": f"Acheteur {number} SAS", "country": "FR", "siren": siren(700 + number)}
        debtor = (await debtors.post("/v1/debtors", json=buyer, headers=tokens.insured())).json()["id"]
        # The first claim's waiting period ends later: the sweep leaves it while a read catches it up.
        due = "2026-06-01" if number == 0 else "2026-04-30"
        unpaid = invoice(f"C-{number}", invoice_date="2026-03-01", due_date=due, amount="5000.00")
        body = {"policy_id": policy["id"], "debtor_id": debtor, "invoices": [unpaid]}
        ids.append((await claims_service.post("/v1/claims", json=body, headers=tokens.insured())).json()["id"])
    for claim_id in reversed(ids):
        noticed = await claims_service.post(
            f"/v1/claims/{claim_id}/collection-actions", json=NOTICE, headers=tokens.insured()
        )
        assert noticed.status_code == 201, noticed.text
    return ids


async def test_a_sweep_and_worklist_reads_at_once_all_answer(
    claims_service: httpx.AsyncClient, tokens: Tokens, noticed_claims: list[str], clock: FixedClock
) -> None:
    at(clock, "2026-11-20")
    sweep = claims_service.post("/v1/claims/sweeps", json={}, headers=tokens.handler())
    reads = [claims_service.get("/v1/worklist?within_days=365&limit=200", headers=tokens.handler()) for _ in range(3)]
    answers = await asyncio.gather(sweep, *reads)
    assert [answer.status_code for answer in answers] == [200] * 4, [answer.text for answer in answers]
    assert answers[0].json()["indemnifiable"] == 19


async def test_a_procedure_event_reads_the_change_it_waited_for(
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    claim: dict[str, Any],
    debtor_with_limit_id: str,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"/v1/claims/{claim['id']}"
    at(clock, "2026-07-10")
    etag = (await claims_service.get(url, headers=tokens.insured())).headers["ETag"]
    locked_read = ClaimRepository.claim

    async def holding(self: ClaimRepository, claim_id: Any, *, for_update: bool = False) -> Any:
        found = await locked_read(self, claim_id, for_update=for_update)
        if for_update:
            await asyncio.sleep(0.3)  # the withdrawal holds the claim while the liquidation arrives
        return found

    monkeypatch.setattr(ClaimRepository, "claim", holding)

    async def liquidation() -> None:
        await asyncio.sleep(0.1)
        await procedure_event(claims_service, debtor_with_limit_id, "evt-during-withdrawal", LJ)

    withdrawn, _ = await asyncio.gather(
        claims_service.post(
            f"{url}/withdrawal", json={"reason": "paid"}, headers={**tokens.insured(), "If-Match": etag}
        ),
        liquidation(),
    )
    monkeypatch.undo()
    assert withdrawn.status_code == 201 and withdrawn.json()["status"] == "withdrawn", withdrawn.text
    after = await claims_service.get(url, headers=tokens.insured())
    # Withdrawn stays withdrawn: the event waited, read the withdrawal and had no live claim left to move.
    assert after.json()["status"] == "withdrawn" and after.headers["ETag"] == withdrawn.headers["ETag"]
