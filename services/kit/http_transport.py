"""HTTP between the suite's processes on aiohttp's connection pool, behind httpx's transport interface.

httpx's own pool (httpcore) walks every pooled connection, checks each for readability and builds its
request in pure Python: 1.3 to 3 ms of CPU a call on the benchmark machine, where aiohttp's pool and C parser
take 0.4 to 0.6 ms. Callers keep httpx's requests, responses and exceptions; only the sending changes.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import aiohttp
import httpx
import yarl

CHUNK = 64 * 1024


@contextmanager
def httpx_errors(request: httpx.Request) -> Iterator[None]:
    """aiohttp's failures as the httpx exceptions the callers already map to problems."""
    try:
        yield
    except aiohttp.ConnectionTimeoutError as exc:  # no connection within the connect (or pool) timeout
        raise httpx.ConnectTimeout(str(exc) or "connect timed out", request=request) from exc
    except (aiohttp.SocketTimeoutError, TimeoutError) as exc:
        raise httpx.ReadTimeout(str(exc) or "read timed out", request=request) from exc
    except aiohttp.ClientConnectorError as exc:  # refused, unreachable, name unknown
        raise httpx.ConnectError(str(exc), request=request) from exc
    except aiohttp.ServerDisconnectedError as exc:
        raise httpx.RemoteProtocolError(str(exc) or "server disconnected", request=request) from exc
    except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError) as exc:  # reset, closed, cannot send
        raise httpx.ReadError(str(exc), request=request) from exc
    except aiohttp.ClientResponseError as exc:  # a malformed status line or headers
        raise httpx.RemoteProtocolError(str(exc), request=request) from exc
    except aiohttp.ClientError as exc:
        raise httpx.TransportError(str(exc), request=request) from exc


class _Body(httpx.AsyncByteStream):
    """The response's body as it arrives; closing it gives the connection back to the pool."""

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with httpx_errors(self._request):
            async for chunk in self._response.content.iter_chunked(CHUNK):
                yield chunk

    async def aclose(self) -> None:
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """One pool of keep-alive connections, opened in the running event loop at the first request."""

    def __init__(self, *, max_connections: int, keepalive_seconds: float, ssl_context: ssl.SSLContext) -> None:
        self._max_connections = max_connections
        self._keepalive_seconds = keepalive_seconds
        self._ssl_context = ssl_context
        self._session: aiohttp.ClientSession | None = None

    def _opened(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                limit_per_host=self._max_connections,
                keepalive_timeout=self._keepalive_seconds,
                ssl=self._ssl_context,
                use_dns_cache=False,  # a restarted container's new address is seen at the next connection
            )
            # httpx has written every header already (Host, Accept, User-Agent, Content-Length): aiohttp adds none.
            session = aiohttp.ClientSession(
                connector=connector,
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
                auto_decompress=False,  # httpx decodes a Content-Encoding as it always did
                cookie_jar=aiohttp.DummyCookieJar(),
            )
            # aiohttp sends a PUT or DELETE again when its connection broke, even after the upstream may have acted
            # on it; httpx never did, and a caller's retry goes through its idempotency key instead.
            if hasattr(session, "_retry_connection"):
                session._retry_connection = False
            self._session = session
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        limits = aiohttp.ClientTimeout(
            total=None,
            connect=timeout.get("pool"),
            sock_connect=timeout.get("connect"),
            sock_read=timeout.get("read"),
        )
        # aiohttp has no write timeout: sending the body and waiting for the answer's head share httpx's write
        # and read budgets, so an upstream that stops reading a large body times out as it did.
        write, read = timeout.get("write"), timeout.get("read")
        deadline = write + read if write is not None and read is not None else None
        content = await request.aread()
        # The body is sent whole: an upstream asked to say "100 Continue" first would hold the call with no timeout.
        headers = [(name, value) for name, value in request.headers.multi_items() if name.lower() != "expect"]
        with httpx_errors(request):
            async with asyncio.timeout(deadline):
                response = await self._opened().request(
                    request.method,
                    yarl.URL(str(request.url), encoded=True),  # as the caller wrote it: no second quoting
                    headers=headers,
                    data=content or None,
                    allow_redirects=False,
                    timeout=limits,
                )
        return httpx.Response(
            status_code=response.status,
            headers=list(response.raw_headers),
            stream=_Body(response, request),
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode()},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
            # aiohttp closes its sockets on the next turn of the loop: give it that turn before the loop ends.
            await asyncio.sleep(0)
