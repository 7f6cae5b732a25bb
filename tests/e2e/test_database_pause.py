"""PostgreSQL paused (SIGSTOP) under the real processes: requests fail cleanly in time, all resumes on SIGCONT."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from deploy.local import Suite
from tests.e2e.conftest import suite_running, token
from tests.shared.builders import policy_body
from tests.support import BACKEND, POSTGRES_URL, Databases

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(BACKEND != "postgresql", reason="SQLite is embedded: there is no database server to pause"),
]
DB_TIMEOUT = 2.0


@pytest.fixture(scope="module")
def suite(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    timeouts = {f"{service}_DB_TIMEOUT_SECONDS": str(DB_TIMEOUT) for service in ("POLICIES", "DEBTORS", "CLAIMS")}
    with suite_running(databases, tmp_path_factory.mktemp("suite-pause"), timeouts) as running:
        yield running


def server_processes(database_names: list[str]) -> list[int]:
    """The postmaster (new connections) and the backends serving the suite's databases (pooled connections)."""

    async def backends() -> list[int]:
        connection = await asyncpg.connect(POSTGRES_URL)
        try:
            rows = await connection.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[])", database_names
            )
        finally:
            await connection.close()
        return [row["pid"] for row in rows]

    pids = asyncio.run(backends())
    assert pids, "the suite holds no connection to pause"
    with open(f"/proc/{pids[0]}/stat") as stat:
        postmaster = int(stat.read().rsplit(")", 1)[1].split()[1])  # the parent process
    return [postmaster, *pids]


def test_a_paused_database_gives_503_in_time_and_the_suite_recovers_after_sigcont(suite: Suite) -> None:
    with httpx.Client(base_url=suite.url("gateway"), timeout=30) as gateway:
        underwriter = token(gateway, "demo-underwriter")
        assert gateway.get("/v1/policies", headers=underwriter).status_code == 200
        names = [make_url(url).database or "" for url in suite.database_urls.values()]
        paused = server_processes(names)

        def timed(method: str, path: str, **kwargs: object) -> tuple[httpx.Response, float]:
            started = time.monotonic()
            answer = gateway.request(method, path, headers=underwriter, **kwargs)  # type: ignore[arg-type]
            return answer, time.monotonic() - started

        for pid in paused:
            os.kill(pid, signal.SIGSTOP)
        try:
            with ThreadPoolExecutor(max_workers=4) as pool:
                reads = [pool.submit(timed, "GET", "/v1/policies") for _ in range(3)]
                write = pool.submit(timed, "POST", "/v1/policies", json=policy_body(number="PAUSED-1"))
                answers = [future.result() for future in [*reads, write]]
        finally:
            for pid in paused:
                os.kill(pid, signal.SIGCONT)

        for answer, took in answers:
            assert answer.status_code == 503, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["code"] == "DATABASE_UNAVAILABLE" and answer.headers["Retry-After"]
            assert took < 2 * DB_TIMEOUT + 1  # a stale pooled connection costs one timeout, a new one another

        # No restart: the same processes answer again once the server runs.
        deadline = time.monotonic() + 20
        while gateway.get("/v1/policies", headers=underwriter).status_code != 200:
            assert time.monotonic() < deadline, "the suite did not recover after SIGCONT"
            time.sleep(0.2)
        created = gateway.post("/v1/policies", json=policy_body(number="RESUMED-1"), headers=underwriter)
        assert created.status_code == 201, created.text
        numbers = [item["number"] for item in gateway.get("/v1/policies", headers=underwriter).json()["items"]]
        assert "RESUMED-1" in numbers and "PAUSED-1" not in numbers
        assert all(process.poll() is None for process in suite.processes.values())
