"""Credit limits as dated versions, the limit in force per delivery date, and cover stops."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.conftest import INTERNAL_TOKEN
from tests.shared.builders import policy_body
from tests.support import Tokens, at

SIREN = "732829320"


@pytest.fixture
async def draft_policy_id(policies: httpx.AsyncClient, tokens: Tokens) -> str:
    created = await policies.post("/v1/policies", json=policy_body(), headers=tokens.underwriter())
    return created.json()["id"]


async def request(
    debtors: httpx.AsyncClient, tokens: Tokens, policy_id: str, debtor_id: str, amount: str = "50000.00"
) -> httpx.Response:
    body = {"policy_id": policy_id, "debtor_id": debtor_id, "amount": amount, "currency": "EUR"}
    return await debtors.post("/v1/credit-limits", json=body, headers=tokens.insured())


async def decide(debtors: httpx.AsyncClient, tokens: Tokens, limit_id: str, **body: Any) -> httpx.Response:
    current = await debtors.get(f"/v1/credit-limits/{limit_id}", headers=tokens.underwriter())
    return await debtors.post(
        f"/v1/credit-limits/{limit_id}/decision",
        json={"reason": "Financials reviewed", **body},
        headers={**tokens.underwriter(), "If-Match": current.headers["ETag"]},
    )


async def in_force(
    debtors: httpx.AsyncClient, tokens: Tokens, policy_id: str, debtor_id: str, *dates: str
) -> list[tuple[str, str, Any]]:
    query = "&".join(f"on={day}" for day in dates)
    response = await debtors.get(
        f"/v1/credit-limits/in-force?policy_id={policy_id}&debtor_id={debtor_id}&{query}", headers=tokens.insured()
    )
    assert response.status_code == 200, response.text
    return [(item["amount"], item["source"], item["stopped"]) for item in response.json()["limits"]]


async def test_request_then_partial_grant_then_reduction_are_dated_versions(
    debtors: httpx.AsyncClient, tokens: Tokens, draft_policy_id: str, registered_debtor_id: str, clock: Any
) -> None:
    at(clock, "2026-01-20")
    requested = await request(debtors, tokens, draft_policy_id, registered_debtor_id)
    assert requested.status_code == 201, requested.text
    limit = requested.json()
    assert limit["pending_request"]["amount"] == "50000.00" and limit["amount_in_force"] == "0.00"
    at(clock, "2026-02-01")
    granted = await decide(
        debtors, tokens, limit["id"], decision="partially_granted", amount="30000", effective_date="2026-02-01"
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["amount_in_force"] == "30000.00" and granted.json()["pending_request"] is None
    assert granted.json()["requests"][0]["status"] == "partially_granted"
    at(clock, "2026-05-01")
    reduced = await decide(
        debtors, tokens, limit["id"], decision="reduced", amount="10000", effective_date="2026-05-01"
    )
    assert reduced.status_code == 200, reduced.text
    assert [v["amount"] for v in reduced.json()["versions"]] == ["30000.00", "10000.00"]
    # Before the grant the discretionary limit of the policy (20,000) covers; then the named limit.
    assert await in_force(
        debtors, tokens, draft_policy_id, registered_debtor_id, "2026-01-15", "2026-03-01", "2026-04-30", "2026-05-01"
    ) == [
        ("20000.00", "discretionary", None),
        ("30000.00", "named", None),
        ("30000.00", "named", None),
        ("10000.00", "named", None),
    ]
    at(clock, "2026-06-01")
    withdrawn = await decide(debtors, tokens, limit["id"], decision="withdrawn", effective_date="2026-06-01")
    assert withdrawn.status_code == 200
    assert await in_force(debtors, tokens, draft_policy_id, registered_debtor_id, "2026-06-01") == [
        ("0.00", "named", "limit_withdrawn")
    ]


async def test_only_one_request_pending_per_line(
    debtors: httpx.AsyncClient, tokens: Tokens, draft_policy_id: str, registered_debtor_id: str
) -> None:
    assert (await request(debtors, tokens, draft_policy_id, registered_debtor_id)).status_code == 201
    again = await request(debtors, tokens, draft_policy_id, registered_debtor_id, "60000.00")
    assert again.status_code == 409 and again.json()["code"] == "CREDIT_LIMIT_REQUEST_PENDING"


async def test_refusal_without_a_limit_bars_the_discretionary_limit(
    debtors: httpx.AsyncClient, tokens: Tokens, draft_policy_id: str, registered_debtor_id: str, clock: Any
) -> None:
    at(clock, "2026-03-01")
    limit = (await request(debtors, tokens, draft_policy_id, registered_debtor_id)).json()
    refused = await decide(debtors, tokens, limit["id"], decision="refused", effective_date="2026-03-01")
    assert refused.json()["requests"][0]["status"] == "refused"
    assert await in_force(debtors, tokens, draft_policy_id, registered_debtor_id, "2026-02-01", "2026-03-01") == [
        ("20000.00", "discretionary", None),
        ("0.00", "named", None),
    ]


async def test_decisions_need_if_match_and_a_coherent_amount(
    debtors: httpx.AsyncClient, tokens: Tokens, draft_policy_id: str, registered_debtor_id: str
) -> None:
    limit = (await request(debtors, tokens, draft_policy_id, registered_debtor_id)).json()
    url = f"/v1/credit-limits/{limit['id']}/decision"
    body = {"decision": "granted", "reason": "ok"}
    assert (await debtors.post(url, json=body, headers=tokens.underwriter())).status_code == 428
    stale = await debtors.post(url, json=body, headers={**tokens.underwriter(), "If-Match": '"1"'})
    assert stale.status_code == 412
    too_much = await decide(debtors, tokens, limit["id"], decision="partially_granted", amount="60000")
    assert too_much.status_code == 422 and too_much.json()["code"] == "INVALID_DECISION"
    no_limit = await decide(debtors, tokens, limit["id"], decision="reduced", amount="1000")
    assert no_limit.status_code == 422
    as_insured = await debtors.post(url, json=body, headers={**tokens.insured(), "If-Match": '"2"'})
    assert as_insured.status_code == 403
    unchanged = await debtors.get(f"/v1/credit-limits/{limit['id']}", headers=tokens.underwriter())
    assert unchanged.json()["versions"] == [] and unchanged.json()["pending_request"] is not None


async def test_another_insured_never_sees_limits_or_requests_on_a_foreign_policy(
    debtors: httpx.AsyncClient, tokens: Tokens, draft_policy_id: str, registered_debtor_id: str
) -> None:
    limit = (await request(debtors, tokens, draft_policy_id, registered_debtor_id)).json()
    stranger = tokens.insured("INS-BETA")
    assert (await debtors.get(f"/v1/credit-limits/{limit['id']}", headers=stranger)).status_code == 404
    assert (await debtors.get("/v1/credit-limits", headers=stranger)).json()["items"] == []
    body = {"policy_id": draft_policy_id, "debtor_id": registered_debtor_id, "amount": "1.00", "currency": "EUR"}
    foreign = await debtors.post("/v1/credit-limits", json=body, headers=stranger)
    assert foreign.status_code == 404 and foreign.json()["code"] == "POLICY_NOT_FOUND"
    query = f"/v1/credit-limits/in-force?policy_id={draft_policy_id}&debtor_id={registered_debtor_id}&on=2026-03-01"
    assert (await debtors.get(query, headers=stranger)).status_code == 404


async def test_request_in_another_currency_is_refused(
    debtors: httpx.AsyncClient, tokens: Tokens, draft_policy_id: str, registered_debtor_id: str
) -> None:
    body = {"policy_id": draft_policy_id, "debtor_id": registered_debtor_id, "amount": "1.00", "currency": "USD"}
    response = await debtors.post("/v1/credit-limits", json=body, headers=tokens.insured())
    assert response.status_code == 422 and response.json()["code"] == "CURRENCY_MISMATCH"
    assert (await debtors.get("/v1/credit-limits", headers=tokens.underwriter())).json()["items"] == []


def _claim_opened(event_id: str, claim_id: str, *, policy_id: str, debtor_id: str) -> dict[str, Any]:
    """The claims service's event of a claim opened on 10 May 2026 on this buyer under this policy."""
    return {
        "event_id": event_id,
        "type": "claim.opened.v1",
        "occurred_at": datetime(2026, 5, 10).isoformat() + "Z",
        "data": {"claim_id": claim_id, "policy_id": policy_id, "debtor_id": debtor_id, "opened_on": "2026-05-10"},
    }


