"""The sandbox clock through the gateway, services in process: an admin's, forward only, every service follows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from gateway.config import GatewaySettings
from gateway.main import create_app as create_gateway
from services.claims.config import ClaimsSettings
from services.claims.main import create_app as create_claims
from services.debtors.config import DebtorsSettings
from services.debtors.main import create_app as create_debtors
from services.kit.auth import Role
from services.kit.clock import SystemClock
from services.policies.config import PoliciesSettings
from services.policies.main import create_app as create_policies
from services.webhooks.config import WebhooksSettings
from services.webhooks.main import create_app as create_webhooks
from tests.conftest import INTERNAL_TOKEN
from tests.support import Databases, Tokens, running


@pytest.fixture
async def sandbox(databases: Databases, key_pair: tuple[str, str]) -> AsyncIterator[tuple[httpx.AsyncClient, dict]]:
    common: dict[str, Any] = {"jwt_public_key": key_pair[1], "internal_token": INTERNAL_TOKEN, "sandbox": True}
    apps = {
        "policies": create_policies(PoliciesSettings(database_url=databases.fresh("policies"), **common)),
        "debtors": create_debtors(DebtorsSettings(database_url=databases.fresh("debtors"), **common)),
        "claims": create_claims(ClaimsSettings(database_url=databases.fresh("claims"), relay_enabled=False, **common)),
        "webhooks": create_webhooks(
            WebhooksSettings(database_url=databases.fresh("webhooks"), delivery_enabled=False, **common)
        ),
    }
    settings = GatewaySettings(jwt_private_key=key_pair[0], sandbox=True, internal_token=INTERNAL_TOKEN)
    async with running(apps["policies"]), running(apps["debtors"]), running(apps["claims"]), running(apps["webhooks"]):
        transports = {name: httpx.ASGITransport(app=app) for name, app in apps.items()}
        gateway = create_gateway(settings, None, transports)
        async with (
            running(gateway),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gateway") as client,
        ):
            yield client, apps


async def test_an_admin_moves_every_service_forward_and_the_claims_service_sweeps_each_day(
    sandbox: tuple[httpx.AsyncClient, dict], key_pair: tuple[str, str]
) -> None:
    client, apps = sandbox
    tokens = Tokens(key_pair[0], SystemClock())
    admin = {"Authorization": f"Bearer {tokens.token(Role.ADMIN)}"}
    today = SystemClock().today()
    assert (await client.get("/v1/sandbox/clock", headers=tokens.handler())).json()["today"] == today.isoformat()
    refused = await client.post("/v1/sandbox/clock", json={"advance_days": 1}, headers=tokens.handler())
    assert refused.status_code == 403
    back = await client.post(
        "/v1/sandbox/clock", json={"today": (today - timedelta(days=1)).isoformat()}, headers=admin
    )
    assert back.status_code == 422 and back.json()["code"] == "SANDBOX_CLOCK_BACKWARDS"
    far = await client.post(
        "/v1/sandbox/clock", json={"today": (today + timedelta(days=3661)).isoformat()}, headers=admin
    )
    assert far.status_code == 422 and far.json()["code"] == "SANDBOX_CLOCK_TOO_FAR"
    both = await client.post("/v1/sandbox/clock", json={"advance_days": 1, "today": today.isoformat()}, headers=admin)
    assert both.status_code == 422
    assert all(app.state.clock.today() == today for app in apps.values())
    moved = await client.post("/v1/sandbox/clock", json={"advance_days": 10}, headers=admin)
    assert moved.status_code == 200, moved.text
    target = today + timedelta(days=10)
    assert (moved.json()["today"], moved.json()["days_passed"]) == (target.isoformat(), 10)
    assert moved.json()["effects"]["claims"]["days_swept"] == 10
    assert all(app.state.clock.today() == target for app in apps.values())
    swept = await client.post("/v1/claims/sweeps", json={}, headers=tokens.handler())
    assert swept.json()["on"] == target.isoformat()
    # A token issued before the move still works: tokens keep real time.
    assert (await client.get("/v1/sandbox/clock", headers=admin)).json()["today"] == target.isoformat()
