"""What an operator reads of a real process: one JSON line per request, an unexpected error logged once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.kit.auth import Role
from services.kit.clock import SystemClock
from services.kit.settings import PROJECT_ROOT
from tests.shared.ports import free_port
from tests.support import Databases, Tokens

pytestmark = pytest.mark.e2e


def served_on(port: int) -> list[str]:
    return ["--port", str(port), "--no-access-log", "--log-level", "warning"]  # as deploy/ starts every process


@pytest.fixture(scope="module")
def policies(
    databases: Databases, key_pair: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """The policies process under uvicorn as deployed (JSON logs, the default), its stderr kept in a file."""
    port = free_port()
    stderr = tmp_path_factory.mktemp("logs") / "policies.log"
    env = {
        **os.environ,
        "POLICIES_DATABASE_URL": databases.fresh("policies"),
        "POLICIES_JWT_PUBLIC_KEY": key_pair[1],
        "POLICIES_MIGRATE_ON_START": "true",
    }
    env.pop("POLICIES_LOG_FORMAT", None)
    with stderr.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "tests.e2e.crashing_policies:create_app", "--factory", *served_on(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                assert process.poll() is None, stderr.read_text()
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            yield url, stderr
        finally:
            process.terminate()
            process.wait(timeout=10)


def lines_about(log: Path, request_id: str) -> list[dict[str, Any]]:
    """The JSON lines naming the request, once the process has written them (every line must be JSON)."""
    for _ in range(50):
        entries = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        found = [entry for entry in entries if entry.get("request_id") == request_id]
        if found:
            return found
        time.sleep(0.1)
    return []


def test_each_request_is_one_json_line_with_service_route_status_duration_and_caller(
    policies: tuple[str, Path], key_pair: tuple[str, str]
) -> None:
    url, log = policies
    token = Tokens(key_pair[0], SystemClock()).token(Role.UNDERWRITER, client_id="partner-17")
    response = httpx.get(
        f"{url}/v1/policies/{uuid.uuid4()}",
        headers={
            "Authorization": f"Bearer {token}",
            "X-Request-ID": "req-json-1",
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        },
    )
    assert response.status_code == 404
    [line] = lines_about(log, "req-json-1")
    assert line["service"] == "policies" and line["level"] == "info" and line["logger"] == "credit_claims.access"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/v1/policies/{policy_id:uuid}", 404)
    assert line["client_id"] == "partner-17" and line["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["time"].endswith("Z")
    assert token not in log.read_text()


def test_an_unexpected_error_is_logged_once_with_its_request_id_and_its_500_line(
    policies: tuple[str, Path],
) -> None:
    url, log = policies
    response = httpx.get(f"{url}/v1/crash/first", headers={"X-Request-ID": "req-crash-1"})
    assert response.status_code == 500 and response.json()["request_id"] == "req-crash-1"
    lines = lines_about(log, "req-crash-1")
    errors = [line for line in lines if "error" in line]
    assert len(errors) == 1, lines
    assert "RuntimeError" in errors[0]["error"] and errors[0]["level"] == "error"
    [access] = [line for line in lines if line["logger"] == "credit_claims.access"]
    assert (access["route"], access["status"], access["level"]) == ("/v1/crash/{case}", 500, "error")
    time.sleep(0.3)  # the server would report the exception after the app returned
    tracebacks = [line for line in log.read_text().splitlines() if "crash_route" in line]
    assert len(tracebacks) == 1, tracebacks
