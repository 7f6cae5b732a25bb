"""An invoice a claim holds is held for the insured and the buyer, under any policy and however its number is written;
an indemnity of nothing holds nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.kit.clock import FixedClock
from tests.integration.claims.conftest import NOW
from tests.integration.claims.reading import as_read
from tests.integration.claims.test_one_claim_per_buyer import closed_after_payment
from tests.shared.builders import invoice, policy_body
from tests.support import Tokens, at

B_AGAIN = {"invoice_date": "2026-03-20", "due_date": "2026-05-19", "amount": "6000.00", "vat_amount": "1000.00"}


@pytest.mark.parametrize("spelling", ["b", "B ", " B", "B\u00a0", "\uff22", "b\u3000"])
async def test_an_invoice_held_by_the_claim_is_refused_however_its_number_is_written(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], spelling: str
) -> None:
    url = f"/v1/claims/{claim['id']}"
    added = await claims_service.post(
        f"{url}/invoices", json={"invoices": [invoice(spelling, **B_AGAIN)]}, headers=tokens.insured()
    )
    assert added.status_code == 409 and added.json()["code"] == "INVOICE_ALREADY_CLAIMED", added.text
    assert added.json()["invoice_numbers"] == ["B"]
    assert [
        item["number"] for item in (await claims_service.get(url, headers=tokens.insured())).json()["invoices"]
    ] == [
        "A",
        "B",
    ]


async def test_an_indemnified_invoice_written_otherwise_is_never_declared_again(
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    claim: dict[str, Any],
    claims_policy_id: str,
    debtor_with_limit_id: str,
    clock: FixedClock,
) -> None:
    at(clock, "2026-07-10")
    await closed_after_payment(
        claims_service, tokens, f"/v1/claims/{claim['id']}", debtor_with_limit_id, "evt-spelled-1"
    )
    declared = await claims_service.post(
        "/v1/claims",
        json={
            "policy_id": claims_policy_id,
            "debtor_id": debtor_with_limit_id,
            "invoices": [invoice(" b ", **B_AGAIN)],
        },
        headers=tokens.insured(),
    )
    assert declared.status_code == 409 and declared.json()["code"] == "INVOICE_ALREADY_CLAIMED", declared.text


@pytest.mark.parametrize("pair", [("X-1", "x-1"), ("X-1", "X-1\u00a0"), ("X 1", "X  1"), ("X-1", "\uff38-1")])
async def test_one_declaration_naming_an_invoice_twice_is_refused(
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    claims_policy_id: str,
    debtor_with_limit_id: str,
    pair: tuple[str, str],
) -> None:
    invoices = [invoice(number, **B_AGAIN) for number in pair]
    body = {"policy_id": claims_policy_id, "debtor_id": debtor_with_limit_id, "invoices": invoices}
    declared = await claims_service.post("/v1/claims", json=body, headers=tokens.insured())
    assert declared.status_code == 422, declared.text
    assert "distinct" in declared.text
    listed = await claims_service.get("/v1/claims", headers=tokens.handler())
    assert listed.json()["items"] == []


async def test_an_invoice_held_under_one_policy_is_refused_under_the_insureds_other_policy(
    claims_service: httpx.AsyncClient,
    policies: httpx.AsyncClient,
    debtors: httpx.AsyncClient,
    tokens: Tokens,
    claim: dict[str, Any],
    debtor_with_limit_id: str,
    clock: FixedClock,
) -> None:
    # The same insured holds a second policy, with a limit of its own on the same buyer.
    body = policy_body(number="POL-2026-0002", terms={"discretionary_limit": "0"})
    other = (await policies.post("/v1/policies", json=body, headers=tokens.underwriter())).json()
    activated = await policies.patch(
        f"/v1/policies/{other['id']}", json={"status": "active"}, headers={**tokens.underwriter(), "If-Match": '"1"'}
    )
    assert activated.status_code == 200, activated.text
    at(clock, "2026-01-01")
    requested = await debtors.post(
        "/v1/credit-limits",
        json={"policy_id": other["id"], "debtor_id": debtor_with_limit_id, "amount": "10000.00", "currency": "EUR"},
        headers=tokens.insured(),
    )
    granted = await debtors.post(
        f"/v1/credit-limits/{requested.json()['id']}/decision",
        json={"decision": "granted", "reason": "ok", "effective_date": "2026-01-01"},
        headers={**tokens.underwriter(), "If-Match": requested.headers["ETag"]},
    )
    assert granted.status_code == 200, granted.text
    clock.set(NOW)
    declared = await claims_service.post(
        "/v1/claims",
        json={"policy_id": other["id"], "debtor_id": debtor_with_limit_id, "invoices": [invoice("B", **B_AGAIN)]},
        headers=tokens.insured(),
    )
    assert declared.status_code == 409 and declared.json()["code"] == "INVOICE_ALREADY_CLAIMED", declared.text
    assert declared.json()["invoice_numbers"] == ["B"]


async def test_invoices_an_indemnity_of_nothing_closed_may_be_declared_again(
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    claims_policy_id: str,
    debtor_with_limit_id: str,
    clock: FixedClock,
) -> None:
    # 900 net is below the policy's 1,000 threshold: the indemnity pays 0.00.
    small = invoice("S-1", invoice_date="2026-03-20", due_date="2026-05-19", amount="900.00", vat_amount="0.00")
    body = {"policy_id": claims_policy_id, "debtor_id": debtor_with_limit_id, "invoices": [small]}
    first = await claims_service.post("/v1/claims", json=body, headers=tokens.insured())
    assert first.status_code == 201, first.text
    at(clock, "2026-07-10")
    paid = await closed_after_payment(
        claims_service, tokens, f"/v1/claims/{first.json()['id']}", debtor_with_limit_id, "evt-0"
    )
    assert paid["amount"] == "0.00", paid
    # With a further unpaid invoice of the same buyer, together above the threshold.
    more = invoice("S-2", invoice_date="2026-04-20", due_date="2026-06-19", amount="900.00", vat_amount="0.00")
    again = await claims_service.post("/v1/claims", json={**body, "invoices": [small, more]}, headers=tokens.insured())
    assert again.status_code == 201, again.text
    url = f"/v1/claims/{again.json()['id']}"
    assert [
        item["number"] for item in (await claims_service.get(url, headers=tokens.insured())).json()["invoices"]
    ] == [
        "S-1",
        "S-2",
    ]


@pytest.mark.parametrize(
    "spelling",
    [
        "B\u180b",  # Mongolian free variation selector
        "B\u2065",  # reserved format character
        "B\ufff0",  # reserved specials
    ],
)
async def test_an_invoice_number_with_an_invisible_character_of_the_published_pattern_is_refused(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], spelling: str
) -> None:
    url = f"/v1/claims/{claim['id']}"
    added = await claims_service.post(
        f"{url}/invoices", json={"invoices": [invoice(spelling, **B_AGAIN)]}, headers=tokens.insured()
    )
    assert added.status_code == 422, added.text
    assert added.headers["content-type"] == "application/problem+json"
    numbers = [item["number"] for item in (await claims_service.get(url, headers=tokens.insured())).json()["invoices"]]
    assert numbers == ["A", "B"]


@pytest.mark.parametrize(
    "spelling",
    [
        "B\U000e0100",  # variation selector supplement
        "B\U000e0020",  # tag space
        "B\U0001d173",  # musical formatting
        "B\U0001bca0",  # shorthand format control
        "\U000e0042\U000e0062B",  # tag letters
    ],
)
async def test_an_invoice_number_with_an_astral_invisible_mark_is_the_invoice_without_it(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], spelling: str
) -> None:
    url = f"/v1/claims/{claim['id']}"
    added = await claims_service.post(
        f"{url}/invoices", json={"invoices": [invoice(spelling, **B_AGAIN)]}, headers=tokens.insured()
    )
    assert added.status_code == 409 and added.json()["code"] == "INVOICE_ALREADY_CLAIMED", added.text
    assert added.json()["invoice_numbers"] == ["B"]


async def test_an_extension_names_the_invoice_however_its_number_is_written(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any]
) -> None:
    url = f"/v1/claims/{claim['id']}"
    extended = await claims_service.post(
        f"{url}/due-date-extensions",
        json={"invoice_number": " a ", "new_due_date": "2026-06-29"},
        headers=await as_read(claims_service, url, tokens.insured()),
    )
    assert extended.status_code == 201, extended.text
    [line] = [item for item in extended.json()["invoices"] if item["number"] == "A"]
    assert line["extended_due_date"] == "2026-06-29"


async def test_an_older_invoice_is_refused_when_an_extension_already_runs_past_its_maximum(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any]
) -> None:
    url = f"/v1/claims/{claim['id']}"
    # A due 30 April may be extended to 29 June (60 days).
    extended = await claims_service.post(
        f"{url}/due-date-extensions",
        json={"invoice_number": "A", "new_due_date": "2026-06-29"},
        headers=await as_read(claims_service, url, tokens.insured()),
    )
    assert extended.status_code == 201, extended.text
    # Z due 10 April: counted from it, extensions end on 9 June, and A's runs past that.
    older = invoice("Z", invoice_date="2026-02-09", due_date="2026-04-10", amount="1000.00", vat_amount="0.00")
    added = await claims_service.post(f"{url}/invoices", json={"invoices": [older]}, headers=tokens.insured())
    assert added.status_code == 422 and added.json()["code"] == "EXTENSION_BEYOND_MAXIMUM", added.text
    assert "A to 2026-06-29" in added.json()["detail"]
    after = (await claims_service.get(url, headers=tokens.insured())).json()
    assert [item["number"] for item in after["invoices"]] == ["A", "B"]
    assert after["deadlines"]["max_extension_end"] == "2026-06-29"
