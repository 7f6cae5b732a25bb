"""Schemathesis over the gateway's merged OpenAPI, against the real processes, with a token for each role.

Every operation, every check, positive and negative data, a bounded number of examples per operation
(`make fuzz` runs the CLI with a bigger budget against `make run`). What a check must accept as a business
answer is declared, with the reason, in schemathesis.toml.

The processes are real (loopback HTTP) rather than ASGI in process: the services' lifespans own their
database engines and upstream clients, which schemathesis' in-process transport would not start.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from deploy.local import Suite
from tests.e2e.conftest import suite_running, token
from tests.support import Databases

pytestmark = pytest.mark.e2e
CALLERS = ("demo-admin", "demo-insured")
EXAMPLES = 10


@pytest.fixture(scope="module")
def suite(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    # The fuzzing sends the token endpoint thousands of wrong credentials from one address: let it.
    guessing = {f"GATEWAY_TOKEN_FAILURES_PER_{key}": "1000000" for key in ("ADDRESS", "CLIENT", "CLIENT_AND_ADDRESS")}
    with suite_running(databases, tmp_path_factory.mktemp("suite-fuzz"), guessing) as running:
        yield running


def test_every_operation_passes_every_check_as_each_role(suite: Suite) -> None:
    with httpx.Client(base_url=suite.url("gateway")) as gateway:
        callers = {client: token(gateway, client) for client in CALLERS}
    schema = schemathesis.openapi.from_url(f"{suite.url('gateway')}/openapi.json")
    failures: dict[str, str] = {}
    sent: Counter[str] = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        for mode in GenerationMode:

            @given(case=operation.as_strategy(generation_mode=mode), label=st.just(operation.label))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: Any, label: str) -> None:
                for headers in callers.values():
                    case.call_and_validate(headers=headers)
                    sent[label] += 1

            try:
                check()
            except (
                Exception,
                BaseExceptionGroup,
            ) as failure:  # collected, so that one run reports every operation that fails
                failures[f"{operation.label} ({mode.value})"] = str(failure)[:1500]
    assert failures == {}, "\n\n".join(f"{label}\n{text}" for label, text in sorted(failures.items()))
    assert len(operations) >= 38 and all(sent[operation.label] > 0 for operation in operations)


NASTY = (
    "a\x00b",
    "a\u202eb",
    "a\r\nb",
    "\x1b[31m",
    "\uff11\uff12\uff13.00",
    "+12.00",
    "1_000.00",
    "9999-12-31",
    "0001-01-01",
)


def _string_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Where a body holds a string, as paths of keys and indexes."""
    if isinstance(value, str):
        return [path]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _string_paths(item, (*path, key))]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _string_paths(item, (*path, index))]
    return []


def _with(value: Any, path: tuple[Any, ...], text: str) -> Any:
    if not path:
        return text
    copied = dict(value) if isinstance(value, dict) else list(value)
    copied[path[0]] = _with(value[path[0]], path[1:], text)
    return copied


def test_nul_bytes_controls_full_width_digits_and_far_dates_never_answer_500(suite: Suite) -> None:
    """Each string of each body, and each query parameter, replaced in turn by a value that once broke a service."""
    from tests.integration.test_minimal_bodies import MinimalBody

    with httpx.Client(base_url=suite.url("gateway"), timeout=30) as gateway:
        callers = [token(gateway, client) for client in CALLERS]
        document = gateway.get("/openapi.json").json()
        bodies = MinimalBody(document, ids={}, day="2026-06-01")
        failures: list[str] = []
        sent = 0
        for path, item in document["paths"].items():
            if not path.startswith("/v1/"):
                continue
            url = path.replace("{", "").replace("}", "")  # ids that do not exist: the body is read first
            url = "/".join(
                "01a2196c-0cb4-7b68-9575-037cad08a135" if part.endswith("_id") else part for part in url.split("/")
            )
            for method, operation in item.items():
                content = operation.get("requestBody", {}).get("content", {}).get("application/json")
                queries = [param["name"] for param in operation.get("parameters", []) if param["in"] == "query"]
                base = bodies.of(content["schema"]) if content else None
                cases: list[tuple[Any, dict[str, str]]] = [
                    (_with(base, where, text), {}) for where in _string_paths(base) for text in NASTY
                ]
                cases += [(base, {name: text}) for name in queries for text in NASTY]
                for body, params in cases:
                    for headers in callers:
                        answer = gateway.request(
                            method, url, json=body, params=params, headers={**headers, "If-Match": "*"}
                        )
                        sent += 1
                        if answer.status_code >= 500:
                            failures.append(f"{method.upper()} {path} {params or body!r:.120} -> {answer.status_code}")
    assert failures == [], "\n".join(failures[:40])
    assert sent > 500
