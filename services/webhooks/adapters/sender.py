"""One attempt over HTTP: a POST of the signed body, no redirect followed, bounded by one deadline in all.

Outside the sandbox the receiver's host name is resolved once, every address it gives is checked, and the
connection goes to that checked address (the name still in Host and in TLS's SNI): a name cannot pass the check
with a public address and then be connected to an address inside the suite's network (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

# Python counts these as global, yet they reach IPv4 addresses that may be private (NAT64, 6to4).
TRANSLATED = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("2002::/16"))


@dataclass(frozen=True, slots=True)
class Sent:
    status: int | None
    error: str | None
    latency_ms: int


@dataclass(frozen=True, slots=True)
class Target:
    """Where an attempt connects: the URL to request, and what keeps the receiver's name in the request."""

    url: str
    headers: dict[str, str]
    extensions: dict[str, str]


class Refused(Exception):
    """The receiver cannot be reached from here without leaving the public internet."""


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_global and not any(ip in network for network in TRANSLATED)


async def checked_target(url: str) -> Target:
    """The URL pinned to an address its host resolves to, every one of them public; else Refused."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:
        raise Refused(f"refused: {host} does not resolve ({type(exc).__name__})") from exc
    addresses = [str(address[0]) for *_, address in found]
    inside = next((address for address in addresses if not _public(address)), None)
    if inside is not None or not addresses:
        raise Refused(f"refused: {host} resolves to {inside}, not a public address")
    pinned = f"[{addresses[0]}]" if ":" in addresses[0] else addresses[0]
    netloc = f"{pinned}:{parts.port}" if parts.port else pinned
    return Target(
        url=urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")),
        headers={"host": parts.netloc.rsplit("@", 1)[-1]},
        extensions={"sni_hostname": host},
    )


async def post(
    client: httpx.AsyncClient,
    url: str,
    *,
    headers: dict[str, str],
    body: bytes,
    deadline: float,
    public_only: bool = True,
) -> Sent:
    """What the receiver answered (its status; its body is never read), or why there was no answer."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(deadline):
            target = await checked_target(url) if public_only else Target(url, {}, {})
            request = client.build_request(
                "POST",
                target.url,
                content=body,
                headers={**headers, **target.headers, "content-type": "application/json"},
                extensions=target.extensions,
            )
            response = await client.send(request, stream=True)
            await response.aclose()
        status, error = response.status_code, None
    except Refused as exc:
        status, error = None, str(exc)
    except (TimeoutError, httpx.TimeoutException):
        status, error = None, f"no answer within {deadline:g} s"
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
