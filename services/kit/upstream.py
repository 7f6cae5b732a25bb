"""Calling another service over HTTP: one shared client per upstream, failures mapped to problems."""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx

from services.kit.errors import UpstreamInvalid, UpstreamTimeout, UpstreamUnavailable

MAX_UPSTREAM_BODY = 4 * 1024 * 1024


# uvicorn closes a connection idle for 5 s; a client that keeps it longer may send a request on it just as
# the server closes it, and that request fails (httpx does not resend it). The client lets go first.
KEEPALIVE_SECONDS = 4.0


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every client of the process: each new one loads the CA bundle (0.3 s of start-up)."""
    return httpx.create_ssl_context()


def upstream_client(
    base_url: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 10.0,
    max_connections: int = 16,
) -> httpx.AsyncClient:
    """A keep-alive client for one upstream, created once at start-up.

    The pool is kept small on purpose: httpcore walks every pooled connection (a readability check each,
    and a count of all of them per idle one) whenever a request takes or gives one back.
    """
    return httpx.AsyncClient(
        base_url=base_url,
        transport=transport,
        timeout=httpx.Timeout(timeout, connect=2.0),
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=KEEPALIVE_SECONDS,
        ),
        verify=tls_context(),
    )


class Upstream:
    """A named upstream service; answers are JSON or a problem raised as ours."""

    def __init__(self, name: str, client: httpx.AsyncClient) -> None:
        self.name = name
        self.client = client

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        try:
            response = await self.client.request(method, path, headers=headers, **kwargs)
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
