"""The back office's worklist page over 10,000 waiting claims: the page a claims handler opens first, rendered by
the back office from the gateway's API (token exchange, gateway, claims), at the BFF within 300 ms."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path

import httpx

from backoffice.users import entry
from bench.harness import Figure, Report, cpu_seconds, latencies, percentile, start_process, stop, wait_ready
from deploy.keys import ensure_keys
from services.kit.secrets import hash_secret
from tests.shared.ports import free_port

TARGET_MS = 300.0
PERSON = "bench.handler"


def _files(workdir: Path, client_secret: str) -> tuple[Path, Path]:
    clients = workdir / "bo-clients.json"
    backoffice = {"client_id": "backoffice", "roles": [], "acts_for": ["claims_handler"]}
    clients.write_text(json.dumps([{**backoffice, "secret_hash": hash_secret(client_secret)}]))
    people = workdir / "bo-people.json"
    people.write_text(json.dumps([entry(PERSON, "Bench Handler", "claims_handler", f"{PERSON}-password")]))
    return clients, people


def _logged_in(base: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=60)
    with httpx.Client(base_url=base, timeout=60) as plain:
        login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', plain.get("/login").text)
        assert login_csrf
        form = {"login": PERSON, "password": f"{PERSON}-password", "login_csrf": login_csrf[1]}
        answer = plain.post("/login", data=form)
        if answer.status_code != 303:
            raise RuntimeError(f"bench login refused: {answer.status_code}")
        client.cookies = plain.cookies
    return client


async def measure(report: Report, *, backend: str, workdir: Path, claims_url: str) -> None:
    """Gateway and back office started beside the claims process; the worklist page read as a handler."""
    client_secret = secrets.token_urlsafe(24)
    clients, people = _files(workdir, client_secret)
    private_key, _ = ensure_keys(workdir / "keys")
    gateway_port, backoffice_port = free_port(), free_port()
    gateway = start_process(
        "gateway.main:create_app",
        port=gateway_port,
        env={
            "GATEWAY_CLAIMS_URL": claims_url,
            "GATEWAY_JWT_PRIVATE_KEY_FILE": str(private_key),
            "GATEWAY_CLIENTS_FILE": str(clients),
        },
        log=workdir / "gateway-bo.log",
    )
    backoffice = start_process(
        "backoffice.main:create_app",
        port=backoffice_port,
        env={
            "BACKOFFICE_GATEWAY_URL": f"http://127.0.0.1:{gateway_port}",
            "BACKOFFICE_USERS_FILE": str(people),
            "BACKOFFICE_CLIENT_SECRET": client_secret,
            "BACKOFFICE_SECURE_COOKIES": "false",
        },
        log=workdir / "backoffice.log",
    )
    base = f"http://127.0.0.1:{backoffice_port}"
    try:
        # Only claims runs here: the gateway is not "ready" without the others, its /healthz is enough.
        wait_ready(base, backoffice, path="/healthz")
        wait_ready(f"http://127.0.0.1:{gateway_port}", gateway, path="/healthz")
        async with _logged_in(base) as client:
            await _pages(report, client, backend=backend, pid=backoffice.pid)
    finally:
        stop([backoffice, gateway])


async def _pages(report: Report, client: httpx.AsyncClient, *, backend: str, pid: int) -> None:
    async def worklist(index: int) -> httpx.Response:
        params = {"within_days": "365"} if index % 2 else {"within_days": "365", "status": "open"}
        answer = await client.get("/", params=params)
        if answer.status_code != 200 or "/claims/" not in answer.text:
            raise RuntimeError(f"the worklist page answered {answer.status_code}")
        return answer

    await worklist(0)  # the token exchange, once per session
    cpu_before = cpu_seconds(pid)
    samples, errors = await latencies(worklist, requests=200, concurrency=1)
    bff_cpu = (cpu_seconds(pid) - cpu_before) / len(samples) * 1000
    if errors:
        raise RuntimeError(f"{errors} failed worklist pages")
    p99 = percentile(samples, 0.99) * 1000
    note = "10,000 waiting claims; back office + gateway + claims, a page of 50"
    report.add(
        Figure(
            "backoffice",
            backend,
            "worklist page: p99 time at the BFF",
            p99,
            "ms",
            f"< {TARGET_MS:.0f}",
            p99 < TARGET_MS,
            note,
        )
    )
    report.add(Figure("backoffice", backend, "worklist page: BFF CPU per page", bff_cpu, "ms", "", None))
