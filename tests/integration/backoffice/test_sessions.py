"""The back office's sessions in process: the cookie a deployment sets, idle and absolute timeouts, logout."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from backoffice.config import BackofficeSettings
from backoffice.main import create_app
from backoffice.users import entry
from services.kit.clock import FixedClock
from tests.support import running

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backoffice") / "people.json"
    path.write_text(json.dumps([entry("marc.petit", "Marc Petit", "underwriter", "correct horse")]))
    return path


async def client_of(settings: BackofficeSettings, clock: FixedClock) -> AsyncIterator[httpx.AsyncClient]:
    # Nothing here reaches the gateway: a session is opened and closed by the back office alone.
    app = create_app(settings, clock)
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://backoffice.example") as client:
            yield client


async def log_in(client: httpx.AsyncClient, password: str = "correct horse") -> httpx.Response:
    login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', (await client.get("/login")).text)
    assert login_csrf
    form = {"login": "marc.petit", "password": password, "login_csrf": login_csrf[1], "next": "/debtors"}
    return await client.post("/login", data=form)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


async def test_outside_local_the_session_cookie_is_secure_and_host_only(users_file: Path, clock: FixedClock) -> None:
    settings = BackofficeSettings(users_file=users_file, client_secret="unused")
    async for client in client_of(settings, clock):
        answer = await log_in(client)
        assert answer.status_code == 303 and answer.headers["location"] == "/debtors"
        cookie = next(
            value for value in answer.headers.get_list("set-cookie") if value.startswith("__Host-backoffice=")
        )
        for attribute in ("Secure", "HttpOnly", "SameSite=strict", "Path=/"):
            assert attribute in cookie
        assert "Domain" not in cookie
        page = await client.get("/login")
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"


async def test_a_session_idle_too_long_or_too_old_ends(users_file: Path, clock: FixedClock) -> None:
    settings = BackofficeSettings(
        users_file=users_file, client_secret="unused", secure_cookies=False, idle_timeout_minutes=30, session_hours=2
    )
    async for client in client_of(settings, clock):
        assert (await log_in(client)).status_code == 303
        sessions = client._transport.app.state.sessions  # type: ignore[attr-defined]
        session_id = client.cookies["backoffice"]
        for minutes in (29, 58, 87, 116):  # used every 29 minutes: kept, until two hours after login
            clock.set(START + timedelta(minutes=minutes))
            assert sessions.get(session_id, now=clock.now()) is not None
        clock.set(START + timedelta(minutes=121))
        assert sessions.get(session_id, now=clock.now()) is None
        assert (await log_in(client)).status_code == 303
        clock.set(clock.now() + timedelta(minutes=31))
        idle = await client.get("/debtors")
        assert idle.status_code == 303 and idle.headers["location"] == "/login?next=/debtors"


async def test_a_wrong_password_opens_no_session(users_file: Path, clock: FixedClock) -> None:
    settings = BackofficeSettings(users_file=users_file, client_secret="unused", secure_cookies=False)
    async for client in client_of(settings, clock):
        refused = await log_in(client, "Tr0ub4dor&3")
        assert refused.status_code == 401 and "Wrong login or password." in refused.text
        assert "backoffice" not in client.cookies
        assert len(client._transport.app.state.sessions) == 0  # type: ignore[attr-defined]