async def test_open_claim_stops_cover_for_later_deliveries_once(
    debtors: httpx.AsyncClient, tokens: Tokens, draft_policy_id: str, registered_debtor_id: str, clock: Any
) -> None:
    event = _claim_opened("evt-1", "C-1", policy_id=draft_policy_id, debtor_id=registered_debtor_id)
    headers = {"X-Internal-Token": INTERNAL_TOKEN}
    first = await debtors.post("/internal/events", json=event, headers=headers)
    again = await debtors.post("/internal/events", json=event, headers=headers)
    assert (first.json(), again.json()) == ({"applied": True}, {"applied": False})
    assert (
        await debtors.post("/internal/events", json=event, headers={"X-Internal-Token": "guess"})
    ).status_code == 401
    assert await in_force(debtors, tokens, draft_policy_id, registered_debtor_id, "2026-05-09", "2026-05-10") == [
        ("20000.00", "discretionary", None),
        ("0.00", "none", "claim_open"),
    ]
    closed = {
        **event,
        "event_id": "evt-2",
        "type": "claim.closed.v1",
        "data": {"claim_id": "C-1", "closed_on": "2026-08-01"},
    }
    assert (await debtors.post("/internal/events", json=closed, headers=headers)).json() == {"applied": True}
    assert await in_force(debtors, tokens, draft_policy_id, registered_debtor_id, "2026-08-01") == [
        ("20000.00", "discretionary", None)
    ]


