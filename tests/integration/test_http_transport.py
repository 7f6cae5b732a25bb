"""The calls between processes on aiohttp's pool keep httpx's answers and failures, against real sockets."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from services.kit.errors import UpstreamTimeout, UpstreamUnavailable
from services.kit.upstream import Upstream, upstream_client, upstream_transport
from tests.shared.ports import free_ports

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _request_of(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0
    )
    return head, await reader.readexactly(length)


class Server:
    """A loopback HTTP/1.1 server whose every connection runs one handler; it counts connections."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[tuple[bytes, bytes]] = []

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.handler(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[tuple[Server, Upstream]]]]:
    servers: list[asyncio.Server] = []
    upstreams: list[Upstream] = []

    async def start(handler: Handler) -> tuple[Server, Upstream]:
        server = Server(handler)
        listening = await asyncio.start_server(server._serve, "127.0.0.1", 0)
        servers.append(listening)
        port = listening.sockets[0].getsockname()[1]
        transport = upstream_transport(max_connections=4)
        upstream = Upstream(
            "policies", upstream_client(f"http://127.0.0.1:{port}", transport=transport, timeout=1.0), transport
        )
        upstreams.append(upstream)
        return server, upstream

    yield start
    for upstream in upstreams:
        await upstream.client.aclose()
    for listening in servers:
        listening.close()


def _answer_once(raw: bytes, *, then_wait: float = 0.0) -> Handler:
    """Read one request, write these bytes as the answer, then wait (a server that says no more)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request_of(reader)
        writer.write(raw)
        await writer.drain()
        await asyncio.sleep(then_wait)

    return handler


def _answering(server_box: list[Server], body: bytes = b'{"ok": true}') -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            server_box[0].requests.append(await _request_of(reader))
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-twice: a\r\nx-twice: b\r\n"
                b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            await writer.drain()

    return handler


async def test_calls_share_one_kept_alive_connection_and_carry_body_and_headers(serve) -> None:
    box: list[Server] = []
    server, upstream = await serve(_answering(box))
    box.append(server)
    for number in range(5):
        response = await upstream.request("POST", "/v1/check?x=%2F", json={"n": number}, headers={"X-Request-Id": "r1"})
        assert response.status_code == 200
        assert Upstream.json_of(response, "policies") == {"ok": True}
        assert response.headers.get_list("x-twice") == ["a", "b"]
    assert server.connections == 1
    head, body = server.requests[-1]
    assert head.startswith(b"POST /v1/check?x=%2F HTTP/1.1\r\n")  # the path as the caller wrote it, not quoted again
    assert b"\r\nx-request-id: r1\r\n" in head.lower()
    assert body == b'{"n":4}'


async def test_refused_connection_is_an_unavailable_upstream() -> None:
    (port,) = free_ports(("nobody",)).values()
    transport = upstream_transport()
    upstream = Upstream("debtors", upstream_client(f"http://127.0.0.1:{port}", transport=transport), transport)
    try:
        with pytest.raises(UpstreamUnavailable, match="debtors"):
            await upstream.request("GET", "/readyz")
    finally:
        await upstream.client.aclose()


async def test_an_upstream_that_does_not_answer_in_time_is_a_timeout(serve) -> None:
    _, upstream = await serve(_answer_once(b"", then_wait=5))
    with pytest.raises(UpstreamTimeout):
        await upstream.request("GET", "/slow")


async def test_a_connection_closed_mid_answer_is_an_unavailable_upstream(serve) -> None:
    _, upstream = await serve(_answer_once(b'HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"half":'))
    with pytest.raises(UpstreamUnavailable):
        await upstream.request("GET", "/cut")


async def test_a_closed_kept_alive_connection_is_not_reused(serve) -> None:
    server, upstream = await serve(_answer_once(b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}"))
    for _ in range(3):
        assert (await upstream.request("GET", "/x")).status_code == 200
    assert server.connections == 3


async def test_a_compressed_answer_is_decoded_as_before(serve) -> None:
    packed = gzip.compress(b'{"packed": 1}')
    head = f"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: {len(packed)}\r\n\r\n".encode()
    _, upstream = await serve(_answer_once(head + packed))
    assert Upstream.json_of(await upstream.request("GET", "/z"), "policies") == {"packed": 1}


async def test_a_malformed_status_line_is_an_unavailable_upstream(serve) -> None:
    _, upstream = await serve(_answer_once(b"NOT HTTP AT ALL\r\n\r\n"))
    with pytest.raises(UpstreamUnavailable):
        await upstream.request("GET", "/g")


async def test_a_caller_asking_for_100_continue_is_answered_without_it(serve) -> None:
    box: list[Server] = []
    server, upstream = await serve(_answering(box))  # never says "100 Continue"
    box.append(server)
    response = await upstream.request("POST", "/v1/x", content=b'{"n":1}', headers={"Expect": "100-continue"})
    assert response.status_code == 200
    head, body = server.requests[-1]
    assert b"expect:" not in head.lower()
    assert body == b'{"n":1}'


async def test_a_body_the_upstream_stops_reading_times_out(serve) -> None:
    async def deaf(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(10)  # reads nothing: the body fills the socket's buffers and the sender waits

    _, upstream = await serve(deaf)
    with pytest.raises(UpstreamTimeout):
        await asyncio.wait_for(upstream.request("POST", "/v1/big", content=b"x" * (32 * 1024 * 1024)), 8)
