"""One attempt over HTTP: a POST of the signed body, no redirect followed, bounded by a timeout."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx


@dataclass(frozen=True, slots=True)
class Sent:
    status: int | None
    error: str | None
    latency_ms: int


async def post(client: httpx.AsyncClient, url: str, *, headers: dict[str, str], body: bytes) -> Sent:
    """What the receiver answered (its status), or why there was no answer."""
    started = time.perf_counter()
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
