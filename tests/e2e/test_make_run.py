"""`make run` as a person runs it: on the ports PORT_BASE gives, refused when one is taken, each line named."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from deploy.local import PROCESSES, SERVICES, port_base, ports_from, ports_taken
from services.kit.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e


def free_base() -> int:
    """A PORT_BASE whose six ports are free now."""
    for _ in range(100):
        base = random.randrange(20_000, 60_000)
        if not ports_taken("127.0.0.1", ports_from(base)):
            return base
    raise RuntimeError("no six consecutive free ports")


@contextmanager
def make_run(base: int, run_dir: Path, output: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m deploy.local` (what `make run` calls), its output in a file; stopped as Ctrl-C stops it."""
    env = {**os.environ, "PORT_BASE": str(base), "RUN_DIR": str(run_dir)}
    for name in PROCESSES:
        env.pop(f"{name.upper()}_LOG_FORMAT", None)
    for service in SERVICES:
        env.pop(f"{service.upper()}_DATABASE_URL", None)
    with output.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "deploy.local"], cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                process.wait(timeout=30)


def wait_for(
    output: Path, start: str, process: subprocess.Popen[bytes], *, line_with: tuple[str, ...] = (), timeout: float = 60
) -> str:
    """All printed so far, once a line starts with `start` and holds every `line_with`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = output.read_text(errors="replace")
        for line in seen.splitlines():
            if line.startswith(start) and all(part in line for part in line_with):
                return seen
        assert process.poll() is None, seen
        time.sleep(0.2)
    raise AssertionError(f"{start!r} {line_with} not printed:\n{output.read_text(errors='replace')}")


def test_a_taken_port_is_refused_before_anything_starts_or_says_ready(tmp_path: Path) -> None:
    base = free_base()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", base + PROCESSES.index("claims")))
        squatter.listen()
        with make_run(base, tmp_path / "run", tmp_path / "out.txt") as process:
            assert process.wait(timeout=30) == 1
    printed = (tmp_path / "out.txt").read_text()
    assert f"port {base + 3} (claims) is taken" in printed and "PORT_BASE=" in printed
    assert "ready" not in printed
    assert not (tmp_path / "run").exists()  # nothing written


def test_port_base_moves_every_port_and_each_line_is_prefixed_with_its_process(tmp_path: Path) -> None:
    base = free_base()
    output = tmp_path / "out.txt"
    with make_run(base, tmp_path / "run", output) as process:
        wait_for(output, "credit-claims is ready", process, timeout=120)
        gateway = f"http://127.0.0.1:{base}"
        token = httpx.post(
            f"{gateway}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "demo-handler",
                "client_secret": "demo-handler-secret",
            },
        ).json()["access_token"]
        listed = httpx.get(
            f"{gateway}/v1/worklist", headers={"Authorization": f"Bearer {token}", "X-Request-ID": "mr-1"}
        )
        assert listed.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{base + 5}/login").status_code == 200  # the back office, last port
        for name in ("gateway", "claims"):  # each process's access line, after its name, with the caller
            printed = wait_for(output, f"{name:<10} | ", process, line_with=("GET /v1/worklist 200", "request_id=mr-1"))
    assert token not in printed
    assert f"gateway   {gateway}" in printed
    assert {path.name for path in (tmp_path / "run").glob("*.db")} == {f"{service}.db" for service in SERVICES}


@pytest.mark.parametrize("given", ["¹⁰²⁴", "80", "65531", "eight thousand"])
def test_a_port_base_that_is_no_usable_port_is_refused_in_words(given: str) -> None:
    with pytest.raises(SystemExit, match="PORT_BASE must be a number from 1024 to 65530"):
        port_base({"PORT_BASE": given})


def test_the_highest_port_base_gives_the_last_six_ports() -> None:
    assert max(ports_from(port_base({"PORT_BASE": "65530"})).values()) == 65535
