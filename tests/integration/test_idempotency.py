"""Idempotency-Key on creating POSTs: replayed byte for byte, refused for another body, once under races."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.builders import invoice, policy_body
from tests.integration.test_declarations import declaration
from tests.support import Tokens


async def test_same_key_and_body_replays_the_first_answer(
    claims_service: httpx.AsyncClient, tokens: Tokens, policy_id: str, debtor_id: str
) -> None:
    headers = {**tokens.insured(), "Idempotency-Key": "decl-001"}
    first = await claims_service.post("/v1/claims", json=declaration(policy_id, debtor_id), headers=headers)
    again = await claims_service.post("/v1/claims", json=declaration(policy_id, debtor_id), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content and again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = await claims_service.post(
        "/v1/claims", json=declaration(policy_id, debtor_id, invoices=[invoice("OTHER")]), headers=headers
    )
    assert other.status_code == 422 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    listed = (await claims_service.get("/v1/claims", headers=tokens.handler())).json()["items"]
    assert len(listed) == 1


async def test_keys_belong_to_their_client(
    claims_service: httpx.AsyncClient, tokens: Tokens, policy_id: str, debtor_id: str
) -> None:
    from services.kit.auth import Role

    first = await claims_service.post(
        "/v1/claims", json=declaration(policy_id, debtor_id), headers={**tokens.insured(), "Idempotency-Key": "k"}
    )
    other_client = {
        "Authorization": f"Bearer {tokens.token(Role.INSURED, insured_id='INS-ACME', client_id='acme-second-erp')}"
    }
    second = await claims_service.post(
        "/v1/claims", json=declaration(policy_id, debtor_id), headers={**other_client, "Idempotency-Key": "k"}
    )
    assert first.status_code == 201 and second.status_code == 409  # not a replay: the invoices are taken


async def test_concurrent_requests_with_one_key_create_one_claim(
    claims_service: httpx.AsyncClient, tokens: Tokens, policy_id: str, debtor_id: str
) -> None:
    headers = {**tokens.insured(), "Idempotency-Key": "race-1"}
    answers = await asyncio.gather(
        *(claims_service.post("/v1/claims", json=declaration(policy_id, debtor_id), headers=headers) for _ in range(10))
    )
    codes = sorted(answer.status_code for answer in answers)
    assert set(codes) <= {201, 409} and codes.count(201) >= 1
    created = {answer.json()["id"] for answer in answers if answer.status_code == 201}
    assert len(created) == 1
    assert all(answer.json()["code"] == "IDEMPOTENCY_KEY_IN_FLIGHT" for answer in answers if answer.status_code == 409)
    assert len((await claims_service.get("/v1/claims", headers=tokens.handler())).json()["items"]) == 1


async def test_policy_creation_is_idempotent_too(policies: httpx.AsyncClient, tokens: Tokens) -> None:
    headers: dict[str, Any] = {**tokens.underwriter(), "Idempotency-Key": "pol-1"}
    first = await policies.post("/v1/policies", json=policy_body(), headers=headers)
    again = await policies.post("/v1/policies", json=policy_body(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201) and first.content == again.content