async def test_exposure_is_declared_idempotently_and_aggregated(
    debtors: httpx.AsyncClient,
    policies: httpx.AsyncClient,
    tokens: Tokens,
    draft_policy_id: str,
    registered_debtor_id: str,
) -> None:
    url = f"/v1/exposures/{draft_policy_id}/{registered_debtor_id}"
    body = {"amount": "42000.50", "currency": "EUR", "as_of_date": "2026-06-01"}
    first = await debtors.put(url, json=body, headers=tokens.insured())
    again = await debtors.put(url, json=body, headers=tokens.insured())
    assert (first.status_code, again.status_code) == (201, 200)
    other = await policies.post(
        "/v1/policies", json=policy_body(number="POL-BETA", insured_id="INS-BETA"), headers=tokens.underwriter()
    )
    beta_url = f"/v1/exposures/{other.json()['id']}/{registered_debtor_id}"
    beta = await debtors.put(beta_url, json={**body, "amount": "1000.00"}, headers=tokens.insured("INS-BETA"))
    assert beta.status_code == 201
    own = (await debtors.get(f"/v1/debtors/{registered_debtor_id}/exposure", headers=tokens.insured())).json()
    assert own["totals"] == [{"currency": "EUR", "amount": "42000.50"}] and len(own["lines"]) == 1
    insurer = (await debtors.get(f"/v1/debtors/{registered_debtor_id}/exposure", headers=tokens.underwriter())).json()
    assert insurer["totals"] == [{"currency": "EUR", "amount": "43000.50"}] and len(insurer["lines"]) == 2
    foreign = await debtors.put(beta_url, json=body, headers=tokens.insured())
    assert foreign.status_code == 404
    negative = await debtors.put(url, json={**body, "amount": "-1"}, headers=tokens.insured())
    assert negative.status_code == 422
    assert (await debtors.get(f"/v1/debtors/{registered_debtor_id}/exposure", headers=tokens.insured())).json() == own


