"""A claim of INS-ACME on a French debtor under a 10,000 EUR limit: the case the claims tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from services.claims.config import ClaimsSettings
from services.claims.main import create_app
from services.kit.clock import FixedClock
from tests.conftest import NOW
from tests.integration.claims.events import SIREN
from tests.shared.builders import invoice, policy_body
from tests.support import Tokens, at, running

OtherClaimsApp = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def claims_with(
    claims_settings: ClaimsSettings, clock: FixedClock, policies_app: Any, debtors_app: Any
) -> OtherClaimsApp:
    """Another claims app on the same database and upstreams, with some of its settings changed."""

    @asynccontextmanager
    async def started(**changes: Any) -> AsyncIterator[httpx.AsyncClient]:
        settings = claims_settings.model_copy(update=changes)
        transports = {
            "policies": httpx.ASGITransport(app=policies_app),
            "debtors": httpx.ASGITransport(app=debtors_app),
        }
        app = create_app(settings, clock, transports)
        async with (
            running(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://claims") as client,
        ):
            yield client

    return started


@pytest.fixture
async def claims_policy_id(policies: httpx.AsyncClient, tokens: Tokens) -> str:
    body = policy_body(terms={"claim_threshold": "1000.00", "deductible": "500.00", "discretionary_limit": "0"})
    policy = (await policies.post("/v1/policies", json=body, headers=tokens.underwriter())).json()
    await policies.patch(
        f"/v1/policies/{policy['id']}", json={"status": "active"}, headers={**tokens.underwriter(), "If-Match": '"1"'}
    )
    return policy["id"]


@pytest.fixture
async def debtor_with_limit_id(
    debtors: httpx.AsyncClient, tokens: Tokens, claims_policy_id: str, clock: FixedClock
) -> str:
    body = {"legal_name": "Dupont Distribution SA", "country": "FR", "siren": SIREN}
    debtor = (await debtors.post("/v1/debtors", json=body, headers=tokens.insured())).json()["id"]
    at(clock, "2026-01-01")  # the limit was asked, and granted, on New Year's Day
    requested = await debtors.post(
        "/v1/credit-limits",
        json={"policy_id": claims_policy_id, "debtor_id": debtor, "amount": "10000.00", "currency": "EUR"},
        headers=tokens.insured(),
    )
    decided = await debtors.post(
        f"/v1/credit-limits/{requested.json()['id']}/decision",
        json={"decision": "granted", "reason": "ok", "effective_date": "2026-01-01"},
        headers={**tokens.underwriter(), "If-Match": requested.headers["ETag"]},
    )
    assert decided.status_code == 200, decided.text
    clock.set(NOW)
    return debtor


@pytest.fixture
async def claim(
    claims_service: httpx.AsyncClient, tokens: Tokens, claims_policy_id: str, debtor_with_limit_id: str
) -> dict[str, Any]:
    # A: 12,000 incl. 2,000 VAT; B: 6,000 incl. 1,000 VAT (the worked example of the unit tests).
    body = {
        "policy_id": claims_policy_id,
        "debtor_id": debtor_with_limit_id,
        "invoices": [
            invoice("A", invoice_date="2026-03-01", due_date="2026-04-30", amount="12000.00", vat_amount="2000.00"),
            invoice("B", invoice_date="2026-03-20", due_date="2026-05-19", amount="6000.00", vat_amount="1000.00"),
        ],
    }
    response = await claims_service.post("/v1/claims", json=body, headers=tokens.insured())
    assert response.status_code == 201, response.text
    return response.json()
