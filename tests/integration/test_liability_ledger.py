"""The policy-year liability ledger: reservations capped, idempotent, never overcommitted."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx

from tests.conftest import INTERNAL_TOKEN
from tests.shared.builders import policy_body
from tests.support import Tokens


async def new_policy(policies: httpx.AsyncClient, tokens: Tokens, max_liability: str) -> str:
    body = policy_body(start_date="2026-01-01", end_date="2027-12-31", terms={"max_liability": max_liability})
    response = await policies.post("/v1/policies", json=body, headers=tokens.underwriter())
    return response.json()["id"]


async def reserve(
    policies: httpx.AsyncClient, tokens: Tokens, policy_id: str, claim_id: str, amount: str, on: str = "2026-05-01"
) -> httpx.Response:
    body: dict[str, Any] = {"claim_id": claim_id, "amount": amount, "currency": "EUR", "attributable_date": on}
    url = f"/internal/policies/{policy_id}/liability/reservations"
    return await policies.post(url, json=body, headers={"X-Internal-Token": INTERNAL_TOKEN})


async def liability(
    policies: httpx.AsyncClient, tokens: Tokens, policy_id: str, on: str = "2026-05-01"
) -> dict[str, Any]:
    response = await policies.get(f"/v1/policies/{policy_id}/liability?on={on}", headers=tokens.insured())
    assert response.status_code == 200
    return response.json()


async def test_reservation_consumes_the_year_and_is_capped_by_what_remains(
    policies: httpx.AsyncClient, tokens: Tokens
) -> None:
    policy_id = await new_policy(policies, tokens, "100000.00")
    first = await reserve(policies, tokens, policy_id, "C-1", "70000.00")
    assert first.status_code == 201 and first.json()["reserved"] == "70000.00"
    second = await reserve(policies, tokens, policy_id, "C-2", "45000.50")
    assert second.json()["requested"] == "45000.50" and second.json()["reserved"] == "30000.00"
    third = await reserve(policies, tokens, policy_id, "C-3", "10.00")
    assert third.json()["reserved"] == "0.00"
    figures = await liability(policies, tokens, policy_id)
    assert figures == {
        "policy_id": policy_id,
        "currency": "EUR",
        "year_start": "2026-01-01",
        "year_end": "2026-12-31",
        "max_liability": "100000.00",
        "consumed": "100000.00",
        "remaining": "0.00",
        "reservations": 3,
    }


async def test_each_insurance_year_has_its_own_maximum(policies: httpx.AsyncClient, tokens: Tokens) -> None:
    policy_id = await new_policy(policies, tokens, "1000.00")
    await reserve(policies, tokens, policy_id, "C-1", "1000.00", on="2026-12-31")
    next_year = await reserve(policies, tokens, policy_id, "C-2", "400.00", on="2027-01-01")
    assert next_year.json()["reserved"] == "400.00" and next_year.json()["year_start"] == "2027-01-01"
    assert (await liability(policies, tokens, policy_id, on="2027-06-01"))["remaining"] == "600.00"


async def test_reserving_again_for_the_same_claim_returns_the_same_reservation(
    policies: httpx.AsyncClient, tokens: Tokens
) -> None:
    policy_id = await new_policy(policies, tokens, "1000.00")
    first = await reserve(policies, tokens, policy_id, "C-1", "300.00")
    again = await reserve(policies, tokens, policy_id, "C-1", "300.00")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    other_amount = await reserve(policies, tokens, policy_id, "C-1", "999.00")
    assert other_amount.status_code == 409 and other_amount.json()["code"] == "RESERVATION_EXISTS"
    assert (await liability(policies, tokens, policy_id))["consumed"] == "300.00"


async def test_reservation_outside_the_policy_period_or_currency_is_refused(
    policies: httpx.AsyncClient, tokens: Tokens
) -> None:
    policy_id = await new_policy(policies, tokens, "1000.00")
    late = await reserve(policies, tokens, policy_id, "C-1", "10.00", on="2028-01-01")
    assert late.status_code == 422 and late.json()["code"] == "DATE_OUTSIDE_POLICY_PERIOD"
    body = {"claim_id": "C-2", "amount": "10.00", "currency": "USD", "attributable_date": "2026-05-01"}
    dollars = await policies.post(
        f"/internal/policies/{policy_id}/liability/reservations",
        json=body,
        headers={"X-Internal-Token": INTERNAL_TOKEN},
    )
    assert dollars.status_code == 422 and dollars.json()["code"] == "CURRENCY_MISMATCH"
    assert (await liability(policies, tokens, policy_id))["reservations"] == 0


async def test_concurrent_reservations_never_overcommit(policies: httpx.AsyncClient, tokens: Tokens) -> None:
    policy_id = await new_policy(policies, tokens, "100000.00")
    answers = await asyncio.gather(
        *(reserve(policies, tokens, policy_id, f"C-{n}", "7000.00") for n in range(25)),
        *(reserve(policies, tokens, policy_id, "C-SAME", "5000.00") for _ in range(5)),
    )
    assert all(answer.status_code in (200, 201) for answer in answers), [
        a.text for a in answers if a.status_code >= 300
    ]
    reserved = {answer.json()["claim_id"]: Decimal(answer.json()["reserved"]) for answer in answers}
    assert len(reserved) == 26
    assert sum(reserved.values()) == Decimal("100000.00")
    same = [answer.json() for answer in answers[25:]]
    assert all(item == same[0] for item in same)
    figures = await liability(policies, tokens, policy_id)
    assert (figures["consumed"], figures["remaining"], figures["reservations"]) == ("100000.00", "0.00", 26)