async def test_an_exposure_is_as_of_a_day_neither_after_today_nor_before_the_one_on_record(
    debtors: httpx.AsyncClient, tokens: Tokens, draft_policy_id: str, registered_debtor_id: str
) -> None:
    url = f"/v1/exposures/{draft_policy_id}/{registered_debtor_id}"
    future = await debtors.put(
        url, json={"amount": "1.00", "currency": "EUR", "as_of_date": "2199-12-31"}, headers=tokens.insured()
    )
    assert future.status_code == 422 and future.json()["code"] == "DATE_IN_FUTURE", future.text
    june = {"amount": "42000.50", "currency": "EUR", "as_of_date": "2026-06-01"}
    assert (await debtors.put(url, json=june, headers=tokens.insured())).status_code == 201
    older = await debtors.put(
        url, json={**june, "amount": "5.00", "as_of_date": "2026-01-01"}, headers=tokens.insured()
    )
    assert older.status_code == 409 and older.json()["code"] == "EXPOSURE_OUTDATED", older.text
    assert older.json()["as_of_date"] == "2026-06-01"
    lines = (await debtors.get(f"/v1/debtors/{registered_debtor_id}/exposure", headers=tokens.insured())).json()[
        "lines"
    ]
    assert [(line["amount"], line["as_of_date"]) for line in lines] == [("42000.50", "2026-06-01")]


async def granted_limit(
    debtors: httpx.AsyncClient, tokens: Tokens, policy_id: str, debtor_id: str, clock: Any, *, on: str
) -> str:
    at(clock, on)
    limit = (await request(debtors, tokens, policy_id, debtor_id, "30000.00")).json()
    assert (await decide(debtors, tokens, limit["id"], decision="granted")).status_code == 200
    return str(limit["id"])


async def test_a_reduction_never_reaches_back_to_deliveries_already_made(
    debtors: httpx.AsyncClient, tokens: Tokens, draft_policy_id: str, registered_debtor_id: str, clock: Any
) -> None:
    limit_id = await granted_limit(debtors, tokens, draft_policy_id, registered_debtor_id, clock, on="2026-03-01")
    at(clock, "2026-06-15")
    backdated = await decide(debtors, tokens, limit_id, decision="reduced", amount="10000", effective_date="2026-06-05")
    assert backdated.status_code == 422, backdated.text
    assert (backdated.json()["code"], backdated.json()["earliest_effective_date"]) == (
        "EFFECTIVE_DATE_TOO_EARLY",
        "2026-06-15",
    )
    withdrawn = await decide(debtors, tokens, limit_id, decision="withdrawn", effective_date="2026-06-14")
    assert withdrawn.status_code == 422 and withdrawn.json()["code"] == "EFFECTIVE_DATE_TOO_EARLY"
    reduced = await decide(debtors, tokens, limit_id, decision="reduced", amount="10000")
    assert reduced.status_code == 200 and reduced.json()["versions"][-1]["effective_date"] == "2026-06-15"
    # A delivery made on 5 June keeps the 30,000 it was made under.
    assert await in_force(debtors, tokens, draft_policy_id, registered_debtor_id, "2026-06-05", "2026-06-15") == [
        ("30000.00", "named", None),
        ("10000.00", "named", None),
    ]


