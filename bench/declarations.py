"""Declaring a default end to end (gateway → claims → policies + debtors → commit), and the suite's start-up.

wrk posts declarations at 16 connections for 60 s, twice, each with invoice numbers and a buyer of its own (a
Lua script), so that every request opens a claim: the second run gives the sustained rate and each process's
CPU per declaration (raw, and scaled to a machine whose `sum(range(10000))` takes 110 µs, measured in the same
run), and each process's memory is read after both. Then an open loop offers 100 declarations a second for
60 s (bench/open_loop.py) for the latency. Start-up is the time from nothing (fresh SQLite files) to every
/readyz green, as `make run` does it after the install.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from bench.debtors import ids_from, siren_of
from bench.harness import (
    REFERENCE_MICROSECONDS,
    RESULTS,
    BenchDatabases,
    Figure,
    Report,
    WrkRun,
    bulk_insert,
    calibration,
    cpu_seconds,
    parse_wrk,
    rss_megabytes,
)
from deploy.local import DEV_CLIENTS, SERVICES, Suite
from services.debtors.adapters.tables import Debtor
from services.kit.db import async_url
from services.kit.settings import PROJECT_ROOT
from services.kit.types import new_id
from tests.shared.builders import policy_body
from tests.shared.metrics import by_outcome
from tests.shared.ports import free_ports

CONNECTIONS = 16
SECONDS = 60
STARTS = 3
THREADS = 2
BUYERS_PER_THREAD = 15_000  # more than a thread declares in a run: one live claim per buyer and policy
CLOSED_RUNS = 2  # the second is measured; memory after it is compared with memory after the first
OPEN_RATE = 100  # declarations a second offered whatever the answers (bench/open_loop.py)
DRAIN_SECONDS = 300  # the outboxes must empty within this after a run: undelivered events are unpaid CPU
RSS_GROWTH_MB = 5.0  # "flat": what a process may grow from the first run's end to the second's
SCENARIO = f"declarations c={CONNECTIONS} {SECONDS}s"
# Each request declares on a buyer no other request used, with invoice numbers of its own: thread id and a counter.
WRK_SCRIPT = """
local counter = 0
local thread_id = 0
function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end
function request()
  counter = counter + 1
  local number = tid .. "-" .. counter
  local buyer = buyers[(tid - 1) * per_thread + counter]
  local body = string.gsub(string.gsub(wrk.body, "INVOICE", number), "BUYER", buyer)
  return wrk.format("POST", nil, nil, body)
