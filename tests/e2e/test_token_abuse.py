"""Guessing at the real gateway's token endpoint: throttled, and the process does not grow."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deploy.local import Suite
from tests.e2e.conftest import suite_running, token
from tests.support import Databases

pytestmark = pytest.mark.e2e
ADDRESSES = 25  # loopback addresses 127.0.0.2…, a guesser on each: each may fail 20 times before it waits
ATTEMPTS = 40  # per guesser: 1,000 failed requests in all


@pytest.fixture(scope="module")
def suite(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    with suite_running(databases, tmp_path_factory.mktemp("suite-tokens")) as running:
        yield running


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])


async def guesses(url: str, address: int) -> list[int]:
    """One guesser on its own address, one guess after the other."""
    transport = httpx.AsyncHTTPTransport(local_address=f"127.0.0.{address}")
    statuses = []
    async with httpx.AsyncClient(base_url=url, transport=transport, timeout=120) as client:
        for n in range(ATTEMPTS):
            form = {"grant_type": "client_credentials", "client_id": f"guess-{address}-{n}", "client_secret": "x"}
            statuses.append((await client.post("/oauth/token", data=form)).status_code)
    return statuses


def test_a_thousand_failed_token_requests_are_throttled_and_leave_the_gateway_its_size(suite: Suite) -> None:
    gateway = suite.processes["gateway"].pid
    with httpx.Client(base_url=suite.url("gateway")) as client:
        token(client, "demo-handler")  # warm: pools and the first answers
    before = rss_kib(gateway)

    async def burst() -> list[int]:
        found = await asyncio.gather(*(guesses(suite.url("gateway"), 2 + n) for n in range(ADDRESSES)))
        return [status for statuses in found for status in statuses]

    statuses = Counter(asyncio.run(burst()))
    after = rss_kib(gateway)
    # Each guesser has its 20 failures checked (or is told to retry while the check queue is full), then waits.
    assert set(statuses) == {401, 429} and sum(statuses.values()) == ADDRESSES * ATTEMPTS
    assert ADDRESSES * 4 <= statuses[401] <= ADDRESSES * 20, statuses
    assert after - before <= 20 * 1024, f"RSS {before} -> {after} KiB"
    with httpx.Client(base_url=suite.url("gateway")) as client:
        assert token(client, "demo-underwriter")  # the suite's own clients are not locked out
