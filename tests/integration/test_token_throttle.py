"""The token endpoint under guessing: failed attempts throttled per client id and per address, timings alike."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import gateway.token as token_endpoint
from gateway.config import GatewaySettings
from gateway.main import create_app as create_gateway
from services.kit.clock import FixedClock
from services.kit.secrets import hash_secret
from tests.support import running


@pytest.fixture
async def gateway_app(key_pair: tuple[str, str], tmp_path: Path, clock: FixedClock) -> AsyncIterator[Any]:
    clients = tmp_path / "clients.json"
    clients.write_text(
        json.dumps([{"client_id": "acme-erp", "roles": ["underwriter"], "secret_hash": hash_secret("right")}])
    )
    app = create_gateway(GatewaySettings(jwt_private_key=key_pair[0], clients_file=clients), clock, {})
    async with running(app):
        yield app


def inner(app: Any) -> Any:
    """The FastAPI app inside the gateway's pure-ASGI wrappers."""
    while not hasattr(app, "state"):
        app = getattr(app, "api", None) or app.app
    return app


def from_address(app: Any, address: str) -> httpx.AsyncClient:
    """A caller on its own source address."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url="http://gw")


@pytest.fixture
async def gateway(gateway_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with from_address(gateway_app, "192.0.2.1") as client:
        yield client


async def ask(gateway: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return await gateway.post("/oauth/token", data=form)


async def test_a_client_id_guessed_too_often_waits_even_with_the_right_secret(
    gateway: httpx.AsyncClient, clock: FixedClock
) -> None:
    from datetime import timedelta

    wrong = [await ask(gateway, "acme-erp", f"guess-{n}") for n in range(5)]
    assert [answer.status_code for answer in wrong] == [401] * 5
    throttled = await ask(gateway, "acme-erp", "right")
    assert throttled.status_code == 429 and throttled.json()["code"] == "RATE_LIMITED"
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    clock.advance(timedelta(seconds=61))
    assert (await ask(gateway, "acme-erp", "right")).status_code == 200


async def test_an_address_guessing_many_client_ids_is_throttled(gateway: httpx.AsyncClient) -> None:
    answers = Counter([(await ask(gateway, f"made-up-{n}", "x")).status_code for n in range(60)])
    assert answers == {401: 20, 429: 40}


async def test_an_unknown_client_costs_a_hash_as_a_wrong_secret_does(
    gateway: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[str] = []
    real = token_endpoint.secret_matches

    def counting(secret: str, stored: str) -> Any:
        hashed.append(secret)
        return real(secret, stored)

    monkeypatch.setattr(token_endpoint, "secret_matches", counting)
    assert (await ask(gateway, "acme-erp", "wrong")).status_code == 401
    assert (await ask(gateway, "nobody", "wrong-too")).status_code == 401
    assert hashed == ["wrong", "wrong-too"]  # the unknown id is checked against a dummy hash, not answered at once


async def test_guessing_from_other_addresses_does_not_lock_the_client_out(gateway_app: Any) -> None:
    async with from_address(gateway_app, "198.51.100.7") as guesser:
        assert [(await ask(guesser, "acme-erp", f"guess-{n}")).status_code for n in range(6)] == [401] * 5 + [429]
    async with from_address(gateway_app, "203.0.113.9") as partner:
        assert (await ask(partner, "acme-erp", "right")).status_code == 200


async def test_guessing_spread_over_many_addresses_is_bounded_for_the_client(gateway_app: Any) -> None:
    for n in range(20):
        async with from_address(gateway_app, f"198.51.100.{n}") as guesser:
            assert [(await ask(guesser, "acme-erp", f"guess-{n}-{m}")).status_code for m in range(5)] == [401] * 5
    async with from_address(gateway_app, "203.0.113.9") as partner:
        locked = await ask(partner, "acme-erp", "right")
    assert locked.status_code == 429 and "client" in locked.json()["detail"]


async def test_a_partners_workers_asking_at_once_all_get_their_tokens(gateway: httpx.AsyncClient) -> None:
    answers = await asyncio.gather(*(ask(gateway, "acme-erp", "right") for _ in range(12)))
    assert [answer.status_code for answer in answers] == [200] * 12


async def test_a_partner_keeps_its_address_while_guessing_spreads_over_many(gateway_app: Any) -> None:
    async with from_address(gateway_app, "203.0.113.9") as partner:
        assert (await ask(partner, "acme-erp", "right")).status_code == 200
        for n in range(20):
            async with from_address(gateway_app, f"198.51.100.{n}") as guesser:
                assert {(await ask(guesser, "acme-erp", f"guess-{n}-{m}")).status_code for m in range(5)} == {401}
        # The client id has failed 100 times: a new address waits, the partner's own does not.
        async with from_address(gateway_app, "203.0.113.77") as elsewhere:
            assert (await ask(elsewhere, "acme-erp", "right")).status_code == 429
        assert (await ask(partner, "acme-erp", "right")).status_code == 200


async def test_an_ipv6_host_counts_as_its_64(gateway_app: Any) -> None:
    statuses = []
    for n in range(6):
        async with from_address(gateway_app, f"2001:db8:1:2::{n + 1:x}") as guesser:
            statuses.append((await ask(guesser, "acme-erp", f"guess-{n}")).status_code)
    assert statuses == [401] * 5 + [429]


async def test_a_token_request_is_a_few_short_fields(gateway: httpx.AsyncClient) -> None:
    huge = {"grant_type": "client_credentials", "client_id": "acme-erp", "client_secret": "x" * 10_000}
    assert (await gateway.post("/oauth/token", data=huge)).status_code == 413
    long_id = {"grant_type": "client_credentials", "client_id": "a" * 129, "client_secret": "right"}
    assert (await gateway.post("/oauth/token", data=long_id)).status_code == 401


async def test_failures_are_forgotten_once_their_window_passed(
    gateway_app: Any, gateway: httpx.AsyncClient, clock: FixedClock
) -> None:
    from datetime import timedelta

    for n in range(19):
        assert (await ask(gateway, f"made-up-{n}", "x")).status_code == 401
    throttle = inner(gateway_app).state.failed_logins
    held = len(throttle)
    assert held >= 19 * 2
    clock.advance(timedelta(seconds=61))
    assert (await ask(gateway, "made-up-last", "x")).status_code == 401
    assert len(throttle) == 3  # the last attempt's own three counters