async def test_the_policys_notice_delays_a_cut_and_a_partial_grant_below_the_limit_is_one(
    policies: httpx.AsyncClient, debtors: httpx.AsyncClient, tokens: Tokens, registered_debtor_id: str, clock: Any
) -> None:
    body = policy_body(number="POL-NOTICE", terms={"limit_reduction_notice_days": 30})
    policy_id = (await policies.post("/v1/policies", json=body, headers=tokens.underwriter())).json()["id"]
    limit_id = await granted_limit(debtors, tokens, policy_id, registered_debtor_id, clock, on="2026-03-01")
    at(clock, "2026-06-15")
    early = await decide(debtors, tokens, limit_id, decision="reduced", amount="10000", effective_date="2026-07-14")
    assert early.json()["earliest_effective_date"] == "2026-07-15"
    reduced = await decide(debtors, tokens, limit_id, decision="reduced", amount="10000")
    assert reduced.json()["versions"][-1]["effective_date"] == "2026-07-15"
    assert await in_force(debtors, tokens, policy_id, registered_debtor_id, "2026-07-14", "2026-07-15") == [
        ("30000.00", "named", None),
        ("10000.00", "named", None),
    ]
    # Asked for 50,000, granted 5,000 where 30,000 is in force: a cut, with its notice.
    await request(debtors, tokens, policy_id, registered_debtor_id, "50000.00")
    partial = await decide(
        debtors, tokens, limit_id, decision="partially_granted", amount="5000", effective_date="2026-07-10"
    )
    assert partial.status_code == 422 and partial.json()["earliest_effective_date"] == "2026-07-15"


async def test_a_grant_takes_effect_no_earlier_than_its_request(
    debtors: httpx.AsyncClient, tokens: Tokens, draft_policy_id: str, registered_debtor_id: str, clock: Any
) -> None:
    at(clock, "2026-04-10")
    limit = (await request(debtors, tokens, draft_policy_id, registered_debtor_id)).json()
    at(clock, "2026-04-20")
    backdated = await decide(debtors, tokens, limit["id"], decision="granted", effective_date="2026-04-09")
    assert backdated.status_code == 422 and backdated.json()["earliest_effective_date"] == "2026-04-10"
    granted = await decide(debtors, tokens, limit["id"], decision="granted", effective_date="2026-04-10")
    assert granted.status_code == 200 and granted.json()["versions"][-1]["effective_date"] == "2026-04-10"


async def test_the_requests_to_decide_are_listed_apart(
    debtors: httpx.AsyncClient, tokens: Tokens, draft_policy_id: str, registered_debtor_id: str, clock: Any
) -> None:
    at(clock, "2026-01-20")
    other = await debtors.post(
        "/v1/debtors", json={"legal_name": "Autre SAS", "country": "FR", "siren": "552100554"}, headers=tokens.insured()
    )
    waiting = (await request(debtors, tokens, draft_policy_id, registered_debtor_id)).json()
    decided = (await request(debtors, tokens, draft_policy_id, other.json()["id"])).json()
    assert (await decide(debtors, tokens, decided["id"], decision="refused")).status_code == 200

    async def listed(query: str) -> list[str]:
        answer = await debtors.get(f"/v1/credit-limits?{query}", headers=tokens.underwriter())
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert await listed("pending=true") == [waiting["id"]]
    assert await listed("pending=false") == [decided["id"]]
    assert sorted(await listed("")) == sorted([waiting["id"], decided["id"]])
    assert (await debtors.get("/v1/credit-limits?pending=maybe", headers=tokens.underwriter())).status_code == 422


async def test_one_event_delivered_many_times_at_once_is_applied_once(
    debtors: httpx.AsyncClient, tokens: Tokens, draft_policy_id: str, registered_debtor_id: str
) -> None:
    event = _claim_opened("evt-race", "C-race", policy_id=draft_policy_id, debtor_id=registered_debtor_id)
    headers = {"X-Internal-Token": INTERNAL_TOKEN}
    answers = await asyncio.gather(*(debtors.post("/internal/events", json=event, headers=headers) for _ in range(8)))
    assert sorted(answer.json()["applied"] for answer in answers) == [False] * 7 + [True]
    assert await in_force(debtors, tokens, draft_policy_id, registered_debtor_id, "2026-05-10") == [
        ("0.00", "none", "claim_open")
    ]
