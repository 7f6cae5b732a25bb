"""Errors never leak internals: a crash is a bare problem with a request id; the docs can be turned off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter

from gateway.config import GatewaySettings
from gateway.main import create_app as create_gateway
from services.kit.clock import FixedClock
from services.policies.config import PoliciesSettings
from services.policies.main import create_app as create_policies
from tests.support import running


async def test_an_unexpected_error_is_a_500_problem_with_a_request_id_and_no_traceback(
    policies_settings: PoliciesSettings, clock: FixedClock
) -> None:
    app = create_policies(policies_settings, clock)
    crash = APIRouter()

    @crash.get("/crash")
    async def crash_route() -> None:
        raise RuntimeError("connection string postgresql://admin:hunter2@db/prod failed")

    app.include_router(crash)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with running(app), httpx.AsyncClient(transport=transport, base_url="http://policies") as client:
        response = await client.get("/crash", headers={"X-Request-ID": "trace-500"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["code"], body["request_id"]) == ("INTERNAL_ERROR", "trace-500")
    for leak in ("hunter2", "RuntimeError", "Traceback", 'File "'):
        assert leak not in response.text


async def test_docs_can_be_turned_off_in_services_and_gateway(
    policies_settings: PoliciesSettings, clock: FixedClock, key_pair: tuple[str, str], tmp_path: Path
) -> None:
    service = create_policies(policies_settings.model_copy(update={"docs_enabled": False}), clock)
    clients = tmp_path / "clients.json"
    clients.write_text("[]")
    gateway = create_gateway(
        GatewaySettings(jwt_private_key=key_pair[0], clients_file=clients, docs_enabled=False), clock
    )
    for app in (service, gateway):
        async with (
            running(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client,
        ):
            for path in ("/docs", "/openapi.json", "/redoc"):
                assert (await client.get(path)).status_code == 404, path
            assert (await client.get("/healthz")).status_code == 200


async def test_a_transaction_the_database_rolled_back_for_another_is_a_503_to_retry() -> None:
    from sqlalchemy import exc as sa_exc

    from services.kit.database_guard import DatabaseGuard

    class Deadlock(Exception):
        sqlstate = "40P01"  # as asyncpg reports PostgreSQL's deadlock_detected

    async def waited_on_another(scope: Any, receive: Any, send: Any) -> None:
        raise sa_exc.DBAPIError("UPDATE claims ...", {}, Deadlock("deadlock detected"))

    guarded = httpx.ASGITransport(app=DatabaseGuard(waited_on_another))
    async with httpx.AsyncClient(transport=guarded, base_url="http://service") as client:
        answer = await client.post("/v1/claims/sweeps", json={})
    assert answer.status_code == 503 and answer.json()["code"] == "CONCURRENT_CHANGE"
    assert answer.headers["Retry-After"] == "1"
