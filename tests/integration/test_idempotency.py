"""Idempotency-Key on creating POSTs: replayed byte for byte, refused for another body, once under races."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert as sa_insert
from sqlalchemy import select

from services.kit.clock import FixedClock
from tests.integration.test_declarations import declaration
from tests.shared.builders import invoice, policy_body
from tests.support import Tokens


async def test_same_key_and_body_replays_the_first_answer(
    claims_service: httpx.AsyncClient, tokens: Tokens, active_policy_id: str, registered_debtor_id: str
) -> None:
    headers = {**tokens.insured(), "Idempotency-Key": "decl-001"}
    first = await claims_service.post(
        "/v1/claims", json=declaration(active_policy_id, registered_debtor_id), headers=headers
    )
    again = await claims_service.post(
        "/v1/claims", json=declaration(active_policy_id, registered_debtor_id), headers=headers
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content and again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = await claims_service.post(
        "/v1/claims",
        json=declaration(active_policy_id, registered_debtor_id, invoices=[invoice("OTHER")]),
        headers=headers,
    )
    assert other.status_code == 422 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    listed = (await claims_service.get("/v1/claims", headers=tokens.handler())).json()["items"]
    assert len(listed) == 1


async def test_keys_belong_to_their_client(
    claims_service: httpx.AsyncClient, tokens: Tokens, active_policy_id: str, registered_debtor_id: str
) -> None:
    from services.kit.auth import Role

    first = await claims_service.post(
        "/v1/claims",
        json=declaration(active_policy_id, registered_debtor_id),
        headers={**tokens.insured(), "Idempotency-Key": "k"},
    )
    other_client = {
        "Authorization": f"Bearer {tokens.token(Role.INSURED, insured_id='INS-ACME', client_id='acme-second-erp')}"
    }
    second = await claims_service.post(
        "/v1/claims",
        json=declaration(active_policy_id, registered_debtor_id),
        headers={**other_client, "Idempotency-Key": "k"},
    )
    assert first.status_code == 201 and second.status_code == 409  # not a replay: the invoices are taken


async def test_concurrent_requests_with_one_key_create_one_claim(
    claims_service: httpx.AsyncClient, tokens: Tokens, active_policy_id: str, registered_debtor_id: str
) -> None:
    headers = {**tokens.insured(), "Idempotency-Key": "race-1"}
    answers = await asyncio.gather(
        *(
            claims_service.post("/v1/claims", json=declaration(active_policy_id, registered_debtor_id), headers=headers)
            for _ in range(10)
        )
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


# A process killed mid-request leaves its key behind; these rows are what it leaves.

BODY = json.dumps(policy_body(number="POL-CRASH")).encode()
JSON_CONTENT = {"content-type": "application/json"}


async def left_behind(app: Any, clock: FixedClock, *, age: timedelta, committed: bool | None) -> None:
    """The key of a first attempt that started `age` ago and never answered."""
    from services.policies.adapters.tables import idempotency_keys

    digest = hashlib.sha256(b"POST /v1/policies?\n" + BODY).hexdigest()
    async with app.state.db.writers() as session, session.begin():
        await session.execute(
            sa_insert(idempotency_keys).values(
                client_id="test-client",
                key="crash-1",
                request_hash=digest,
                created_at=clock.now() - age,
                committed=committed,
            )
        )


async def policy_numbers(policies: httpx.AsyncClient, tokens: Tokens) -> list[str]:
    return [
        item["number"] for item in (await policies.get("/v1/policies", headers=tokens.underwriter())).json()["items"]
    ]


async def test_a_first_attempt_that_died_before_committing_is_run_again_after_the_lease(
    policies_app: Any, policies: httpx.AsyncClient, tokens: Tokens, clock: FixedClock
) -> None:
    await left_behind(policies_app, clock, age=timedelta(seconds=61), committed=None)
    headers = {**tokens.underwriter(), **JSON_CONTENT, "Idempotency-Key": "crash-1"}
    retried = await policies.post("/v1/policies", content=BODY, headers=headers)
    assert retried.status_code == 201, retried.text
    replayed = await policies.post("/v1/policies", content=BODY, headers=headers)
    assert replayed.content == retried.content and replayed.headers["Idempotent-Replayed"] == "true"
    assert await policy_numbers(policies, tokens) == ["POL-CRASH"]


@pytest.mark.parametrize(
    ("age", "committed", "code"),
    [
        (timedelta(seconds=10), None, "IDEMPOTENCY_KEY_IN_FLIGHT"),  # within its lease: it may still be running
        (timedelta(seconds=10), True, "IDEMPOTENCY_KEY_IN_FLIGHT"),  # committed, its answer about to be stored
        (timedelta(hours=1), True, "IDEMPOTENCY_RESPONSE_LOST"),  # it took effect: never run twice
    ],
)
async def test_a_first_attempt_that_may_run_or_has_committed_is_not_run_again(
    policies_app: Any,
    policies: httpx.AsyncClient,
    tokens: Tokens,
    clock: FixedClock,
    age: timedelta,
    committed: bool | None,
    code: str,
) -> None:
    await left_behind(policies_app, clock, age=age, committed=committed)
    headers = {**tokens.underwriter(), **JSON_CONTENT, "Idempotency-Key": "crash-1"}
    answer = await policies.post("/v1/policies", content=BODY, headers=headers)
    assert answer.status_code == 409 and answer.json()["code"] == code
    assert await policy_numbers(policies, tokens) == []


async def test_the_key_is_marked_committed_with_the_effect_only(
    policies_app: Any, policies: httpx.AsyncClient, tokens: Tokens
) -> None:
    from services.policies.adapters.tables import idempotency_keys

    headers = {**tokens.underwriter(), **JSON_CONTENT}
    created = await policies.post("/v1/policies", content=BODY, headers={**headers, "Idempotency-Key": "made"})
    taken = await policies.post("/v1/policies", content=BODY, headers={**headers, "Idempotency-Key": "refused"})
    assert (created.status_code, taken.status_code) == (201, 409)
    async with policies_app.state.db.readers() as session:
        rows = dict((await session.execute(select(idempotency_keys.c.key, idempotency_keys.c.committed))).all())
    assert rows == {"made": True, "refused": None}


async def test_keys_are_compared_whole_up_to_255_visible_ascii_characters(
    claims_service: httpx.AsyncClient, tokens: Tokens, active_policy_id: str, registered_debtor_id: str
) -> None:
    declared = await claims_service.post(
        "/v1/claims", json=declaration(active_policy_id, registered_debtor_id), headers=tokens.insured()
    )
    claim = declared.json()
    url = f"/v1/claims/{claim['id']}/payments-received"
    body = {"amount": "100.00", "received_on": "2026-06-15"}
    stem = "p" * 200
    first = await claims_service.post(url, json=body, headers={**tokens.insured(), "Idempotency-Key": stem + "-first"})
    second = await claims_service.post(url, json=body, headers={**tokens.insured(), "Idempotency-Key": stem + "-other"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second.headers  # two payments, not one replayed
    timeline = (await claims_service.get(f"/v1/claims/{claim['id']}/timeline", headers=tokens.insured())).json()
    assert [entry["kind"] for entry in timeline].count("payment_received") == 2
    longest = "k" * 255
    kept = await claims_service.post(url, json=body, headers={**tokens.insured(), "Idempotency-Key": longest})
    again = await claims_service.post(url, json=body, headers={**tokens.insured(), "Idempotency-Key": longest})
    assert kept.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    for bad in (b"k" * 256, b"k" * 70_000, b"", b"with space", "café".encode(), b"tab\there"):
        refused = await claims_service.post(url, json=body, headers={**tokens.insured(), "Idempotency-Key": bad})
        assert refused.status_code == 400 and refused.json()["code"] == "INVALID_IDEMPOTENCY_KEY", bad[:20]
    timeline = (await claims_service.get(f"/v1/claims/{claim['id']}/timeline", headers=tokens.insured())).json()
    assert [entry["kind"] for entry in timeline].count("payment_received") == 3
