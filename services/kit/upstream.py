"""Calling another service over HTTP: one shared client per upstream, failures mapped to problems."""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx

from services.kit.errors import UpstreamInvalid, UpstreamTimeout, UpstreamUnavailable
from services.kit.http_transport import AiohttpTransport

MAX_UPSTREAM_BODY = 4 * 1024 * 1024


# uvicorn closes a connection idle for 5 s; a client that keeps it longer may send a request on it just as
# the server closes it, and that request fails (httpx does not resend it). The client lets go first.
KEEPALIVE_SECONDS = 4.0


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every client of the process: each new one loads the CA bundle (0.3 s of start-up)."""
    return httpx.create_ssl_context()


def upstream_transport(*, max_connections: int = 16) -> httpx.AsyncBaseTransport:
    """One upstream's connection pool (aiohttp's), created once at start-up."""
    return AiohttpTransport(
        max_connections=max_connections, keepalive_seconds=KEEPALIVE_SECONDS, ssl_context=tls_context()
    )


def upstream_client(
    base_url: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 10.0,
    connect_timeout: float = 2.0,
    max_connections: int = 16,
) -> httpx.AsyncClient:
    """A keep-alive client for one upstream, on its own pool unless given one."""
    return httpx.AsyncClient(
        base_url=base_url,
        transport=transport or upstream_transport(max_connections=max_connections),
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
    )


class Upstream:
    """A named upstream service; answers are JSON or a problem raised as ours.

    Requests are built by the client and handed to its transport (the same pool): the client's own sending
    (redirects, auth, cookie jar) does nothing for a call between services and cost CPU on every one.
    """

    def __init__(self, name: str, client: httpx.AsyncClient, transport: httpx.AsyncBaseTransport) -> None:
        self.name = name
        self.client = client
        self.transport = transport

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        request = self.client.build_request(method, path, headers=headers, **kwargs)
        try:
            response = await self.transport.handle_async_request(request)
            try:
                await response.aread()
            finally:
                await response.aclose()
        except httpx.TimeoutException as exc:
            if isinstance(exc, httpx.ConnectTimeout):
                raise UpstreamUnavailable(f"The {self.name} service is unreachable.") from exc
            raise UpstreamTimeout(f"The {self.name} service did not answer in time.") from exc
        except httpx.TransportError as exc:
            raise UpstreamUnavailable(f"The {self.name} service is unavailable.") from exc
        if response.status_code >= 500:
            raise UpstreamUnavailable(f"The {self.name} service failed ({response.status_code}).")
        if len(response.content) > MAX_UPSTREAM_BODY:
            raise UpstreamInvalid(f"The {self.name} service answered with an oversized body.")
        return response

    @staticmethod
    def json_of(response: httpx.Response, name: str) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise UpstreamInvalid(f"The {name} service answered with invalid JSON.") from exc


def forwarded_auth(authorization: str | None) -> dict[str, str]:
    """Calls made on behalf of a caller carry the caller's own token."""
    return {"Authorization": authorization} if authorization else {}
