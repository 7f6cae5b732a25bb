"""The four real processes (uvicorn, loopback ports), driven through the gateway with real tokens."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.local import Suite
from tests.e2e.conftest import suite_running, token
from tests.shared.builders import cover_check, invoice, policy_body
from tests.support import Databases

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def suite(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    with suite_running(databases, tmp_path_factory.mktemp("suite")) as running:
        yield running


@pytest.fixture(scope="module")
def gateway(suite: Suite) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=suite.url("gateway"), timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def active_policy(gateway: httpx.Client) -> dict[str, Any]:
    underwriter = token(gateway, "demo-underwriter")
    created = gateway.post("/v1/policies", json=policy_body(number="E2E-1"), headers=underwriter)
    assert created.status_code == 201, created.text
    activated = gateway.patch(
        created.headers["Location"],
        json={"status": "active"},
        headers={**underwriter, "If-Match": created.headers["ETag"]},
    )
    assert activated.status_code == 200 and activated.json()["status"] == "active"
    return activated.json()


def reasons(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [reason["code"] for reason in response.json()["reasons"]]


def test_readyz_reports_every_service(gateway: httpx.Client) -> None:
    response = gateway.get("/readyz")
    assert response.status_code == 200
    assert response.json()["services"] == dict.fromkeys(("policies", "debtors", "claims", "webhooks"), "ready")


def test_insured_cover_checks_give_the_right_decisions(gateway: httpx.Client, active_policy: dict[str, Any]) -> None:
    insured = token(gateway, "demo-insured")
    url = f"/v1/policies/{active_policy['id']}/cover-checks"
    clean = gateway.post(url, json=cover_check(), headers=insured)
    assert reasons(clean) == [] and clean.json()["covered"] is True
    assert clean.json()["deadlines"]["declaration_deadline"] == "2026-07-29"
    late = gateway.post(url, json=cover_check(declaration_date="2026-08-01"), headers=insured)
    assert reasons(late) == ["NOTIFICATION_LATE"]
    long_credit = cover_check(invoices=[invoice(invoice_date="2026-01-02", due_date="2026-05-30")])
    assert reasons(gateway.post(url, json=long_credit, headers=insured)) == ["CREDIT_PERIOD_EXCEEDED"]
    abroad = gateway.post(url, json=cover_check(debtor_country="BR"), headers=insured)
    assert reasons(abroad) == ["COUNTRY_NOT_COVERED"]


def test_another_insured_gets_404(gateway: httpx.Client, active_policy: dict[str, Any]) -> None:
    stranger = token(gateway, "demo-insured-beta")
    assert gateway.get(f"/v1/policies/{active_policy['id']}", headers=stranger).status_code == 404
    check = gateway.post(f"/v1/policies/{active_policy['id']}/cover-checks", json=cover_check(), headers=stranger)
    assert check.status_code == 404


def test_bad_input_through_the_gateway_is_a_problem_and_writes_nothing(gateway: httpx.Client) -> None:
    underwriter = token(gateway, "demo-underwriter")
    before = gateway.get("/v1/policies?limit=200", headers=underwriter).json()["items"]
    malformed = gateway.post(
        "/v1/policies", content=b'{"number": ', headers={**underwriter, "content-type": "application/json"}
    )
    assert malformed.status_code == 400 and malformed.headers["content-type"] == "application/problem+json"
    negative = gateway.post(
        "/v1/policies", json=policy_body(number="E2E-BAD", terms={"deductible": "-5"}), headers=underwriter
    )
    assert negative.status_code == 422 and negative.json()["code"] == "VALIDATION_FAILED"
    assert gateway.get("/v1/policies?limit=200", headers=underwriter).json()["items"] == before


def test_killed_service_answers_503_then_recovers_after_restart(suite: Suite, gateway: httpx.Client) -> None:
    underwriter = token(gateway, "demo-underwriter")
    suite.stop("policies", sig=signal.SIGKILL)
    down = gateway.get("/v1/policies", headers=underwriter, timeout=2)
    assert down.status_code == 503 and down.headers["Retry-After"]
    assert down.json()["code"] == "UPSTREAM_UNAVAILABLE"
    suite.start("policies")
    suite.wait_ready(timeout=60)
    assert gateway.get("/v1/policies", headers=underwriter).status_code == 200


def test_logs_have_no_tracebacks(suite: Suite) -> None:
    assert suite.log_dir is not None
    for log in Path(suite.log_dir).glob("*.log"):
        assert "Traceback" not in log.read_text(), log.name
