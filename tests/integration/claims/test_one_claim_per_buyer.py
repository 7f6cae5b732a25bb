"""One live claim per buyer and policy, and one limit for the insurer's whole risk on that buyer across claims."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx

from services.kit.clock import FixedClock
from tests.integration.claims.events import LJ, procedure_event
from tests.integration.claims.reading import as_read, formal_notice
from tests.shared.builders import invoice
from tests.support import Tokens, at


async def insolvency_paid(
    claims_service: httpx.AsyncClient, tokens: Tokens, url: str, debtor_id: str, event_id: str
) -> dict[str, Any]:
    """The liquidation reaches the claim, the créance is filed in time, the indemnity is paid."""
    await procedure_event(claims_service, debtor_id, event_id, LJ)
    filing = {"filed_on": "2026-07-10", "amount": "1.00", "court_officer": "Me X"}
    filed = await claims_service.post(
        f"{url}/creance-filings", json=filing, headers=await as_read(claims_service, url, tokens.insured())
    )
    assert filed.json()["status"] == "indemnifiable", filed.text
    paid = await claims_service.post(f"{url}/indemnity", headers=tokens.handler())
    assert paid.status_code == 201, paid.text
    return dict(paid.json())


async def test_further_invoices_go_to_the_live_claim_and_share_its_limit(
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    claim: dict[str, Any],
    debtor_with_limit_id: str,
    clock: FixedClock,
) -> None:
    url = f"/v1/claims/{claim['id']}"
    more = {
        "invoices": [
            invoice("C", invoice_date="2026-04-01", due_date="2026-05-31", amount="6000.00", vat_amount="1000.00")
        ]
    }
    added = await claims_service.post(f"{url}/invoices", json=more, headers=tokens.insured())
    assert added.status_code == 201, added.text
    assert [item["number"] for item in added.json()["invoices"]] == ["A", "B", "C"]
    late = {"invoices": [invoice("D", invoice_date="2026-06-15", due_date="2026-06-15")]}
    refused = await claims_service.post(f"{url}/invoices", json=late, headers=tokens.insured())
    assert refused.status_code == 422 and refused.json()["code"] == "INVOICES_NOT_COVERED"
    assert [reason["code"] for reason in refused.json()["reasons"]] == ["NOT_YET_OVERDUE"]
    assert len((await claims_service.get(url, headers=tokens.insured())).json()["invoices"]) == 3
    at(clock, "2026-07-10")
    paid = await insolvency_paid(claims_service, tokens, url, debtor_with_limit_id, "evt-buyer-1")
    # A's 10,000 net fills the 10,000 limit: B and C, delivered later, have no room left.
    covered = {
        line["invoice_number"]: line["amount"] for line in paid["breakdown"] if line["rule"] == "covered_within_limit"
    }
    assert covered == {"A": "10000.00", "B": "0.00", "C": "0.00"} and paid["eligible_loss"] == "10000.00"
    after = await claims_service.post(
        f"{url}/invoices",
        json={"invoices": [invoice("E", invoice_date="2026-04-02", due_date="2026-06-01")]},
        headers=tokens.insured(),
    )
    assert after.status_code == 409 and after.json()["code"] == "CLAIM_CLOSED_TO_INVOICES"
    timeline = (await claims_service.get(f"{url}/timeline", headers=tokens.insured())).json()
    assert [entry["detail"]["invoices"] for entry in timeline if entry["kind"] == "invoices_added"] == [["C"]]


async def test_twenty_declarations_on_one_buyer_at_once_open_one_claim(
    claims_service: httpx.AsyncClient, tokens: Tokens, claims_policy_id: str, debtor_with_limit_id: str
) -> None:
    def body(number: int) -> dict[str, Any]:
        unpaid = invoice(f"F-{number}", amount="10000.00", vat_amount="0.00")
        return {"policy_id": claims_policy_id, "debtor_id": debtor_with_limit_id, "invoices": [unpaid]}

    answers = await asyncio.gather(
        *(claims_service.post("/v1/claims", json=body(n), headers=tokens.insured()) for n in range(20))
    )
    assert Counter(answer.status_code for answer in answers) == {201: 1, 409: 19}
    opened = next(answer.json()["id"] for answer in answers if answer.status_code == 201)
    assert {answer.json()["claim_id"] for answer in answers if answer.status_code == 409} == {opened}
    claims = (await claims_service.get("/v1/claims", headers=tokens.handler())).json()["items"]
    assert [item["id"] for item in claims] == [opened]


async def test_a_later_claim_on_the_buyer_finds_the_limit_used_by_an_earlier_one(
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    claim: dict[str, Any],
    claims_policy_id: str,
    debtor_with_limit_id: str,
    clock: FixedClock,
) -> None:
    first = f"/v1/claims/{claim['id']}"
    at(clock, "2026-07-10")
    assert (await insolvency_paid(claims_service, tokens, first, debtor_with_limit_id, "evt-buyer-2"))[
        "amount"
    ] == "8500.00"
    closed = await claims_service.post(
        f"{first}/closure", json={"reason": "paid"}, headers=await as_read(claims_service, first, tokens.handler())
    )
    assert closed.json()["status"] == "closed"
    # Another unpaid invoice, delivered before the first claim opened: the 10,000 limit was used up by then.
    unpaid = invoice("D", invoice_date="2026-04-01", due_date="2026-05-31", amount="5000.00", vat_amount="0.00")
    declared = await claims_service.post(
        "/v1/claims",
        json={"policy_id": claims_policy_id, "debtor_id": debtor_with_limit_id, "invoices": [unpaid]},
        headers=tokens.insured(),
    )
    assert declared.status_code == 201, declared.text
    second = f"/v1/claims/{declared.json()['id']}"
    paid = await insolvency_paid(claims_service, tokens, second, debtor_with_limit_id, "evt-buyer-3")
    line = next(line for line in paid["breakdown"] if line["rule"] == "covered_within_limit")
    assert (line["amount"], paid["eligible_loss"], paid["amount"]) == ("0.00", "0.00", "0.00")
    assert "10000.00 used by earlier claims" in line["detail"]


async def closed_after_payment(
    claims_service: httpx.AsyncClient, tokens: Tokens, url: str, debtor_id: str, event_id: str
) -> dict[str, Any]:
    """The claim indemnified under a liquidation, then closed by the insurer: its indemnity."""
    paid = await insolvency_paid(claims_service, tokens, url, debtor_id, event_id)
    closed = await claims_service.post(
        f"{url}/closure", json={"reason": "paid"}, headers=await as_read(claims_service, url, tokens.handler())
    )
    assert closed.json()["status"] == "closed", closed.text
    return paid


async def test_an_indemnified_invoice_is_never_declared_again(
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    claim: dict[str, Any],
    claims_policy_id: str,
    debtor_with_limit_id: str,
    clock: FixedClock,
) -> None:
    at(clock, "2026-07-10")
    await closed_after_payment(claims_service, tokens, f"/v1/claims/{claim['id']}", debtor_with_limit_id, "evt-again-1")
    # Invoice B again, alone: the earlier claim paid it.
    again = invoice("B", invoice_date="2026-03-20", due_date="2026-05-19", amount="6000.00", vat_amount="1000.00")
    declared = await claims_service.post(
        "/v1/claims",
        json={"policy_id": claims_policy_id, "debtor_id": debtor_with_limit_id, "invoices": [again]},
        headers=tokens.insured(),
    )
    assert declared.status_code == 409 and declared.json()["code"] == "INVOICE_ALREADY_CLAIMED", declared.text
    assert declared.json()["invoice_numbers"] == ["B"]


async def test_a_withdrawn_claims_invoices_may_be_declared_again(
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    claim: dict[str, Any],
    claims_policy_id: str,
    debtor_with_limit_id: str,
) -> None:
    url = f"/v1/claims/{claim['id']}"
    withdrawn = await claims_service.post(
        f"{url}/withdrawal", json={"reason": "paid"}, headers=await as_read(claims_service, url, tokens.insured())
    )
    assert withdrawn.json()["status"] == "withdrawn", withdrawn.text
    again = invoice("B", invoice_date="2026-03-20", due_date="2026-05-19", amount="6000.00", vat_amount="1000.00")
    declared = await claims_service.post(
        "/v1/claims",
        json={"policy_id": claims_policy_id, "debtor_id": debtor_with_limit_id, "invoices": [again]},
        headers=tokens.insured(),
    )
    assert declared.status_code == 201, declared.text


async def test_an_older_delivery_declared_later_shares_the_limit_an_earlier_claim_used(
    claims_service: httpx.AsyncClient,
    policies: httpx.AsyncClient,
    tokens: Tokens,
    claims_policy_id: str,
    debtor_with_limit_id: str,
    clock: FixedClock,
) -> None:
    # The newer delivery first: 10,000 net on 20 March fills the 10,000 limit.
    newer = invoice("N", invoice_date="2026-03-20", due_date="2026-05-19", amount="10000.00", vat_amount="0.00")
    first = await claims_service.post(
        "/v1/claims",
        json={"policy_id": claims_policy_id, "debtor_id": debtor_with_limit_id, "invoices": [newer]},
        headers=tokens.insured(),
    )
    assert first.status_code == 201, first.text
    at(clock, "2026-07-10")
    paid = await closed_after_payment(
        claims_service, tokens, f"/v1/claims/{first.json()['id']}", debtor_with_limit_id, "evt-o-1"
    )
    assert paid["eligible_loss"] == "10000.00"
    # The older delivery (1 March), declared after: it was outstanding under the same limit, now used up.
    older = invoice("O", invoice_date="2026-03-01", due_date="2026-04-30", amount="10000.00", vat_amount="0.00")
    second = await claims_service.post(
        "/v1/claims",
        json={"policy_id": claims_policy_id, "debtor_id": debtor_with_limit_id, "invoices": [older]},
        headers=tokens.insured(),
    )
    assert second.status_code == 201, second.text
    paid_again = await insolvency_paid(
        claims_service, tokens, f"/v1/claims/{second.json()['id']}", debtor_with_limit_id, "evt-o-2"
    )
    assert (paid_again["eligible_loss"], paid_again["amount"]) == ("0.00", "0.00")


async def test_an_older_invoice_added_moves_the_claims_deadlines_to_its_due_date(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], clock: FixedClock
) -> None:
    url = f"/v1/claims/{claim['id']}"
    assert claim["deadlines"]["waiting_period_end"] == "2026-10-27"  # 180 days after A's due date, 30 April
    older = invoice("Z", invoice_date="2026-02-09", due_date="2026-04-10", amount="1000.00", vat_amount="0.00")
    added = await claims_service.post(f"{url}/invoices", json={"invoices": [older]}, headers=tokens.insured())
    assert added.status_code == 201, added.text
    # Every deadline now runs from 10 April: notification 90 days, extension 60, waiting period 180.
    assert {name: day for name, day in added.json()["deadlines"].items() if day} == {
        "oldest_due_date": "2026-04-10",
        "declaration_deadline": "2026-07-09",
        "max_extension_end": "2026-06-09",
        "waiting_period_end": "2026-10-07",
    }
    timeline = (await claims_service.get(f"{url}/timeline", headers=tokens.handler())).json()
    [line] = [entry["detail"] for entry in timeline if entry["kind"] == "invoices_added"]
    assert (line["invoices"], line["waiting_period_end"]) == (["Z"], "2026-10-07")
    horizon = (await claims_service.get("/v1/worklist?within_days=200", headers=tokens.handler())).json()["items"]
    assert [item["due"] for item in horizon if item["action"] == "waiting_period_ends"] == ["2026-10-07"]
    await formal_notice(claims_service, url, tokens.insured(), "2026-06-15")
    at(clock, "2026-10-08")  # the day after the waiting period, three weeks before A's would end
    swept = await claims_service.post("/v1/claims/sweeps", json={"on": "2026-10-08"}, headers=tokens.handler())
    assert swept.json()["indemnifiable"] == 1, swept.text


async def test_a_newer_invoice_added_leaves_the_claims_deadlines(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any]
) -> None:
    url = f"/v1/claims/{claim['id']}"
    newer = invoice("Y", invoice_date="2026-04-01", due_date="2026-05-31", amount="1000.00", vat_amount="0.00")
    added = await claims_service.post(f"{url}/invoices", json={"invoices": [newer]}, headers=tokens.insured())
    assert added.status_code == 201, added.text
    assert added.json()["deadlines"] == claim["deadlines"]
