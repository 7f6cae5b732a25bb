"""The suite's four real processes, on free loopback ports and fresh databases, for one test module."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from deploy.local import DEV_CLIENTS, SERVICES, Suite
from tests.shared.ports import free_ports
from tests.support import Databases


@contextmanager
def suite_running(
    databases: Databases, workdir: Path, extra_env: Mapping[str, str] | None = None, *, sandbox: bool = False
) -> Iterator[Suite]:
    """The suite on real processes; in sandbox mode (as `make run`) its business date is an admin's to move."""
    suite = Suite(
        ports=free_ports((*SERVICES, "gateway")),
        database_urls={service: databases.fresh(service) for service in SERVICES},
        keys_dir=workdir / "keys",
        clients_file=DEV_CLIENTS,
        log_dir=workdir,
        extra_env=dict(extra_env or {}),
        sandbox_offset_days=0 if sandbox else None,
    )
    suite.start()
    try:
        suite.wait_ready(timeout=20)
        yield suite
    finally:
        suite.stop()


def token(gateway: httpx.Client, client_id: str) -> dict[str, str]:
    """A bearer token of a demo client (secret: <client id>-secret)."""
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": f"{client_id}-secret"}
    response = gateway.post("/oauth/token", data=form)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
