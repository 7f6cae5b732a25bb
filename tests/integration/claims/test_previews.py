"""What a payment and a recovery would come to, shown before they are made: computed as they are, nothing written."""

from __future__ import annotations

from typing import Any

import httpx

from services.kit.clock import FixedClock
from tests.integration.claims.events import LJ, procedure_event
from tests.integration.claims.reading import as_read
from tests.support import Tokens, at


async def indemnifiable(
    claims_service: httpx.AsyncClient, tokens: Tokens, url: str, debtor_id: str, clock: FixedClock
) -> None:
    """The claim in liquidation judiciaire with its créance filed: 3,000 paid of 18,000 (the lifecycle's case)."""
    at(clock, "2026-07-10")
    paid = {"amount": "3000.00", "received_on": "2026-07-10"}
    assert (await claims_service.post(f"{url}/payments-received", json=paid, headers=tokens.insured())).is_success
    await procedure_event(claims_service, debtor_id, "evt-preview", LJ)
    filing = {"filed_on": "2026-07-10", "amount": "15000.00", "court_officer": "Me X"}
    filed = await claims_service.post(
        f"{url}/creance-filings", json=filing, headers=await as_read(claims_service, url, tokens.insured())
    )
    assert filed.json()["status"] == "indemnifiable", filed.text


async def test_the_indemnity_preview_shows_the_payment_to_come_line_by_line_and_pays_nothing(
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    claim: dict[str, Any],
    debtor_with_limit_id: str,
    clock: FixedClock,
) -> None:
    url = f"/v1/claims/{claim['id']}"
    await indemnifiable(claims_service, tokens, url, debtor_with_limit_id, clock)
    timeline = (await claims_service.get(f"{url}/timeline", headers=tokens.handler())).json()
    assert (await claims_service.get(f"{url}/indemnity-preview", headers=tokens.insured())).status_code == 403
    preview = await claims_service.get(f"{url}/indemnity-preview", headers=tokens.handler())
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert (shown["eligible_loss"], shown["before_maximum_liability"]) == ("10000.00", "8500.00")
    # Nothing moved: still to pay, nothing paid, the same timeline.
    assert (await claims_service.get(url, headers=tokens.handler())).json()["status"] == "indemnifiable"
    assert (await claims_service.get(f"{url}/indemnity", headers=tokens.handler())).status_code == 409
    assert (await claims_service.get(f"{url}/timeline", headers=tokens.handler())).json() == timeline
    paid = (await claims_service.post(f"{url}/indemnity", headers=tokens.handler())).json()
    assert paid["breakdown"] == shown["breakdown"]  # no cap reached: the payment is the preview
    after = await claims_service.get(f"{url}/indemnity-preview", headers=tokens.handler())
    assert after.status_code == 409 and after.headers["content-type"] == "application/problem+json"


async def test_the_recovery_split_is_shown_as_it_would_be_recorded_and_records_nothing(
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    claim: dict[str, Any],
    debtor_with_limit_id: str,
    clock: FixedClock,
) -> None:
    url = f"/v1/claims/{claim['id']}"
    split = f"{url}/recovery-split"
    await indemnifiable(claims_service, tokens, url, debtor_with_limit_id, clock)
    before = await claims_service.get(
        split, params={"amount": "1000.00", "received_on": "2026-07-10"}, headers=tokens.handler()
    )
    assert before.status_code == 409 and before.json()["code"] == "NOT_INDEMNIFIED"
    assert (await claims_service.post(f"{url}/indemnity", headers=tokens.handler())).status_code == 201
    at(clock, "2026-12-01")
    shown = await claims_service.get(
        split, params={"amount": "1000.00", "received_on": "2026-12-01"}, headers=tokens.handler()
    )
    assert shown.status_code == 200, shown.text
    assert shown.json() | {"claim_id": None} == {
        "claim_id": None,
        "currency": "EUR",
        "amount": "1000.00",
        "insurer_share": "850.00",
        "insured_share": "150.00",
    }
    too_much = await claims_service.get(
        split, params={"amount": "15000.01", "received_on": "2026-12-01"}, headers=tokens.handler()
    )
    assert too_much.status_code == 422 and too_much.json()["still_owed"] == "15000.00"
    for bad in ({"amount": "-1", "received_on": "2026-12-01"}, {"amount": "1.00", "received_on": "2026-12-02"}):
        refused = await claims_service.get(split, params=bad, headers=tokens.handler())
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    timeline = (await claims_service.get(f"{url}/timeline", headers=tokens.handler())).json()
    assert "recovery" not in [entry["kind"] for entry in timeline]
    recorded = await claims_service.post(
        f"{url}/recoveries", json={"amount": "1000.00", "received_on": "2026-12-01"}, headers=tokens.handler()
    )
    assert (recorded.json()["insurer_share"], recorded.json()["insured_share"]) == ("850.00", "150.00")
