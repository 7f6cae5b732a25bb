"""Benchmark plumbing: databases, processes, load, percentiles, the results table."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import Table
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from deploy.keys import ensure_keys
from services.kit.auth import Principal, Role, TokenIssuer
from services.kit.bulk import driver_rows, insert_many
from services.kit.settings import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "bench" / "results"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class Figure:
    scenario: str
    database: str
    metric: str
    value: float
    unit: str
    target: str
    passed: bool | None
    note: str = ""


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)
        verdict = {True: "PASS", False: "FAIL", None: "info"}[figure.passed]
        line = f"{figure.scenario} [{figure.database}] {figure.metric}: {figure.value:,.3f} {figure.unit}"
        print(f"  {line} (target {figure.target}) {verdict}", flush=True)

    @property
    def failed(self) -> list[Figure]:
        return [figure for figure in self.figures if figure.passed is False]

    def write(self) -> Path:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        machine = f"{platform.machine()}, {_cores()} cores, Python {platform.python_version()}"
        lines = [
            f"# credit-claims benchmark {stamp}",
            "",
            f"Machine: {machine}",
            "",
            "| scenario | db | metric | value | target | result |",
            "|---|---|---|---|---|---|",
        ]
        for f in self.figures:
            verdict = {True: "PASS", False: "FAIL", None: "—"}[f.passed]
            lines.append(
                f"| {f.scenario} | {f.database} | {f.metric} | {f.value:,.3f} {f.unit} | {f.target} | {verdict} |"
            )
        markdown = RESULTS / f"{stamp}.md"
        markdown.write_text("\n".join(lines) + "\n")
        (RESULTS / f"{stamp}.json").write_text(
            json.dumps({"machine": machine, "figures": [asdict(f) for f in self.figures]}, indent=1)
        )
        print("\n" + "\n".join(lines[4:]))
        return markdown


def _cores() -> int:
    return os.cpu_count() or 0


class BenchDatabases:
    """Fresh databases for one run, dropped at the end."""

    def __init__(self, backend: str, workdir: Path) -> None:
        self.backend = backend
        self.workdir = workdir
        self.created: list[str] = []
        self.run_id = uuid.uuid4().hex[:6]

    async def new(self, label: str) -> str:
        name = f"ccbench_{self.run_id}_{label}"
        if self.backend == "sqlite":
            return f"sqlite+aiosqlite:///{self.workdir / (name + '.db')}"
        conn = await asyncpg.connect(POSTGRES_URL)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.created.append(name)
        return make_url(POSTGRES_URL).set(drivername="postgresql+asyncpg", database=name).render_as_string(False)

    async def drop(self) -> None:
        if not self.created:
            return
        conn = await asyncpg.connect(POSTGRES_URL)
        try:
            for name in self.created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def bulk_insert(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """A load's rows at the driver: COPY on PostgreSQL, one executemany on SQLite (values as the ORM stores them)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        names, values = driver_rows(table, conn.dialect, rows)
        raw = await conn.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(table.name, records=values, columns=names)
    else:
        await insert_many(conn, table, rows)


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def latencies(
    call: Callable[[int], Awaitable[httpx.Response]], *, requests: int, concurrency: int
) -> tuple[list[float], int]:
    """Latency of each call (seconds) with `concurrency` in flight; and how many did not answer 2xx."""
    samples: list[float] = []
    errors = 0
    counter = iter(range(requests))

    async def worker() -> None:
        nonlocal errors
        for index in counter:
            started = time.perf_counter()
            response = await call(index)
            samples.append(time.perf_counter() - started)
            if response.status_code >= 300:
                errors += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return samples, errors


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def start_process(target: str, *, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """One single-worker uvicorn process, access log off."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            target,
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 30, path: str = "/readyz") -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        try:
            if httpx.get(f"{url}{path}", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} not ready")


def stop(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def migrate(service: str, url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "alembic", "-n", service, "-x", f"url={url}", "upgrade", "head"],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )


@dataclass(frozen=True)
class WrkRun:
    """What one wrk run printed: throughput, latency percentiles, requests, and the answers that failed."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def _milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(output: str) -> WrkRun:
    """Read `wrk --latency` output; non-2xx answers and socket errors count as errors."""
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkRun(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        p50_ms=_milliseconds(percentiles["50"]),
        p99_ms=_milliseconds(percentiles["99"]),
        requests=int(re.search(r"(\d+) requests in", output).group(1)),  # type: ignore[union-attr]
        errors=(int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, sockets.groups())) if sockets else 0),
    )


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def bearer(workdir: Path, role: Role) -> tuple[Path, dict[str, str]]:
    """The public key a service checks tokens with, and the headers of a two-hour token with this role."""
    private_key, public_key = ensure_keys(workdir / "keys")
    issuer = TokenIssuer(
        private_key.read_text(), issuer="credit-claims", audience="credit-claims", ttl=timedelta(hours=2)
    )
    token = issuer.issue(Principal(client_id="bench", roles=frozenset({role})), now=datetime.now(UTC))
    return public_key, {"Authorization": f"Bearer {token}"}


# The machine the CPU targets are written for: `python3 -m timeit "sum(range(10000))"` reads 110 µs there.
REFERENCE_MICROSECONDS = 110.0


def calibration(times: int = 3) -> float:
    """This machine's `sum(range(10000))` in µs, measured now: the best of `times` timeit runs (each a best of 5)."""
    readings = []
    for _ in range(times):
        output = subprocess.run(
            [sys.executable, "-m", "timeit", "sum(range(10000))"], capture_output=True, text=True, check=True
        ).stdout
        found = re.search(r"best of \d+: ([\d.]+) (nsec|usec|msec|sec) per loop", output)
        if found is None:
            raise RuntimeError(f"timeit printed {output!r}")
        value, unit = found.groups()
        readings.append(float(value) * {"nsec": 0.001, "usec": 1.0, "msec": 1000.0, "sec": 1_000_000.0}[unit])
    return min(readings)


def rss_megabytes(pid: int) -> float:
    """The process's resident memory now."""
    with open(f"/proc/{pid}/status") as status:
        kilobytes = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return kilobytes / 1024
