"""`make fuzz`: schemathesis' CLI against a running suite (`make run`), as each demo client, every check.

A bigger budget than the CI test (tests/e2e/test_fuzz.py): FUZZ_EXAMPLES examples per operation (default
100), all phases (examples, coverage, fuzzing, stateful through the OpenAPI links). Settings and the
declared business answers are in schemathesis.toml. Before it starts, the run seeds resources of its own (an
active policy, debtors with a limit, claims open and in a liquidation) and gives their ids to schemathesis as
dictionaries, so that most requests reach the rules behind an existing resource rather than a 404. The sandbox
clock is left out: fuzzing it would move `make run`'s date years ahead. Exits non-zero on any failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from services.kit.settings import PROJECT_ROOT

GATEWAY = os.environ.get("GATEWAY_URL", "http://127.0.0.1:8000")
CALLERS = ("demo-admin", "demo-insured", "demo-handler", "demo-underwriter")
KNOWN = 0.8  # how often a generated id is one of the seeded resources'
BINDINGS = {
    "path.policy_id": "policies",
    "body.policy_id": "policies",
    "path.debtor_id": "debtors",
    "body.debtor_id": "debtors",
    "path.claim_id": "claims",
    "path.limit_id": "limits",
    "path.endpoint_id": "endpoints",
}


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


class Seeder:
    """Resources of INS-ACME (the demo insured) made through the API as its people would."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.tokens = {role: bearer(f"demo-{role}") for role in ("insured", "underwriter", "handler", "admin")}
        today = self.call("GET", "/v1/sandbox/clock", "admin").json()["today"]
        self.today = date.fromisoformat(today)

    def call(self, method: str, path: str, role: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[role]}", **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def day(self, offset: int) -> str:
        return (self.today + timedelta(days=offset)).isoformat()

    def policy(self) -> str:
        body = {
            "number": f"FUZZ-{int(time.time())}",
            "insured_id": "INS-ACME",
            "insured_name": "Acme Industries SAS",
            "insured_country": "FR",
            "currency": "EUR",
            "start_date": self.day(-200),
            "end_date": self.day(500),
            "terms": {"discretionary_limit": "20000.00", "max_liability": "1000000.00", "covered_countries": ["FR"]},
        }
        created = self.call("POST", "/v1/policies", "underwriter", json=body).raise_for_status()
        headers = {"If-Match": created.headers["ETag"]}
        self.call("PATCH", created.headers["Location"], "underwriter", json={"status": "active"}, headers=headers)
        return str(created.json()["id"])

    def debtor(self, siren: str) -> str:
        answer = self.call(
            "POST", "/v1/debtors", "insured", json={"legal_name": f"Fuzz {siren}", "country": "FR", "siren": siren}
        )
        if answer.status_code == 409:
            return str(answer.json()["existing_debtor_id"])
        return str(answer.raise_for_status().json()["id"])

    def limit(self, policy_id: str, debtor_id: str) -> str:
        body = {"policy_id": policy_id, "debtor_id": debtor_id, "amount": "15000.00", "currency": "EUR"}
        requested = self.call("POST", "/v1/credit-limits", "insured", json=body).raise_for_status()
        decision = {"decision": "granted", "reason": "seeded for fuzzing"}
        headers = {"If-Match": requested.headers["ETag"]}
        self.call("POST", f"{requested.headers['Location']}/decision", "underwriter", json=decision, headers=headers)
        return str(requested.json()["id"])

    def claim(self, policy_id: str, debtor_id: str) -> str | None:
        invoice = {
            "number": f"FZ-{debtor_id[:8]}",
            "invoice_date": self.day(-100),
            "due_date": self.day(-40),
            "amount": "6000.00",
            "vat_amount": "1000.00",
            "currency": "EUR",
        }
        body = {"policy_id": policy_id, "debtor_id": debtor_id, "invoices": [invoice]}
        answer = self.call("POST", "/v1/claims", "insured", json=body)
        if answer.status_code == 409 and answer.json().get("claim_id"):
            return str(answer.json()["claim_id"])  # the live claim on this buyer, from an earlier run
        return str(answer.json()["id"]) if answer.status_code == 201 else None

    def endpoint(self) -> str:
        body = {"url": "https://erp.acme.example/hooks", "event_types": ["claim.opened", "credit_limit.decided"]}
        answer = self.call("POST", "/v1/webhook-endpoints", "insured", json=body)
        if answer.status_code == 409:  # as many as an insured may have, from earlier runs: take one of them
            return str(self.call("GET", "/v1/webhook-endpoints", "insured").json()["items"][0]["id"])
        return str(answer.raise_for_status().json()["id"])

    def liquidation(self, debtor_id: str) -> None:
        judgment = {
            "procedure": "liquidation_judiciaire",
            "event": "opening",
            "judgment_date": self.day(0),
            "publication_date": self.day(0),
        }
        self.call("POST", f"/v1/debtors/{debtor_id}/procedure-events", "handler", json=judgment)


