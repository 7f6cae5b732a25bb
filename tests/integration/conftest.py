"""Fixtures of the integration tests: an active policy of INS-ACME and a registered French debtor."""

from __future__ import annotations

import httpx
import pytest

from tests.shared.builders import policy_body
from tests.support import Tokens

SIREN = "732829320"


@pytest.fixture
async def active_policy_id(policies: httpx.AsyncClient, tokens: Tokens) -> str:
    created = await policies.post("/v1/policies", json=policy_body(), headers=tokens.underwriter())
    policy = created.json()
    activated = await policies.patch(
        f"/v1/policies/{policy['id']}", json={"status": "active"}, headers={**tokens.underwriter(), "If-Match": '"1"'}
    )
    assert activated.status_code == 200
    return policy["id"]


@pytest.fixture
async def registered_debtor_id(debtors: httpx.AsyncClient, tokens: Tokens) -> str:
    body = {"legal_name": "Dupont Distribution SA", "country": "FR", "siren": SIREN}
    return (await debtors.post("/v1/debtors", json=body, headers=tokens.insured())).json()["id"]
