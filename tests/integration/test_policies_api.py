"""The policies API in process, over a database built by its migrations."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.kit.auth import Role
from tests.shared.builders import cover_check, invoice, policy_body
from tests.support import Tokens


async def create_policy(policies: httpx.AsyncClient, tokens: Tokens, **overrides: Any) -> dict[str, Any]:
    response = await policies.post("/v1/policies", json=policy_body(**overrides), headers=tokens.underwriter())
    assert response.status_code == 201, response.text
    return response.json()


async def activate(policies: httpx.AsyncClient, tokens: Tokens, policy_id: str) -> dict[str, Any]:
    current = await policies.get(f"/v1/policies/{policy_id}", headers=tokens.underwriter())
    response = await policies.patch(
        f"/v1/policies/{policy_id}",
        json={"status": "active"},
        headers={**tokens.underwriter(), "If-Match": current.headers["ETag"]},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def all_policies(policies: httpx.AsyncClient, tokens: Tokens) -> list[dict[str, Any]]:
    response = await policies.get("/v1/policies", headers=tokens.underwriter())
    assert response.status_code == 200
    return response.json()["items"]


async def test_underwriter_creates_a_draft_policy_with_location_and_etag(
    policies: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await policies.post("/v1/policies", json=policy_body(), headers=tokens.underwriter())
    assert response.status_code == 201
    created = response.json()
    assert response.headers["Location"] == f"/v1/policies/{created['id']}"
    assert response.headers["ETag"] == '"1"'
    assert created["status"] == "draft"
    assert created["terms"]["percentage_of_cover"] == "0.90"
    assert created["terms"]["max_liability"] == "1000000.00"
    assert created["terms"]["covered_countries"] == ["BE", "DE", "FR"]
    read = await policies.get(response.headers["Location"], headers=tokens.insured("INS-ACME"))
    assert read.status_code == 200 and read.json() == created


async def test_terms_default_to_the_market_defaults(policies: httpx.AsyncClient, tokens: Tokens) -> None:
    body = policy_body()
    body["terms"] = {"max_liability": "50000", "covered_countries": ["FR"]}
    response = await policies.post("/v1/policies", json=body, headers=tokens.underwriter())
    terms = response.json()["terms"]
    assert (terms["percentage_of_cover"], terms["max_credit_period_days"], terms["notification_deadline_days"]) == (
        "0.90",
        120,
        90,
    )
    assert (terms["max_extension_days"], terms["waiting_period_days"], terms["vat_covered"]) == (60, 180, False)
    assert set(terms["collection"].values()) == {None}  # the claims service's collection periods apply


async def test_collection_terms_are_kept_and_merged_by_a_patch(policies: httpx.AsyncClient, tokens: Tokens) -> None:
    body = policy_body(terms={"collection": {"formal_notice_days": 15}})
    created = await policies.post("/v1/policies", json=body, headers=tokens.underwriter())
    assert created.json()["terms"]["collection"]["formal_notice_days"] == 15
    url = f"/v1/policies/{created.json()['id']}"
    patched = await policies.patch(
        url,
        json={"terms": {"collection": {"court_action_days": 45}}},
        headers={**tokens.underwriter(), "If-Match": created.headers["ETag"]},
    )
    assert patched.status_code == 200, patched.text
    collection = patched.json()["terms"]["collection"]
    assert (collection["formal_notice_days"], collection["court_action_days"]) == (15, 45)
    refused = await policies.post(
        "/v1/policies",
        json=policy_body(number="POL-X", terms={"collection": {"formal_notice_days": 0}}),
        headers=tokens.underwriter(),
    )
    assert refused.status_code == 422


async def test_duplicate_policy_number_is_a_conflict(policies: httpx.AsyncClient, tokens: Tokens) -> None:
    await create_policy(policies, tokens)
    again = await policies.post("/v1/policies", json=policy_body(), headers=tokens.underwriter())
    assert again.status_code == 409
    assert again.json()["code"] == "POLICY_NUMBER_TAKEN"
    assert len(await all_policies(policies, tokens)) == 1


async def test_another_insured_gets_404_on_every_policy_route(policies: httpx.AsyncClient, tokens: Tokens) -> None:
    policy = await create_policy(policies, tokens)
    stranger = tokens.insured("INS-BETA")
    base = f"/v1/policies/{policy['id']}"
    answers = [
        await policies.get(base, headers=stranger),
        await policies.post(f"{base}/cover-checks", json=cover_check(), headers=stranger),
        await policies.get(f"{base}/liability", headers=stranger),
    ]
    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert {answer.json()["code"] for answer in answers} == {"POLICY_NOT_FOUND"}
    listed = await policies.get("/v1/policies", headers=stranger)
    assert listed.json()["items"] == []
    filtered = await policies.get("/v1/policies?insured_id=INS-ACME", headers=stranger)
    assert filtered.json()["items"] == []


async def test_roles_are_enforced(policies: httpx.AsyncClient, tokens: Tokens) -> None:
    policy = await create_policy(policies, tokens)
    as_insured = await policies.post("/v1/policies", json=policy_body(number="P-2"), headers=tokens.insured())
    assert as_insured.status_code == 403 and as_insured.json()["code"] == "FORBIDDEN"
    patch = await policies.patch(
        f"/v1/policies/{policy['id']}", json={"status": "active"}, headers={**tokens.insured(), "If-Match": '"1"'}
    )
    assert patch.status_code == 403
    reservation = {"claim_id": "C-1", "amount": "1.00", "currency": "EUR", "attributable_date": "2026-03-01"}
    # Liability is reserved by the claims service alone, as it pays an indemnity: no public route, no role.
    for headers in (tokens.underwriter(), tokens.handler(), tokens.headers(Role.ADMIN)):
        public = await policies.post(
            f"/v1/policies/{policy['id']}/liability/reservations", json=reservation, headers=headers
        )
        assert public.status_code == 404
        internal = await policies.post(
            f"/internal/policies/{policy['id']}/liability/reservations", json=reservation, headers=headers
        )
        assert internal.status_code == 401
    liability = (
        await policies.get(f"/v1/policies/{policy['id']}/liability?on=2026-03-01", headers=tokens.insured())
    ).json()
    assert liability["reservations"] == 0
    anonymous = await policies.get("/v1/policies")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert anonymous.headers["content-type"] == "application/problem+json"


async def test_update_needs_if_match_and_refuses_a_stale_one(policies: httpx.AsyncClient, tokens: Tokens) -> None:
    policy = await create_policy(policies, tokens)
    url = f"/v1/policies/{policy['id']}"
    missing = await policies.patch(url, json={"insured_name": "Acme SA"}, headers=tokens.underwriter())
    assert missing.status_code == 428 and missing.json()["code"] == "PRECONDITION_REQUIRED"
    first = await policies.patch(
        url, json={"insured_name": "Acme SA"}, headers={**tokens.underwriter(), "If-Match": '"1"'}
    )
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    stale = await policies.patch(
        url, json={"insured_name": "Acme Group"}, headers={**tokens.underwriter(), "If-Match": '"1"'}
    )
    assert stale.status_code == 412 and stale.json()["code"] == "PRECONDITION_FAILED"
    assert (await policies.get(url, headers=tokens.underwriter())).json()["insured_name"] == "Acme SA"


async def test_status_follows_the_lifecycle_and_terms_lock_once_active(
    policies: httpx.AsyncClient, tokens: Tokens
) -> None:
    policy = await create_policy(policies, tokens)
    url = f"/v1/policies/{policy['id']}"
    active = await activate(policies, tokens, policy["id"])
    assert active["status"] == "active"
    locked = await policies.patch(
        url, json={"terms": {"deductible": "0"}}, headers={**tokens.underwriter(), "If-Match": '"2"'}
    )
    assert locked.status_code == 409 and locked.json()["code"] == "POLICY_TERMS_LOCKED"
    cancelled = await policies.patch(
        url, json={"status": "cancelled"}, headers={**tokens.underwriter(), "If-Match": '"2"'}
    )
    assert cancelled.status_code == 200
    revive = await policies.patch(url, json={"status": "active"}, headers={**tokens.underwriter(), "If-Match": '"3"'})
    assert revive.status_code == 409
    assert revive.json()["code"] == "ILLEGAL_STATUS_CHANGE" and revive.json()["current_status"] == "cancelled"


async def test_draft_terms_can_change(policies: httpx.AsyncClient, tokens: Tokens) -> None:
    policy = await create_policy(policies, tokens)
    response = await policies.patch(
        f"/v1/policies/{policy['id']}",
        json={"terms": {"percentage_of_cover": "0.85", "covered_countries": ["IT", "FR", "IT"]}},
        headers={**tokens.underwriter(), "If-Match": '"1"'},
    )
    assert response.status_code == 200
    assert response.json()["terms"]["percentage_of_cover"] == "0.85"
    assert response.json()["terms"]["covered_countries"] == ["FR", "IT"]
    assert response.json()["terms"]["deductible"] == "500.00"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "MALFORMED_REQUEST"),
        (policy_body(currency="EURO"), 422, "VALIDATION_FAILED"),
        (policy_body(currency="XYZ"), 422, "VALIDATION_FAILED"),
        (policy_body(terms={"percentage_of_cover": "1.5"}), 422, "VALIDATION_FAILED"),
        (policy_body(terms={"percentage_of_cover": "0.40"}), 422, "VALIDATION_FAILED"),
        (policy_body(terms={"deductible": "-1.00"}), 422, "VALIDATION_FAILED"),
        (policy_body(terms={"max_credit_period_days": 0}), 422, "VALIDATION_FAILED"),
        (policy_body(terms={"max_credit_period_days": "many"}), 422, "VALIDATION_FAILED"),
        (policy_body(terms={"covered_countries": ["XX"]}), 422, "VALIDATION_FAILED"),
        (policy_body(terms={"covered_countries": []}), 422, "VALIDATION_FAILED"),
        (policy_body(status="active"), 422, "VALIDATION_FAILED"),
        (policy_body(terms={"surprise": True}), 422, "VALIDATION_FAILED"),
        (policy_body(start_date="2026-02-30"), 422, "VALIDATION_FAILED"),
        (policy_body(end_date="2025-12-31"), 422, "INVALID_INSURANCE_PERIOD"),
        (policy_body(number=""), 422, "VALIDATION_FAILED"),
    ],
)
async def test_bad_policy_input_is_refused_and_writes_nothing(
    policies: httpx.AsyncClient, tokens: Tokens, body: Any, status: int, code: str
) -> None:
    headers = {**tokens.underwriter(), "content-type": "application/json"}
    content = body if isinstance(body, bytes) else httpx.Request("POST", "/", json=body).content
    response = await policies.post("/v1/policies", content=content, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert await all_policies(policies, tokens) == []


async def test_bad_patch_writes_nothing(policies: httpx.AsyncClient, tokens: Tokens) -> None:
    policy = await create_policy(policies, tokens)
    url = f"/v1/policies/{policy['id']}"
    headers = {**tokens.underwriter(), "If-Match": '"1"'}
    for body in (
        {"insured_name": None},
        {"terms": {"percentage_of_cover": "0.99"}},
        {"end_date": "2025-01-01"},
        {"status": "gone"},
    ):
        response = await policies.patch(url, json=body, headers=headers)
        assert response.status_code == 422, body
    unchanged = await policies.get(url, headers=tokens.underwriter())
    assert unchanged.headers["ETag"] == '"1"' and unchanged.json() == policy


async def test_list_is_paginated_and_filtered(policies: httpx.AsyncClient, tokens: Tokens) -> None:
    for number in range(5):
        await create_policy(policies, tokens, number=f"P-{number}", insured_id="INS-ACME" if number % 2 else "INS-BETA")
    seen: list[str] = []
    cursor = None
    while True:
        query = "/v1/policies?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await policies.get(query, headers=tokens.underwriter())).json()
        seen += [item["number"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"P-{number}" for number in range(5)]
    acme = (await policies.get("/v1/policies", headers=tokens.insured("INS-ACME"))).json()["items"]
    assert [item["number"] for item in acme] == ["P-1", "P-3"]
    beta = (await policies.get("/v1/policies?insured_id=INS-BETA", headers=tokens.underwriter())).json()["items"]
    assert [item["number"] for item in beta] == ["P-0", "P-2", "P-4"]
    assert (await policies.get("/v1/policies?limit=201", headers=tokens.underwriter())).status_code == 422
    assert (await policies.get("/v1/policies?cursor=%%%", headers=tokens.underwriter())).json()[
        "code"
    ] == "INVALID_CURSOR"


class TestCoverCheck:
    async def check(self, policies: httpx.AsyncClient, tokens: Tokens, policy_id: str, **body: Any) -> httpx.Response:
        return await policies.post(
            f"/v1/policies/{policy_id}/cover-checks", json=cover_check(**body), headers=tokens.insured()
        )

    async def test_clean_case_is_covered_with_deadlines(self, policies: httpx.AsyncClient, tokens: Tokens) -> None:
        policy = await create_policy(policies, tokens)
        await activate(policies, tokens, policy["id"])
        answer = (await self.check(policies, tokens, policy["id"])).json()
        assert answer["covered"] is True and answer["reasons"] == []
        assert answer["deadlines"] == {
            "oldest_due_date": "2026-04-30",
            "declaration_deadline": "2026-07-29",
            "max_extension_end": "2026-06-29",
            "waiting_period_end": "2026-10-27",
        }
        assert answer["terms"]["percentage_of_cover"] == "0.90" and answer["terms"]["deductible"] == "500.00"

    async def test_late_declaration(self, policies: httpx.AsyncClient, tokens: Tokens) -> None:
        policy = await create_policy(policies, tokens)
        await activate(policies, tokens, policy["id"])
        answer = (await self.check(policies, tokens, policy["id"], declaration_date="2026-07-30")).json()
        assert answer["covered"] is False
        assert [reason["code"] for reason in answer["reasons"]] == ["NOTIFICATION_LATE"]

    async def test_credit_period_over_the_maximum(self, policies: httpx.AsyncClient, tokens: Tokens) -> None:
        policy = await create_policy(policies, tokens)
        await activate(policies, tokens, policy["id"])
        long_credit = invoice("F-LONG", invoice_date="2026-01-05", due_date="2026-05-30")
        answer = (await self.check(policies, tokens, policy["id"], invoices=[long_credit])).json()
        assert [(r["code"], r["invoice_number"]) for r in answer["reasons"]] == [("CREDIT_PERIOD_EXCEEDED", "F-LONG")]

    async def test_uncovered_country(self, policies: httpx.AsyncClient, tokens: Tokens) -> None:
        policy = await create_policy(policies, tokens)
        await activate(policies, tokens, policy["id"])
        answer = (await self.check(policies, tokens, policy["id"], debtor_country="US")).json()
        assert [reason["code"] for reason in answer["reasons"]] == ["COUNTRY_NOT_COVERED"]

    async def test_draft_policy_is_not_in_force(self, policies: httpx.AsyncClient, tokens: Tokens) -> None:
        policy = await create_policy(policies, tokens)
        answer = (await self.check(policies, tokens, policy["id"])).json()
        assert [reason["code"] for reason in answer["reasons"]] == ["POLICY_NOT_IN_FORCE"]

    async def test_declaration_date_defaults_to_the_clock(self, policies: httpx.AsyncClient, tokens: Tokens) -> None:
        policy = await create_policy(policies, tokens)
        await activate(policies, tokens, policy["id"])
        body = cover_check()
        del body["declaration_date"]
        answer = await policies.post(f"/v1/policies/{policy['id']}/cover-checks", json=body, headers=tokens.insured())
        assert answer.json()["declaration_date"] == "2026-06-15"

    @pytest.mark.parametrize(
        "bad",
        [
            {"invoices": [invoice(due_date="2026-02-01")]},
            {"invoices": [invoice(amount="-5.00")]},
            {"invoices": [invoice(amount="0")]},
            {"invoices": [invoice(vat_amount="20000.00")]},
            {"invoices": [invoice(), invoice()]},
            {"invoices": []},
            {"debtor_country": "France"},
            {"invoices": [invoice(currency="EU")]},
            {"invoices": [invoice(tenant="INS-BETA")]},
        ],
    )
    async def test_bad_cover_check_input_is_refused(
        self, policies: httpx.AsyncClient, tokens: Tokens, bad: dict[str, Any]
    ) -> None:
        policy = await create_policy(policies, tokens)
        response = await self.check(policies, tokens, policy["id"], **bad)
        assert response.status_code == 422
        assert response.json()["code"] == "VALIDATION_FAILED" and response.json()["errors"]


async def test_probes_and_metrics(policies: httpx.AsyncClient, tokens: Tokens) -> None:
    assert (await policies.get("/healthz")).json() == {"status": "ok"}
    assert (await policies.get("/readyz")).json() == {"status": "ready"}
    await policies.get("/v1/policies", headers=tokens.underwriter())
    metrics = (await policies.get("/metrics")).text
    assert 'http_requests_total{method="GET",route="/v1/policies",service="policies",status="200"} 1.0' in metrics
    assert "http_request_duration_seconds_bucket" in metrics


async def test_unexpected_failure_is_a_problem_without_internals(policies_app: Any, tokens: Tokens) -> None:
    async def broken() -> None:
        raise RuntimeError("secret connection string in a message")

    policies_app.add_api_route("/v1/policies-broken", broken)  # type: ignore[attr-defined]
    transport = httpx.ASGITransport(app=policies_app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://policies") as client:
        response = await client.get("/v1/policies-broken")
    assert response.status_code == 500
    assert response.json()["code"] == "INTERNAL_ERROR" and response.json()["request_id"]
    assert "secret" not in response.text and "Traceback" not in response.text


async def test_wrong_method_lists_every_method_of_the_resource(policies: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await policies.request("DELETE", "/v1/policies", headers=tokens.underwriter())
    assert response.status_code == 405 and response.headers["content-type"] == "application/problem+json"
    assert response.headers["Allow"] == "GET, POST"
