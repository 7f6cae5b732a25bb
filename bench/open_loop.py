"""An open-loop load: requests sent at a fixed rate whatever the answers, latency counted from when each was due.

A closed loop (wrk's N connections) waits for an answer before it sends again, so a slow server is offered less
and its queueing hides (latency = connections ÷ rate). Here request i is due at start + i / rate and is sent then
on a connection of its own if need be; its latency runs from that due time, so a stall in the server, or in this
generator, counts against the figure rather than out of it.

Run as its own process (its CPU is not the suite's): `python -m bench.open_loop URL --rate R --seconds S
--bodies FILE [--header 'Name: value' ...]`, one JSON body per line of FILE, one line per request; it prints
one JSON object: sent, errors, p50_ms, p99_ms, max_ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import aiohttp
import uvloop

from bench.harness import percentile


async def offer(
    url: str, *, rate: float, seconds: float, bodies: list[bytes], headers: dict[str, str]
) -> dict[str, float]:
    """Send len(bodies) (at most rate times seconds) POSTs at a fixed rate; latency of each from its due time."""
    count = min(len(bodies), int(rate * seconds))
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=4.0)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=headers) as session:

        async def one(body: bytes, due: float) -> None:
            nonlocal errors
            try:
                async with session.post(url, data=body) as response:
                    await response.read()
                    if response.status >= 300:
                        errors += 1
            except (aiohttp.ClientError, TimeoutError):
                errors += 1
            latencies.append(time.perf_counter() - due)

        start = time.perf_counter() + 0.1
        tasks = []
        for index in range(count):
            due = start + index / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(bodies[index], due)))
        await asyncio.gather(*tasks)
    return {
        "sent": count,
        "errors": errors,
        "p50_ms": 1000 * percentile(latencies, 0.50),
        "p99_ms": 1000 * percentile(latencies, 0.99),
        "max_ms": 1000 * max(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--bodies", type=Path, required=True)
    parser.add_argument("--header", action="append", default=[])
    arguments = parser.parse_args()
    headers = dict(line.split(": ", 1) for line in arguments.header)
    bodies = [line.encode() for line in arguments.bodies.read_text().splitlines() if line]
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        result = runner.run(
            offer(arguments.url, rate=arguments.rate, seconds=arguments.seconds, bodies=bodies, headers=headers)
        )
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
