"""The suite's four real processes, on free loopback ports and fresh databases, for one test module."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from deploy.local import DEV_CLIENTS, SERVICES, Suite
from tests.shared.ports import free_ports
from tests.support import Databases


@contextmanager
def suite_running(
    databases: Databases,
    workdir: Path,
    extra_env: Mapping[str, str] | None = None,
    *,
    sandbox: bool = False,
    backoffice: bool = False,
) -> Iterator[Suite]:
    """The suite on real processes; in sandbox mode (as `make run`) its business date is an admin's to move; the
    back office's web application beside it when asked."""
    suite = Suite(
        ports=free_ports((*SERVICES, "gateway", *(["backoffice"] if backoffice else []))),
        database_urls={service: databases.fresh(service) for service in SERVICES},
        keys_dir=workdir / "keys",
        clients_file=DEV_CLIENTS,
        log_dir=workdir,
        extra_env=dict(extra_env or {}),
        sandbox_offset_days=0 if sandbox else None,
    )
    suite.start()
    try:
        # Generous: CI runs the SQLite and PostgreSQL suites side by side, each starting processes of its own.
        suite.wait_ready(timeout=60)
        yield suite
    finally:
        suite.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """The machine's Chromium, headless (Playwright's own download is not reachable): `make test` installs Debian's.
    Without one the browser tests fail saying how to get it: `make test` installs it, so nothing is skipped.

    Per module, never longer: Playwright's sync API holds an event loop in the main thread while it runs, and the
    asynchronous tests after it need that thread free."""
    executable = shutil.which(os.environ.get("CHROMIUM", "chromium"))
    if executable is None:
        reason = "no Chromium: `make browser` installs Debian's, or set CHROMIUM to a Chromium or Chrome"
        pytest.fail(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def gateway(suite: Suite) -> Iterator[httpx.Client]:
    """A client of the module's suite's gateway (the module names its `suite`)."""
    with httpx.Client(base_url=suite.url("gateway"), timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def people(gateway: httpx.Client) -> dict[str, dict[str, str]]:
    """Bearer headers of the demo clients, by role."""
    return {role: token(gateway, f"demo-{role}") for role in ("insured", "insured-beta", "underwriter", "handler")}


def token(gateway: httpx.Client, client_id: str) -> dict[str, str]:
    """A bearer token of a demo client (secret: <client id>-secret)."""
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": f"{client_id}-secret"}
    response = gateway.post("/oauth/token", data=form)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
