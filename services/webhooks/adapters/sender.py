"""One attempt over HTTP: a POST of the signed body, no redirect followed, bounded by a timeout."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx


@dataclass(frozen=True, slots=True)
class Sent:
    status: int | None
    error: str | None
    latency_ms: int


async def non_public_address(url: str) -> str | None:
    """The first address this URL's host resolves to that is not public (loopback, private, link-local), if any:
    a name registered as public may point inside the suite's network since."""
    parts = urlsplit(url)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError:
        return None  # not resolvable: the attempt fails on its own, as a connection error
    for *_, address in found:
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global:
            return str(ip)
    return None


async def post(
    client: httpx.AsyncClient, url: str, *, headers: dict[str, str], body: bytes, public_only: bool = True
) -> Sent:
    """What the receiver answered (its status), or why there was no answer."""
    started = time.perf_counter()
    if public_only and (inside := await non_public_address(url)):
        return Sent(status=None, error=f"refused: the host resolves to {inside}, not a public address", latency_ms=0)
    try:
        response = await client.post(url, content=body, headers={**headers, "content-type": "application/json"})
        status, error = response.status_code, None
    except httpx.TimeoutException:
        status, error = None, "timed out"
    except httpx.HTTPError as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"[:500]
    return Sent(status=status, error=error, latency_ms=round((time.perf_counter() - started) * 1000))


def delivery_client(*, timeout: float) -> httpx.AsyncClient:
    """The one client of the delivery worker: its own pool, never the suite's upstream clients."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        headers={"user-agent": "credit-claims-webhooks/1"},
    )
