"""What debtors knows of a policy: read from policies, kept once out of draft, never shown to another insured."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from services.debtors.adapters.policies import PolicyBook
from services.debtors.config import DebtorsSettings
from services.debtors.main import create_app as create_debtors_app
from services.kit.auth import Principal, Role
from services.kit.upstream import Upstream
from tests.shared.builders import policy_body
from tests.support import FixedClock, Tokens, running

IN_FORCE = "/v1/credit-limits/in-force"


class CountingTransport(httpx.ASGITransport):
    """The policies app in process, counting the policy reads it answers."""

    reads = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.startswith("/v1/policies/"):
            self.reads += 1
        return await super().handle_async_request(request)


@pytest.fixture
def policy_reads(policies_app: object) -> CountingTransport:
    return CountingTransport(app=policies_app)  # type: ignore[arg-type]


@pytest.fixture
async def counted_debtors(
    debtors_settings: DebtorsSettings, clock: FixedClock, policy_reads: CountingTransport
) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_debtors_app(debtors_settings, clock, {"policies": policy_reads})) as app:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://debtors") as client:
            yield client


async def _draft(policies: httpx.AsyncClient, tokens: Tokens, discretionary: str, **fields: str) -> httpx.Response:
    body = policy_body(terms={"discretionary_limit": discretionary}, **fields)
    created = await policies.post("/v1/policies", json=body, headers=tokens.underwriter())
    assert created.status_code == 201, created.text
    return created


async def _change(policies: httpx.AsyncClient, tokens: Tokens, created: httpx.Response, **body: object) -> None:
    current = await policies.get(created.headers["Location"], headers=tokens.underwriter())
    headers = {**tokens.underwriter(), "If-Match": current.headers["ETag"]}
    changed = await policies.patch(created.headers["Location"], json=body, headers=headers)
    assert changed.status_code == 200, changed.text


async def _discretionary(debtors: httpx.AsyncClient, headers: dict[str, str], policy_id: str, debtor_id: str) -> str:
    query = {"policy_id": policy_id, "debtor_id": debtor_id, "on": "2026-03-01"}
    answer = await debtors.get(IN_FORCE, params=query, headers=headers)
    assert answer.status_code == 200, answer.text
    [limit] = answer.json()["limits"]
    assert limit["source"] == "discretionary"
    return str(limit["amount"])


async def _debtor(debtors: httpx.AsyncClient, tokens: Tokens) -> str:
    body = {"legal_name": "Dupont Distribution SA", "country": "FR", "siren": "732829320"}
    registered = await debtors.post("/v1/debtors", json=body, headers=tokens.insured())
    assert registered.status_code == 201, registered.text
    return str(registered.json()["id"])


async def _active_policy_and_debtor(
    policies: httpx.AsyncClient, debtors: httpx.AsyncClient, tokens: Tokens
) -> tuple[str, str]:
    created = await _draft(policies, tokens, "20000.00")
    await _change(policies, tokens, created, status="active")
    return str(created.json()["id"]), await _debtor(debtors, tokens)


async def test_a_policy_out_of_draft_is_read_from_policies_once(
    counted_debtors: httpx.AsyncClient, policies: httpx.AsyncClient, tokens: Tokens, policy_reads: CountingTransport
) -> None:
    policy_id, debtor_id = await _active_policy_and_debtor(policies, counted_debtors, tokens)
    for _ in range(3):
        assert await _discretionary(counted_debtors, tokens.insured(), policy_id, debtor_id) == "20000.00"
    assert policy_reads.reads == 1


async def test_a_drafts_changed_terms_apply_to_the_next_read(
    counted_debtors: httpx.AsyncClient, policies: httpx.AsyncClient, tokens: Tokens, policy_reads: CountingTransport
) -> None:
    created = await _draft(policies, tokens, "20000.00")
    debtor_id, policy_id = await _debtor(counted_debtors, tokens), created.json()["id"]
    assert await _discretionary(counted_debtors, tokens.insured(), policy_id, debtor_id) == "20000.00"
    await _change(policies, tokens, created, terms={"discretionary_limit": "5000.00"})
    assert await _discretionary(counted_debtors, tokens.insured(), policy_id, debtor_id) == "5000.00"
    await _change(policies, tokens, created, status="active")
    assert await _discretionary(counted_debtors, tokens.insured(), policy_id, debtor_id) == "5000.00"
    assert policy_reads.reads == 3


async def test_a_kept_policy_does_not_exist_for_another_insured(
    counted_debtors: httpx.AsyncClient, policies: httpx.AsyncClient, tokens: Tokens, policy_reads: CountingTransport
) -> None:
    policy_id, debtor_id = await _active_policy_and_debtor(policies, counted_debtors, tokens)
    assert await _discretionary(counted_debtors, tokens.handler(), policy_id, debtor_id) == "20000.00"
    assert policy_reads.reads == 1
    asked = {"policy_id": policy_id, "on": "2026-03-01"}
    for path, query in (
        (IN_FORCE, {**asked, "debtor_id": debtor_id}),
        (f"/v1/debtors/{debtor_id}/declaration-context", asked),
    ):
        refused = await counted_debtors.get(path, params=query, headers=tokens.insured("INS-BETA"))
        assert refused.status_code == 404, refused.text
        assert refused.json()["code"] == "POLICY_NOT_FOUND"
    limit = {"policy_id": policy_id, "debtor_id": debtor_id, "amount": "1000.00", "currency": "EUR"}
    requested = await counted_debtors.post("/v1/credit-limits", json=limit, headers=tokens.insured("INS-BETA"))
    assert requested.status_code == 404 and requested.json()["code"] == "POLICY_NOT_FOUND", requested.text
    assert policy_reads.reads == 1
    assert await _discretionary(counted_debtors, tokens.insured(), policy_id, debtor_id) == "20000.00"


async def test_the_book_keeps_a_bounded_number_of_policies(
    policies: httpx.AsyncClient, tokens: Tokens, policy_reads: CountingTransport
) -> None:
    ids = []
    for number in range(3):
        created = await _draft(policies, tokens, "20000.00", number=f"POL-BOOK-{number}")
        await _change(policies, tokens, created, status="active")
        ids.append(uuid.UUID(created.json()["id"]))
    async with httpx.AsyncClient(transport=policy_reads, base_url="http://policies") as client:
        book = PolicyBook(Upstream("policies", client, policy_reads), size=2)
        underwriter = Principal(client_id="test-client", roles=frozenset({Role.UNDERWRITER}))
        authorization = tokens.underwriter()["Authorization"]
        for policy_id in (*ids, ids[2], ids[0]):
            facts = await book.facts(policy_id, principal=underwriter, authorization=authorization)
            assert facts.policy_id == policy_id
    # The third read made room by letting the first go: read again, the last two kept.
    assert policy_reads.reads == 4