end
"""


async def load_buyers(url: str, count: int) -> list[uuid.UUID]:
    """Buyers written straight to the debtors database (the API would take minutes for as many)."""
    now = datetime.now(UTC)
    ids = ids_from(new_id())
    rows = []
    for index in range(count):
        siren = siren_of(index)
        rows.append(
            {
                "id": next(ids),
                "legal_name": f"Buyer {index}",
                "name_key": f"buyer {index}",
                "country": "FR",
                "national_id": siren,
                "siren": siren,
                "created_at": now,
                "created_by": "bench",
            }
        )
    engine = create_async_engine(async_url(url))
    async with engine.begin() as conn:
        await bulk_insert(conn, Debtor.__table__, rows)  # type: ignore[arg-type]
    await engine.dispose()
    return [row["id"] for row in rows]


def _suite(backend_urls: dict[str, str], workdir: Path, *, migrate_on_start: bool = False) -> Suite:
    return Suite(
        ports=free_ports((*SERVICES, "gateway")),
        database_urls=backend_urls,
        keys_dir=workdir / "keys",
        clients_file=DEV_CLIENTS,
        log_dir=workdir,
        extra_env={"CLAIMS_SWEEP_EVERY_SECONDS": "0"},
        migrate_on_start=migrate_on_start,
    )


async def run(report: Report, *, backend: str, workdir: Path) -> None:
    databases = BenchDatabases(backend, workdir)
    try:
        urls = {service: await databases.new(service) for service in SERVICES}
        suite = _suite(urls, workdir)
        await asyncio.to_thread(suite.migrate)
        buyers = await load_buyers(urls["debtors"], CLOSED_RUNS * THREADS * BUYERS_PER_THREAD + OPEN_RATE * SECONDS)
        await asyncio.to_thread(_declarations, report, backend, suite, workdir, buyers)
    finally:
        await databases.drop()
    if backend == "sqlite":
        await asyncio.to_thread(_start_up, report, workdir)


def _declarations(report: Report, backend: str, suite: Suite, workdir: Path, buyers: list[uuid.UUID]) -> None:
    """Two closed-loop runs (throughput, CPU, memory flat between them), then the open-loop latency."""
    # The host's speed moves within minutes on a shared machine: timed before the runs and after the measured
    # one, the CPU figures are scaled by the mean of the two.
    before = calibration()
    try:
        suite.start()
        suite.wait_ready(timeout=30)
        tokens, declaration = _policy_and_tokens(suite)
        pids = {name: process.pid for name, process in suite.processes.items()}
        per_run = THREADS * BUYERS_PER_THREAD
        first = _closed_loop(suite, workdir, tokens, declaration, buyers[:per_run], pids, backend)
        memory_first = {name: rss_megabytes(pid) for name, pid in pids.items()}
        second = _closed_loop(suite, workdir, tokens, declaration, buyers[per_run : 2 * per_run], pids, backend)
        after = calibration()
        memory_second = {name: rss_megabytes(pid) for name, pid in pids.items()}
        opened = _open_loop(suite, workdir, tokens, declaration, buyers[2 * per_run :])
    finally:
        suite.stop()
    microseconds = (before + after) / 2
    for metric, value in (("before the runs", before), ("after the measured run", after), ("mean", microseconds)):
        report.add(Figure(SCENARIO, backend, f"sum(range(10000)), {metric}", value, "µs", "110 µs machine", None))
    _report_closed(report, backend, REFERENCE_MICROSECONDS / microseconds, first[0], second)
    _report_memory(report, backend, memory_first, memory_second)
    _report_open(report, backend, opened)


def _report_closed(
    report: Report, backend: str, scale: float, first: WrkRun, second: tuple[WrkRun, dict[str, float], float]
) -> None:
    """The second closed-loop run: its rate, and each process's CPU per declaration, raw and scaled."""
    result, used, drained = second
    # What the suite sustains is the declarations with their events delivered: the drain's seconds count.
    rate, errors = result.requests / (SECONDS + drained), result.errors + first.errors
    report.add(Figure(SCENARIO, backend, "errors (both runs)", errors, "", "0", errors == 0))
    report.add(Figure(SCENARIO, backend, "sustained rate", rate, "decl/s", "≥ 200", rate >= 200))
    report.add(Figure(SCENARIO, backend, "p99 (closed loop: queueing)", result.p99_ms, "ms", "", None))
    report.add(Figure(SCENARIO, backend, "events delivered, seconds after the run", drained, "s", "", None))
    total = 0.0
    for name, seconds in sorted(used.items()):
        per = 1000 * seconds / max(result.requests, 1)
        total += per
        report.add(Figure(SCENARIO, backend, f"{name} CPU per declaration", per, "ms", "", None))
        scaled = per * scale
        report.add(Figure(SCENARIO, backend, f"{name} CPU per declaration, scaled", scaled, "ms", "≤ 8", scaled <= 8))
    report.add(Figure(SCENARIO, backend, "CPU per declaration, all processes", total, "ms", "", None))
    everything = total * scale
    metric = "CPU per declaration, all processes, scaled"
    report.add(Figure(SCENARIO, backend, metric, everything, "ms", "≤ 8", everything <= 8))


def _report_memory(report: Report, backend: str, first: dict[str, float], second: dict[str, float]) -> None:
    """Each process's resident memory after the second run, and what it grew since the first."""
    for name in sorted(second):
        after, growth = second[name], second[name] - first[name]
        report.add(Figure(SCENARIO, backend, f"{name} RSS after the runs", after, "MB", "≤ 150", after <= 150))
        limit = f"≤ {RSS_GROWTH_MB:g}"
        report.add(
            Figure(SCENARIO, backend, f"{name} RSS growth, second run", growth, "MB", limit, growth <= RSS_GROWTH_MB)
        )


def _report_open(report: Report, backend: str, opened: dict[str, float]) -> None:
    scenario = f"declarations open loop {OPEN_RATE}/s {SECONDS}s"
    errors = int(opened["errors"])
    report.add(Figure(scenario, backend, "errors", errors, "", "0", errors == 0))
    report.add(Figure(scenario, backend, "p50", opened["p50_ms"], "ms", "≤ 15", opened["p50_ms"] <= 15))
    report.add(Figure(scenario, backend, "p99", opened["p99_ms"], "ms", "≤ 50", opened["p99_ms"] <= 50))
    report.add(Figure(scenario, backend, "max", opened["max_ms"], "ms", "", None))


def _policy_and_tokens(suite: Suite) -> tuple[dict[str, dict[str, str]], dict[str, Any]]:
    """Tokens of the demo underwriter and insured, an active policy, and the declaration the runs post on it."""
    today = datetime.now(UTC).date()
    with httpx.Client(base_url=suite.url("gateway"), timeout=10) as gateway:
        tokens = {}
        for client in ("demo-underwriter", "demo-insured"):
            form = {"grant_type": "client_credentials", "client_id": client, "client_secret": f"{client}-secret"}
            answer = gateway.post("/oauth/token", data=form).json()
            tokens[client] = {"Authorization": f"Bearer {answer['access_token']}"}
        body = policy_body(
            number="BENCH-DECL",
            start_date=(today - timedelta(days=300)).isoformat(),
            end_date=(today + timedelta(days=300)).isoformat(),
            terms={"discretionary_limit": "100000000.00", "max_liability": "100000000000.00"},
        )
        created = gateway.post("/v1/policies", json=body, headers=tokens["demo-underwriter"])
        headers = {**tokens["demo-underwriter"], "If-Match": created.headers["ETag"]}
        gateway.patch(created.headers["Location"], json={"status": "active"}, headers=headers).raise_for_status()
    declaration = {
        "policy_id": created.json()["id"],
        "debtor_id": "BUYER",
        "invoices": [
            {
                "number": "INVOICE",
                "invoice_date": (today - timedelta(days=60)).isoformat(),
                "due_date": (today - timedelta(days=30)).isoformat(),
                "amount": "1200.00",
                "vat_amount": "200.00",
                "currency": "EUR",
            }
        ],
    }
    return tokens, declaration


