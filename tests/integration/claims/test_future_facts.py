"""Nothing happens before its time: a fact dated after today is refused and writes nothing."""

from __future__ import annotations

from typing import Any

import httpx

from services.kit.clock import FixedClock
from tests.integration.claims.events import LJ, procedure_event
from tests.integration.claims.reading import as_read
from tests.support import Tokens, at

TOMORROW = "2026-06-16"  # the test clock reads 15 June 2026


async def snapshot(claims_service: httpx.AsyncClient, url: str, tokens: Tokens) -> tuple[Any, Any]:
    claim = (await claims_service.get(url, headers=tokens.handler())).json()
    return claim, (await claims_service.get(f"{url}/timeline", headers=tokens.handler())).json()


def refused_as_future(answer: httpx.Response, field: str) -> None:
    assert answer.status_code == 422, answer.text
    assert (answer.json()["code"], answer.json()["field"]) == ("DATE_IN_FUTURE", field)


async def test_a_sweep_as_of_tomorrow_is_refused_and_moves_nothing(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], clock: FixedClock
) -> None:
    url = f"/v1/claims/{claim['id']}"
    before = await snapshot(claims_service, url, tokens)
    for day in (TOMORROW, "2026-10-28"):  # past the waiting period: a claim could be paid early
        refused_as_future(
            await claims_service.post("/v1/claims/sweeps", json={"on": day}, headers=tokens.handler()), "on"
        )
    # As of the last day of year 9999 every deadline would pass at once; no business date is after 2199.
    far = await claims_service.post("/v1/claims/sweeps", json={"on": "9999-12-31"}, headers=tokens.handler())
    assert far.status_code == 422 and far.json()["errors"][0]["loc"] == ["body", "on"]
    assert await snapshot(claims_service, url, tokens) == before
    at(clock, "2026-10-28")
    assert (await claims_service.post("/v1/claims/sweeps", json={}, headers=tokens.handler())).json()[
        "indemnifiable"
    ] == 1


async def test_payments_filings_and_recoveries_dated_after_today_are_refused(
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    claim: dict[str, Any],
    debtor_with_limit_id: str,
    clock: FixedClock,
) -> None:
    url = f"/v1/claims/{claim['id']}"
    before = await snapshot(claims_service, url, tokens)
    payment = {"amount": "100.00", "received_on": TOMORROW}
    refused_as_future(
        await claims_service.post(f"{url}/payments-received", json=payment, headers=tokens.insured()), "received_on"
    )
    assert await snapshot(claims_service, url, tokens) == before
    at(clock, "2026-07-10")
    await procedure_event(claims_service, debtor_with_limit_id, "evt-future", LJ)
    filing = {"filed_on": "2026-07-11", "amount": "18000.00", "court_officer": "Me X"}
    headers = await as_read(claims_service, url, tokens.insured())
    refused_as_future(await claims_service.post(f"{url}/creance-filings", json=filing, headers=headers), "filed_on")
    filing["filed_on"] = "2026-07-10"
    filed = await claims_service.post(f"{url}/creance-filings", json=filing, headers=headers)
    assert filed.json()["status"] == "indemnifiable"
    assert (await claims_service.post(f"{url}/indemnity", headers=tokens.handler())).status_code == 201
    recovery = {"amount": "100.00", "received_on": "2026-07-11"}
    answer = await claims_service.post(f"{url}/recoveries", json=recovery, headers=tokens.handler())
    refused_as_future(answer, "received_on")


async def test_a_judgment_dated_after_today_is_refused_by_the_registry(
    debtors: httpx.AsyncClient, tokens: Tokens, debtor_with_limit_id: str
) -> None:
    url = f"/v1/debtors/{debtor_with_limit_id}/procedure-events"
    judged = {"procedure": "liquidation_judiciaire", "event": "opening", "judgment_date": TOMORROW}
    refused_as_future(await debtors.post(url, json=judged, headers=tokens.handler()), "judgment_date")
    published = {**judged, "judgment_date": "2026-06-10", "publication_date": TOMORROW}
    refused_as_future(await debtors.post(url, json=published, headers=tokens.handler()), "publication_date")
    assert (await debtors.get(f"/v1/debtors/{debtor_with_limit_id}/procedure", headers=tokens.handler())).json()[
        "history"
    ] == []
