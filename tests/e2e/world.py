"""Policies, debtors and limits made through the gateway, as the demo clients would: the setting of e2e tests."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.e2e.conftest import token
from tests.shared.builders import policy_body, siren


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


def eventually(check: Callable[[], Any], *, within: float = 30.0) -> Any:
    """The check's first truthy value, tried every 0.2 s; its last value when `within` seconds have passed."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


class World:
    """Policies, debtors and limits made through the gateway, as the demo clients would."""

    def __init__(self, gateway: httpx.Client, people: dict[str, dict[str, str]]) -> None:
        self.gateway, self.people = gateway, people

    @functools.cached_property
    def today(self) -> str:
        """The sandbox's business date (a suite in sandbox mode only)."""
        return str(ok(self.gateway.get("/v1/sandbox/clock", headers=token(self.gateway, "demo-admin")))["today"])

    def policy(self, number: str, insured_id: str) -> str:
        body = policy_body(number=number, insured_id=insured_id, start_date="2026-01-01", end_date="2028-12-31")
        created = self.gateway.post("/v1/policies", json=body, headers=self.people["underwriter"])
        headers = {**self.people["underwriter"], "If-Match": created.headers["ETag"]}
        ok(self.gateway.patch(created.headers["Location"], json={"status": "active"}, headers=headers))
        return str(created.json()["id"])

    def debtor(self, number: int, who: str = "insured") -> str:
        body = {"legal_name": f"Buyer {number}", "country": "FR", "siren": siren(number)}
        answer = self.gateway.post("/v1/debtors", json=body, headers=self.people[who])
        return str(answer.json().get("existing_debtor_id") or ok(answer, 201)["id"])

    def limit_granted(self, policy_id: str, debtor_id: str, who: str = "insured") -> str:
        body = {"policy_id": policy_id, "debtor_id": debtor_id, "amount": "10000.00", "currency": "EUR"}
        requested = self.gateway.post("/v1/credit-limits", json=body, headers=self.people[who])
        headers = {**self.people["underwriter"], "If-Match": requested.headers["ETag"]}
        decision = {"decision": "granted", "reason": "accounts 2025"}
        ok(self.gateway.post(f"{requested.headers['Location']}/decision", json=decision, headers=headers))
        return str(requested.json()["id"])
