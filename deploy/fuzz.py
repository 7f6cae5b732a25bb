"""`make fuzz`: schemathesis' CLI against a running suite (`make run`), as each demo client, every check.

A bigger budget than the CI test (tests/e2e/test_fuzz.py): FUZZ_EXAMPLES examples per operation (default
100), all phases (examples, coverage, fuzzing, stateful through the OpenAPI links). Settings and the
declared business answers are in schemathesis.toml. The sandbox clock is left out: fuzzing it would move
`make run`'s date years ahead. Exits non-zero on any failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

GATEWAY = os.environ.get("GATEWAY_URL", "http://127.0.0.1:8000")
CALLERS = ("demo-admin", "demo-insured", "demo-handler", "demo-underwriter")


def bearer(client_id: str) -> str:
    """A token, waiting out the throttle the previous run's failed token requests left on this address."""
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": f"{client_id}-secret"}
    for _ in range(5):
        answer = httpx.post(f"{GATEWAY}/oauth/token", data=form, timeout=10)
        if answer.status_code != 429:
            break
        time.sleep(int(answer.headers.get("Retry-After", "5")))
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def main() -> int:
    try:
        httpx.get(f"{GATEWAY}/readyz", timeout=5).raise_for_status()
    except httpx.HTTPError:
        print(f"No suite answers at {GATEWAY}: start it with `make run` first.", file=sys.stderr)
        return 2
    examples = os.environ.get("FUZZ_EXAMPLES", "100")
    failed = []
    for client_id in CALLERS:
        print(f"\n== as {client_id}", flush=True)
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "run",
                f"{GATEWAY}/openapi.json",
                "--checks",
                "all",
                "--max-examples",
                examples,
                "--header",
                f"Authorization: Bearer {bearer(client_id)}",
                "--seed",
                os.environ.get("FUZZ_SEED", "20261126"),
                # Random moves of the sandbox's date would leave `make run` years ahead; tests cover the clock.
                "--exclude-path-regex",
                "^/v1/sandbox/",
            ],
            check=False,
        )
        if run.returncode != 0:
            failed.append(client_id)
    if failed:
        print(f"\nFailures as: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"\nNo failure: every operation, every check, {examples} examples, as {', '.join(CALLERS)}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
