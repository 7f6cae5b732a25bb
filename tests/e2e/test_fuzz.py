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
    with suite_running(databases, tmp_path_factory.mktemp("suite-fuzz")) as running:
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
