"""The partner's contract test: a Python client generated from the live gateway's OpenAPI by openapi-python-client
(the generator may print no warning) walks a whole claim alone, and every answer parses into its typed model."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import httpx
import pytest

from deploy.local import Suite
from tests.e2e.conftest import suite_running
from tests.shared.builders import invoice, policy_body
from tests.support import Databases

pytestmark = pytest.mark.e2e
PACKAGE = "partner_client"


@pytest.fixture(scope="module")
def suite(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    relay_fast = {"DEBTORS_RELAY_POLL_SECONDS": "0.1", "CLAIMS_RELAY_POLL_SECONDS": "0.1"}
    with suite_running(databases, tmp_path_factory.mktemp("suite-client"), relay_fast, sandbox=True) as running:
        yield running


@pytest.fixture(scope="module")
def client_package(suite: Suite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client as a partner makes it: `openapi-python-client generate` on the gateway's /openapi.json."""
    workdir = tmp_path_factory.mktemp("generated")
    spec = workdir / "openapi.json"
    spec.write_bytes(httpx.get(f"{suite.url('gateway')}/openapi.json").raise_for_status().content)
    tools = str(Path(sys.executable).parent)  # the generator formats its output with ruff, beside it
    generate = ["generate", "--path", str(spec), "--meta", "none", "--output-path", str(workdir / PACKAGE)]
    run = subprocess.run(
        [f"{tools}/openapi-python-client", *generate],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ.get('PATH', '')}"},
        check=False,
    )
    said = run.stdout + run.stderr
    assert run.returncode == 0, said
    assert "warning" not in said.lower() and "could not" not in said.lower(), said
    sys.path.insert(0, str(workdir))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(workdir))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


class Partner:
    """The generated package, as the walk uses it: one authenticated client per role, typed answers only."""

    def __init__(self, package: ModuleType, base_url: str) -> None:
        self.package = package
        self.base_url = base_url
        self.api = importlib.import_module(f"{PACKAGE}.api")
        self.models = importlib.import_module(f"{PACKAGE}.models")
        self.unset = importlib.import_module(f"{PACKAGE}.types").Unset

    def operation(self, tag: str, name: str) -> Any:
        return importlib.import_module(f"{PACKAGE}.api.{tag}.{name}")

    def login(self, client_id: str) -> Any:
        """A token by the generated issueToken operation, in a client that sends it."""
        m = self.models
        body = m.IssueTokenBody(
            grant_type=m.IssueTokenBodyGrantType.CLIENT_CREDENTIALS,
            client_id=client_id,
            client_secret=f"{client_id}-secret",
        )
        anonymous = self.package.Client(base_url=self.base_url)
        token = self.typed(self.operation("authentication", "issue_token").sync_detailed(client=anonymous, body=body))
        return self.package.AuthenticatedClient(base_url=self.base_url, token=token.access_token, timeout=60)

    def typed(self, response: Any, status: int = 200, model: str | None = None) -> Any:
        """The parsed answer, after checking its status, its class and that nothing the server sent is Unset."""
        assert response.status_code == status, (response.status_code, response.content[:500])
        parsed = response.parsed
        assert parsed is not None, f"{status} is not documented for this operation"
        if model is not None:
            assert type(parsed).__name__ == model, (type(parsed).__name__, model)
        self._complete(parsed, path=type(parsed).__name__)
        return parsed

    def _complete(self, value: Any, path: str) -> None:
        if isinstance(value, list):
            for index, item in enumerate(value):
                self._complete(item, f"{path}[{index}]")
        elif attrs.has(type(value)):
            assert type(value).__name__ != "Problem", value
            for field in attrs.fields(type(value)):
                if field.name == "additional_properties":
                    continue
                inner = getattr(value, field.name)
                assert not isinstance(inner, self.unset), f"{path}.{field.name} is Unset"
                self._complete(inner, f"{path}.{field.name}")


def test_a_generated_client_walks_a_claim_from_policy_to_shared_recovery(
    suite: Suite, client_package: ModuleType
) -> None:
    partner = Partner(client_package, suite.url("gateway"))
    m, op = partner.models, partner.operation
    underwriter, insured, handler, admin = (partner.login(f"demo-{role}") for role in ROLES)
    start = partner.typed(op("sandbox", "get_sandbox_clock").sync_detailed(client=admin), model="SandboxClockOut").today
    day = _days_from(start)

    policy_id = _active_policy(partner, underwriter, day)
    debtor = op("debtors", "create_debtor").sync_detailed(
        client=insured,
        body=m.DebtorCreate.from_dict({"legal_name": "Menuiseries Vallet", "country": "FR", "siren": "853479236"}),
    )
    debtor_id = partner.typed(debtor, 201, "DebtorOut").id
    requested = op("credit_limits", "request_credit_limit").sync_detailed(
        client=insured,
        body=m.CreditLimitRequestIn.from_dict(
            {"policy_id": str(policy_id), "debtor_id": str(debtor_id), "amount": "10000.00", "currency": "EUR"}
        ),
    )
    limit = partner.typed(requested, 201, "CreditLimitOut")
    decided = op("credit_limits", "decide_credit_limit").sync_detailed(
        limit.id,
        client=underwriter,
        body=m.DebtorsDecisionIn.from_dict(
            {"decision": "granted", "reason": "2025 accounts", "effective_date": day(0)}
        ),
        if_match=requested.headers["etag"],
    )
    assert partner.typed(decided, 200, "CreditLimitOut").amount_in_force == "10000.00"

    claim = _declared(partner, insured, policy_id=policy_id, debtor_id=debtor_id, day=day)
    paid_in = op("claims", "record_payment_received").sync_detailed(
        claim.id, client=insured, body=m.PaymentIn.from_dict({"amount": "3000.00", "received_on": day(100)})
    )
    partner.typed(paid_in, 201, "ClaimOut")

    judgment = {
        "procedure": "liquidation_judiciaire",
        "event": "opening",
        "judgment_date": day(100),
        "publication_date": day(100),
        "court": "Tribunal des activités économiques de Lyon",
    }
    state = op("debtors", "record_procedure_event").sync_detailed(
        debtor_id, client=handler, body=m.ProcedureEventIn.from_dict(judgment)
    )
    assert partner.typed(state, 201, "ProcedureStateOut").insolvent is True
    read = _when_status(partner, insured, claim.id, m.ClaimStatus.INSOLVENCY)
    filed = op("claims", "file_creance").sync_detailed(
        claim.id,
        client=insured,
        body=m.CreanceFilingIn.from_dict({"filed_on": day(100), "amount": "15000.00", "court_officer": "Me Dupont"}),
        if_match=read.headers["etag"],
    )
    assert partner.typed(filed, 201, "ClaimOut").status == m.ClaimStatus.INDEMNIFIABLE

    _indemnity_and_recovery(partner, handler, claim.id, day)
    timeline = partner.typed(op("claims", "get_claim_timeline").sync_detailed(claim.id, client=insured))
    kinds = [entry.kind for entry in timeline]
    assert {"declared", "payment_received", "insolvency", "creance_filed", "indemnified", "recovery"} <= set(kinds)


