"""Changes to what a claim is need the ETag last read: none → 428, stale → 412, and nothing changes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import Tokens

CHANGES = {
    "due-date-extensions": ("insured", {"invoice_number": "A", "new_due_date": "2026-06-29"}),
    "creance-filings": ("insured", {"filed_on": "2026-06-10", "amount": "1.00", "court_officer": "Me X"}),
    "withdrawal": ("insured", {"reason": "paid directly"}),
    "closure": ("handler", {"reason": "closed"}),
    "forclusion-relief": (
        "handler",
        {"requested_on": "2026-06-01", "granted_on": "2026-06-05", "notified_on": "2026-06-08"},
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
async def test_a_change_without_or_with_a_stale_etag_is_refused_and_changes_nothing(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], change: str
) -> None:
    url = f"/v1/claims/{claim['id']}"
    who, body = CHANGES[change]
    headers = tokens.insured() if who == "insured" else tokens.handler()
    stale = (await claims_service.get(url, headers=headers)).headers["ETag"]
    paid = await claims_service.post(
        f"{url}/payments-received", json={"amount": "10.00", "received_on": "2026-06-15"}, headers=tokens.insured()
    )
    assert paid.status_code == 201 and paid.headers["ETag"] != stale  # every change moves the ETag
    before = await claims_service.get(url, headers=headers)
    timeline = (await claims_service.get(f"{url}/timeline", headers=headers)).json()

    missing = await claims_service.post(f"{url}/{change}", json=body, headers=headers)
    assert missing.status_code == 428 and missing.json()["code"] == "PRECONDITION_REQUIRED"
    outdated = await claims_service.post(f"{url}/{change}", json=body, headers={**headers, "If-Match": stale})
    assert outdated.status_code == 412 and outdated.json()["current_etag"] == before.headers["ETag"]

    after = await claims_service.get(url, headers=headers)
    assert (after.json(), after.headers["ETag"]) == (before.json(), before.headers["ETag"])
    assert (await claims_service.get(f"{url}/timeline", headers=headers)).json() == timeline


async def test_the_etag_read_lets_the_change_through(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any]
) -> None:
    url = f"/v1/claims/{claim['id']}"
    read = await claims_service.get(url, headers=tokens.insured())
    withdrawn = await claims_service.post(
        f"{url}/withdrawal", json={"reason": "paid"}, headers={**tokens.insured(), "If-Match": read.headers["ETag"]}
    )
    assert withdrawn.status_code == 201 and withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.headers["ETag"] != read.headers["ETag"]