def _closed_loop(
    suite: Suite,
    workdir: Path,
    tokens: dict[str, dict[str, str]],
    declaration: dict[str, Any],
    buyers: list[uuid.UUID],
    pids: dict[str, int],
    backend: str,
) -> tuple[WrkRun, dict[str, float], float]:
    """wrk at CONNECTIONS for SECONDS on these buyers: what it printed, each process's CPU seconds until the events
    the run wrote were delivered, and the seconds that delivery took after the run."""
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    script = workdir / "declare.lua"
    listed = ",".join(f'"{buyer}"' for buyer in buyers)
    script.write_text(
        WRK_SCRIPT
        + f"buyers = {{{listed}}}\nper_thread = {BUYERS_PER_THREAD}\n"
        + f"wrk.body = [[{json.dumps(declaration)}]]\n"
    )
    output = subprocess.run(
        [
            "wrk",
            f"-t{THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{SECONDS}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(script),
            "-H",
            f"Authorization: {tokens['demo-insured']['Authorization']}",
            "-H",
            "Content-Type: application/json",
            f"{suite.url('gateway')}/v1/claims",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # The events the declarations wrote are part of their cost: the CPU is read once every outbox is empty.
    drained = _drain(suite, started=time.monotonic())
    used = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
    (workdir / "wrk-declarations.txt").write_text(output)
    result = parse_wrk(output)
    if result.errors:
        # What failed is in wrk's summary and the processes' logs: keep them beside the results.
        kept = RESULTS / f"declarations-{backend}-errors-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
        kept.mkdir(parents=True, exist_ok=True)
        for name in ("wrk-declarations.txt", *(f"{process}.log" for process in pids)):
            if (workdir / name).exists():
                shutil.copy(workdir / name, kept / name)
        print(f"  {result.errors} failed declarations: wrk's output and the logs are in {kept}", flush=True)
    return result, used, drained


def _pending_events(suite: Suite) -> float:
    """The events still waiting in the services' outboxes, as each service's /metrics counts them."""
    return sum(
        by_outcome(httpx.get(f"{suite.url(service)}/metrics", timeout=10).text).get(("outbox_pending_events", ""), 0)
        for service in SERVICES
    )


def _drain(suite: Suite, *, started: float, within: float = DRAIN_SECONDS) -> float:
    """Seconds from the run's end until no event waits in any outbox (the bench fails if that takes too long)."""
    while _pending_events(suite):
        if time.monotonic() - started > within:
            raise RuntimeError(f"events still undelivered {within:g} s after the declarations ended")
        time.sleep(0.2)
    return time.monotonic() - started


def _open_loop(
    suite: Suite, workdir: Path, tokens: dict[str, dict[str, str]], declaration: dict[str, Any], buyers: list[uuid.UUID]
) -> dict[str, float]:
    """OPEN_RATE declarations a second for SECONDS, each on a buyer of its own, from a process of its own."""
    bodies = workdir / "open-loop.jsonl"
    template = json.dumps(declaration)
    bodies.write_text(
        "\n".join(
            template.replace("BUYER", str(buyer)).replace("INVOICE", f"open-{index}")
            for index, buyer in enumerate(buyers)
        )
    )
    authorization = f"Authorization: {tokens['demo-insured']['Authorization']}"
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.open_loop",
            f"{suite.url('gateway')}/v1/claims",
            f"--rate={OPEN_RATE}",
            f"--seconds={SECONDS}",
            f"--bodies={bodies}",
            f"--header={authorization}",
            "--header=Content-Type: application/json",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, float] = json.loads(output)
    return result


def _start_up(report: Report, workdir: Path) -> None:
    """`make run` without the install: four processes on fresh SQLite files, each migrating its own, until /readyz."""
    seconds = []
    for attempt in range(STARTS):
        files = workdir / f"start-{attempt}"
        files.mkdir()
        urls = {service: f"sqlite+aiosqlite:///{files / (service + '.db')}" for service in SERVICES}
        suite = _suite(urls, files, migrate_on_start=True)
        started = time.monotonic()
        try:
            suite.start()
            suite.wait_ready(timeout=30)
            seconds.append(time.monotonic() - started)
        finally:
            suite.stop()
    value = statistics.median(seconds)
    metric = "fresh files to every /readyz green (median of 3)"
    report.add(Figure("start-up", "sqlite", metric, value, "s", "< 5 s", value < 5))