ROLES = ("underwriter", "insured", "handler", "admin")


def _days_from(start: date) -> Any:
    return lambda offset: (start + timedelta(days=offset)).isoformat()


def _active_policy(partner: Partner, underwriter: Any, day: Any) -> Any:
    m, op = partner.models, partner.operation
    body = m.PolicyCreate.from_dict(policy_body(number="PARTNER-CLIENT", start_date=day(0), end_date=day(700)))
    created = op("policies", "create_policy").sync_detailed(client=underwriter, body=body)
    policy = partner.typed(created, 201, "PolicyOut")
    assert created.headers["location"] == f"/v1/policies/{policy.id}"
    activated = op("policies", "update_policy").sync_detailed(
        policy.id,
        client=underwriter,
        body=m.PolicyPatch.from_dict({"status": "active"}),
        if_match=created.headers["etag"],
    )
    assert partner.typed(activated, 200, "PolicyOut").status == m.PolicyStatus.ACTIVE
    return policy.id


def _declared(partner: Partner, insured: Any, *, policy_id: Any, debtor_id: Any, day: Any) -> Any:
    """Declared on day 100 with an Idempotency-Key: sent again, the same claim comes back, marked as a replay."""
    m, op = partner.models, partner.operation
    moved = op("sandbox", "move_sandbox_clock").sync_detailed(
        client=partner.login("demo-admin"), body=m.ClockMoveIn.from_dict({"today": day(100)})
    )
    partner.typed(moved, 200, "SandboxClockOut")
    invoices = [
        invoice("A", invoice_date=day(5), due_date=day(65), amount="12000.00", vat_amount="2000.00"),
        invoice("B", invoice_date=day(20), due_date=day(80), amount="6000.00", vat_amount="1000.00"),
    ]
    body = m.ClaimDeclaration.from_dict(
        {"policy_id": str(policy_id), "debtor_id": str(debtor_id), "invoices": invoices}
    )
    declare = op("claims", "declare_claim")
    first = declare.sync_detailed(client=insured, body=body, idempotency_key="partner-walk-1")
    again = declare.sync_detailed(client=insured, body=body, idempotency_key="partner-walk-1")
    claim = partner.typed(first, 201, "ClaimOut")
    assert partner.typed(again, 201, "ClaimOut").id == claim.id and again.headers["idempotent-replayed"] == "true"
    return claim


def _when_status(partner: Partner, client: Any, claim_id: Any, status: Any) -> Any:
    get_claim = partner.operation("claims", "get_claim")
    deadline = time.monotonic() + 20
    while True:
        read = get_claim.sync_detailed(claim_id, client=client)
        if partner.typed(read, 200, "ClaimOut").status == status or time.monotonic() > deadline:
            assert read.parsed.status == status
            return read
        time.sleep(0.2)


def _indemnity_and_recovery(partner: Partner, handler: Any, claim_id: Any, day: Any) -> None:
    """Paid once (201; asked again, 200 with the same indemnity), then a recovery shared by the cover's ratio."""
    m, op = partner.models, partner.operation
    pay = op("claims", "pay_indemnity")
    paid = partner.typed(pay.sync_detailed(claim_id, client=handler), 201, "IndemnityOut")
    # A: 9,000 unpaid -> 7,500 net; B: 5,000 net; limit 10,000 -> 7,500 + 2,500; x 0.90 - 500 = 8,500.
    assert (paid.eligible_loss, paid.amount) == ("10000.00", "8500.00")
    assert {line.rule for line in paid.breakdown} >= {"percentage_of_cover", "deductible"}
    assert partner.typed(pay.sync_detailed(claim_id, client=handler), 200, "IndemnityOut").amount == paid.amount
    read = partner.typed(op("claims", "get_indemnity").sync_detailed(claim_id, client=handler), 200, "IndemnityOut")
    assert read.breakdown == paid.breakdown
    recovery = op("claims", "record_recovery").sync_detailed(
        claim_id, client=handler, body=m.RecoveryIn.from_dict({"amount": "1000.00", "received_on": day(100)})
    )
    shared = partner.typed(recovery, 201, "RecoveryOut")
    assert (shared.insurer_share, shared.insured_share) == ("850.00", "150.00")
