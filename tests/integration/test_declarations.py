"""Declaring a default: cover checked with the real policies and debtors apps, claim opened or rejected."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import httpx
import pytest

from services.kit.clock import FixedClock
from tests.shared.builders import invoice, policy_body
from tests.support import Tokens

SIREN = "732829320"


def declaration(policy_id: str, debtor_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "policy_id": policy_id,
        "debtor_id": debtor_id,
        "invoices": [
            invoice("F-1"),
            invoice("F-2", invoice_date="2026-03-20", due_date="2026-05-19", amount="6000.00", vat_amount="1000.00"),
        ],
    }
    body.update(overrides)
    return body


async def all_claims(claims: httpx.AsyncClient, tokens: Tokens) -> list[dict[str, Any]]:
    return (await claims.get("/v1/claims", headers=tokens.handler())).json()["items"]


async def test_covered_default_opens_a_claim_with_its_deadlines(
    claims_service: httpx.AsyncClient, tokens: Tokens, active_policy_id: str, registered_debtor_id: str
) -> None:
    response = await claims_service.post(
        "/v1/claims", json=declaration(active_policy_id, registered_debtor_id), headers=tokens.insured()
    )
    assert response.status_code == 201, response.text
    claim = response.json()
    assert response.headers["Location"] == f"/v1/claims/{claim['id']}"
    assert (claim["status"], claim["insured_id"], claim["frozen"]) == ("open", "INS-ACME", False)
    assert claim["deadlines"] == {
        "oldest_due_date": "2026-04-30",
        "declaration_deadline": "2026-07-29",
        "max_extension_end": "2026-06-29",
        "waiting_period_end": "2026-10-27",
        "creance_deadline": None,
        "creance_deadline_legal": None,
        "relief_deadline": None,
        "relief_deadline_legal": None,
    }
    timeline = (await claims_service.get(f"/v1/claims/{claim['id']}/timeline", headers=tokens.insured())).json()
    assert [(entry["kind"], entry["status_to"], entry["actor"]) for entry in timeline] == [
        ("declared", "declared", "test-client"),
        ("opened", "open", "cover-check"),
    ]


@pytest.mark.parametrize(
    ("today", "change", "code"),
    [
        ("2026-07-30", {}, "NOTIFICATION_LATE"),
        (
            "2026-06-15",
            {"invoices": [invoice("F-9", invoice_date="2026-01-02", due_date="2026-05-30")]},
            "CREDIT_PERIOD_EXCEEDED",
        ),
    ],
)
async def test_uncovered_default_is_rejected_with_its_reasons(
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    clock: FixedClock,
    active_policy_id: str,
    registered_debtor_id: str,
    today: str,
    change: dict[str, Any],
    code: str,
) -> None:
    clock.set(datetime.combine(date.fromisoformat(today), time(9), tzinfo=UTC))
    response = await claims_service.post(
        "/v1/claims", json=declaration(active_policy_id, registered_debtor_id, **change), headers=tokens.insured()
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "DECLARATION_REJECTED" and [reason["code"] for reason in problem["reasons"]] == [code]
    kept = (await claims_service.get(f"/v1/claims/{problem['claim_id']}", headers=tokens.insured())).json()
    assert kept["status"] == "rejected" and kept["rejection_reasons"][0]["code"] == code


async def test_debtor_in_an_uncovered_country_is_rejected(
    claims_service: httpx.AsyncClient, debtors: httpx.AsyncClient, tokens: Tokens, active_policy_id: str
) -> None:
    body = {"legal_name": "Acme Inc", "country": "US", "national_id": "EIN 12-3456789"}
    foreign = (await debtors.post("/v1/debtors", json=body, headers=tokens.insured())).json()["id"]
    response = await claims_service.post(
        "/v1/claims", json=declaration(active_policy_id, foreign), headers=tokens.insured()
    )
    assert [reason["code"] for reason in response.json()["reasons"]] == ["COUNTRY_NOT_COVERED"]


async def test_debtor_without_any_limit_is_rejected(
    claims_service: httpx.AsyncClient, policies: httpx.AsyncClient, tokens: Tokens, registered_debtor_id: str
) -> None:
    body = policy_body(number="POL-NO-DISCRETION", terms={"discretionary_limit": "0"})
    created = (await policies.post("/v1/policies", json=body, headers=tokens.underwriter())).json()
    await policies.patch(
        f"/v1/policies/{created['id']}", json={"status": "active"}, headers={**tokens.underwriter(), "If-Match": '"1"'}
    )
    response = await claims_service.post(
        "/v1/claims", json=declaration(created["id"], registered_debtor_id), headers=tokens.insured()
    )
    assert response.status_code == 422 and [reason["code"] for reason in response.json()["reasons"]] == [
        "NO_CREDIT_LIMIT"
    ]


async def test_invoice_already_in_a_live_claim_is_a_conflict(
    claims_service: httpx.AsyncClient, tokens: Tokens, active_policy_id: str, registered_debtor_id: str
) -> None:
    assert (
        await claims_service.post(
            "/v1/claims", json=declaration(active_policy_id, registered_debtor_id), headers=tokens.insured()
        )
    ).status_code == 201
    again = await claims_service.post(
        "/v1/claims",
        json=declaration(
            active_policy_id,
            registered_debtor_id,
            invoices=[invoice("F-2", invoice_date="2026-03-20", due_date="2026-05-19")],
        ),
        headers=tokens.insured(),
    )
    live = (await all_claims(claims_service, tokens))[0]["id"]
    # One live claim per buyer: further invoices go to it.
    assert again.status_code == 409 and (again.json()["code"], again.json()["claim_id"]) == ("CLAIM_ALREADY_OPEN", live)
    assert again.headers["Location"] == f"/v1/claims/{live}"
    twice = await claims_service.post(
        f"/v1/claims/{live}/invoices",
        json={"invoices": [invoice("F-2", invoice_date="2026-03-20", due_date="2026-05-19")]},
        headers=tokens.insured(),
    )
    assert twice.status_code == 409 and twice.json()["invoice_numbers"] == ["F-2"]
    assert len(await all_claims(claims_service, tokens)) == 1


async def test_debtor_in_liquidation_opens_straight_into_insolvency(
    claims_service: httpx.AsyncClient,
    debtors: httpx.AsyncClient,
    tokens: Tokens,
    active_policy_id: str,
    registered_debtor_id: str,
) -> None:
    judgment = {
        "procedure": "liquidation_judiciaire",
        "event": "opening",
        "judgment_date": "2026-06-01",
        "publication_date": "2026-06-10",
    }
    await debtors.post(f"/v1/debtors/{registered_debtor_id}/procedure-events", json=judgment, headers=tokens.handler())
    response = await claims_service.post(
        "/v1/claims", json=declaration(active_policy_id, registered_debtor_id), headers=tokens.insured()
    )
    assert response.status_code == 201, response.text
    assert (
        response.json()["status"] == "insolvency" and response.json()["deadlines"]["creance_deadline"] == "2026-08-10"
    )


async def test_another_insured_gets_404_and_cannot_declare_on_a_foreign_policy(
    claims_service: httpx.AsyncClient, tokens: Tokens, active_policy_id: str, registered_debtor_id: str
) -> None:
    claim = (
        await claims_service.post(
            "/v1/claims", json=declaration(active_policy_id, registered_debtor_id), headers=tokens.insured()
        )
    ).json()
    stranger = tokens.insured("INS-BETA")
    for path in (f"/v1/claims/{claim['id']}", f"/v1/claims/{claim['id']}/timeline"):
        assert (await claims_service.get(path, headers=stranger)).status_code == 404
    assert (await claims_service.get("/v1/claims", headers=stranger)).json()["items"] == []
    foreign = await claims_service.post(
        "/v1/claims", json=declaration(active_policy_id, registered_debtor_id), headers=stranger
    )
    assert foreign.status_code == 404 and foreign.json()["code"] == "POLICY_NOT_FOUND"
    assert (
        await claims_service.post(
            "/v1/claims", json=declaration(active_policy_id, registered_debtor_id), headers=tokens.handler()
        )
    ).status_code == 403


async def test_declaration_on_an_unknown_debtor_is_404_and_writes_nothing(
    claims_service: httpx.AsyncClient, tokens: Tokens, active_policy_id: str
) -> None:
    unknown = "01a2196c-0d2a-733f-b96f-b274785014d7"
    response = await claims_service.post(
        "/v1/claims", json=declaration(active_policy_id, unknown), headers=tokens.insured()
    )
    assert response.status_code == 404 and response.json()["code"] == "DEBTOR_NOT_FOUND", response.text
    assert await all_claims(claims_service, tokens) == []


async def test_bad_declaration_is_refused_and_writes_nothing(
    claims_service: httpx.AsyncClient, tokens: Tokens, active_policy_id: str, registered_debtor_id: str
) -> None:
    for body in (
        declaration(active_policy_id, registered_debtor_id, invoices=[]),
        declaration(active_policy_id, registered_debtor_id, invoices=[invoice(amount="-1")]),
        declaration(active_policy_id, registered_debtor_id, invoices=[invoice(due_date="2026-01-01")]),
        declaration(active_policy_id, registered_debtor_id, invoices=[invoice("A"), invoice("B", currency="USD")]),
        declaration(active_policy_id, registered_debtor_id, status="indemnified"),
        declaration(active_policy_id, registered_debtor_id, insured_id="INS-BETA"),
    ):
        response = await claims_service.post("/v1/claims", json=body, headers=tokens.insured())
        assert response.status_code == 422 and response.json()["code"] == "VALIDATION_FAILED", body
    assert await all_claims(claims_service, tokens) == []


async def test_dependency_down_is_503_and_writes_nothing(
    claims_settings: Any,
    clock: Any,
    policies_app: Any,
    tokens: Tokens,
    active_policy_id: str,
    registered_debtor_id: str,
) -> None:
    from services.claims.main import create_app
    from tests.support import running

    async def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    transports = {"policies": httpx.ASGITransport(app=policies_app), "debtors": httpx.MockTransport(refused)}
    app = create_app(claims_settings, clock, transports)
    transport = httpx.ASGITransport(app=app)
    async with running(app), httpx.AsyncClient(transport=transport, base_url="http://claims") as client:
        response = await client.post(
            "/v1/claims", json=declaration(active_policy_id, registered_debtor_id), headers=tokens.insured()
        )
        assert response.status_code == 503 and response.headers["Retry-After"]
        assert response.json()["code"] == "UPSTREAM_UNAVAILABLE"
        assert (await client.get("/v1/claims", headers=tokens.handler())).json()["items"] == []


async def test_the_declaration_date_is_the_service_s_not_the_caller_s(
    claims_service: httpx.AsyncClient, tokens: Tokens, active_policy_id: str, registered_debtor_id: str
) -> None:
    backdated = await claims_service.post(
        "/v1/claims",
        json=declaration(active_policy_id, registered_debtor_id, declaration_date="2026-05-01"),
        headers=tokens.insured(),
    )
    assert backdated.status_code == 422 and backdated.json()["code"] == "VALIDATION_FAILED"
