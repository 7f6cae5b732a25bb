"""Concurrent creates of one resource: one wins, the others get its 409 (or the upsert's answer), never a 500."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from tests.support import Tokens

SIREN = "552032534"


async def test_thirty_identical_debtors_at_once_make_one_debtor_and_409s_naming_it(
    debtors: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = {"legal_name": "Danone SA", "country": "FR", "siren": SIREN}
    answers = await asyncio.gather(
        *(debtors.post("/v1/debtors", json=body, headers=tokens.insured()) for _ in range(30))
    )
    assert Counter(answer.status_code for answer in answers) == {201: 1, 409: 29}
    created = next(answer for answer in answers if answer.status_code == 201)
    assert {answer.headers["Location"] for answer in answers} == {created.headers["Location"]}
    assert {answer.json()["code"] for answer in answers if answer.status_code == 409} == {"DEBTOR_EXISTS"}


async def test_first_limit_requests_and_exposures_at_once_never_fail(
    debtors: httpx.AsyncClient, tokens: Tokens, active_policy_id: str, registered_debtor_id: str
) -> None:
    limit = {"policy_id": active_policy_id, "debtor_id": registered_debtor_id, "amount": "5000.00", "currency": "EUR"}
    requests = await asyncio.gather(
        *(debtors.post("/v1/credit-limits", json=limit, headers=tokens.insured()) for _ in range(20))
    )
    assert Counter(answer.status_code for answer in requests) == {201: 1, 409: 19}
    assert {answer.json()["code"] for answer in requests if answer.status_code == 409} == {
        "CREDIT_LIMIT_REQUEST_PENDING"
    }
    exposure = {"amount": "1000.00", "currency": "EUR", "as_of_date": "2026-06-01"}
    url = f"/v1/exposures/{active_policy_id}/{registered_debtor_id}"
    puts = await asyncio.gather(*(debtors.put(url, json=exposure, headers=tokens.insured()) for _ in range(20)))
    assert Counter(answer.status_code for answer in puts) == {201: 1, 200: 19}
    lines = (await debtors.get(f"/v1/debtors/{registered_debtor_id}/exposure", headers=tokens.insured())).json()[
        "lines"
    ]
    assert len(lines) == 1 and lines[0]["amount"] == "1000.00"
