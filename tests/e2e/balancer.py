"""A TCP round-robin balancer on a loopback port, as a Kubernetes Service spreads connections over its pods: each
new connection goes to the next copy that accepts it."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
from collections import Counter


class Balancer:
    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.turn = itertools.cycle(backends)
        self.served: Counter[int] = Counter()
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self.server: asyncio.Server | None = None

    def start(self) -> int:
        started = threading.Event()

        async def serve() -> None:
            self.server = await asyncio.start_server(self._connect, "127.0.0.1", 0)
            self.port = self.server.sockets[0].getsockname()[1]
            started.set()

        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(serve(), self.loop)
        started.wait(5)
        return self.port

    def stop(self) -> None:
        if self.server is not None:
            self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in self.backends:
            port = next(self.turn)
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                continue  # that copy is down: the next one
            self.served[port] += 1
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
            return
        writer.close()


async def _pipe(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
    try:
        while chunk := await source.read(65536):
            target.write(chunk)
            await target.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            target.close()
