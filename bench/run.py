"""`make bench`: start real processes, load data, print figures beside their targets; exit 1 on a miss."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bench import debtors, declarations, gateway, worklist
from bench.harness import Report

SCENARIOS = {
    "gateway": gateway.run,
    "declarations": declarations.run,
    "debtors": debtors.run,
    "worklist": worklist.run,
}


async def main(backends: list[str], scenarios: list[str]) -> int:
    report = Report()
    for backend in backends:
        for name in scenarios:
            print(f"== {name} on {backend}", flush=True)
            started = time.monotonic()
            with tempfile.TemporaryDirectory(prefix="ccbench-") as workdir:
                await SCENARIOS[name](report, backend=backend, workdir=Path(workdir))
            print(f"   ({name} on {backend}: {time.monotonic() - started:.0f} s)", flush=True)
    written = report.write()
    print(f"\nWritten to {written}")
    if report.failed:
        print(f"{len(report.failed)} target(s) missed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    arguments = parser.parse_args()
    backends = ["sqlite", "postgresql"] if arguments.db == "both" else [arguments.db]
    scenarios = list(SCENARIOS) if arguments.scenario == "all" else [arguments.scenario]
    raise SystemExit(asyncio.run(main(backends, scenarios)))