def seed(client: httpx.Client) -> dict[str, list[str]]:
    """Ids of resources that exist: one policy, three debtors (one in liquidation), their limits and claims, and a
    webhook endpoint."""
    seeder = Seeder(client)
    policy_id = seeder.policy()
    # Buyers of the fuzzing's own (the fuzzer records judgments on them): not those `make demo` walks.
    debtors = [seeder.debtor(siren) for siren in ("542051180", "383474814", "552081317")]
    limits = [seeder.limit(policy_id, debtor_id) for debtor_id in debtors]
    claims = [claim for claim in (seeder.claim(policy_id, debtor_id) for debtor_id in debtors[:2]) if claim]
    seeder.liquidation(debtors[1])
    endpoints = [seeder.endpoint()]
    return {"policies": [policy_id], "debtors": debtors, "limits": limits, "claims": claims, "endpoints": endpoints}


def config_with(known: dict[str, list[str]]) -> str:
    """schemathesis.toml, with the seeded ids as dictionaries the generated ids are drawn from."""
    lines = [(PROJECT_ROOT / "schemathesis.toml").read_text(), ""]
    for name, values in known.items():
        quoted = ", ".join(f'"{value}"' for value in values)
        lines.append(f"[dictionaries.{name}]\nvalues = [{quoted}]\n")
    lines.append("[parameters]")
    lines += [f'"{key}" = {{ dictionary = "{name}", probability = {KNOWN} }}' for key, name in BINDINGS.items()]
    return "\n".join(lines) + "\n"


def main() -> int:
    try:
        httpx.get(f"{GATEWAY}/readyz", timeout=5).raise_for_status()
    except httpx.HTTPError:
        print(f"No suite answers at {GATEWAY}: start it with `make run` first.", file=sys.stderr)
        return 2
    with httpx.Client(base_url=GATEWAY, timeout=30) as client:
        known = seed(client)
    print(f"Seeded: {', '.join(f'{len(ids)} {name}' for name, ids in known.items())}", flush=True)
    examples = os.environ.get("FUZZ_EXAMPLES", "100")
    failed = []
    with tempfile.TemporaryDirectory() as workdir:
        config = Path(workdir) / "schemathesis.toml"
        config.write_text(config_with(known))
        for client_id in CALLERS:
            print(f"\n== as {client_id}", flush=True)
            if run_as(client_id, config, examples) != 0:
                failed.append(client_id)
    if failed:
        print(f"\nFailures as: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"\nNo failure: every operation, every check, {examples} examples, as {', '.join(CALLERS)}.")
    return 0


def run_as(client_id: str, config: Path, examples: str) -> int:
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run"]
    command += [f"{GATEWAY}/openapi.json", "--checks", "all", "--max-examples", examples]
    command += ["--header", f"Authorization: Bearer {bearer(client_id)}"]
    command += ["--seed", os.environ.get("FUZZ_SEED", "20261126")]
    # Random moves of the sandbox's date would leave `make run` years ahead; tests cover the clock.
    command += ["--exclude-path-regex", "^/v1/sandbox/"]
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
