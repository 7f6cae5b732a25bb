"""Policies service: policies and their terms, the cover check, the liability ledger."""

from __future__ import annotations

from fastapi import FastAPI

from services.kit.app import build_service_app
from services.kit.clock import Clock
from services.kit.links import Link
from services.policies.adapters.tables import idempotency_keys
from services.policies.api.routes import internal, router
from services.policies.config import PoliciesSettings

# A created policy leads to its reads, its activation and its cover checks.
LINKS = [
    Link("POST /v1/policies", target, "policy_id")
    for target in (
        "GET /v1/policies/{policy_id}",
        "PATCH /v1/policies/{policy_id}",
        "POST /v1/policies/{policy_id}/cover-checks",
        "GET /v1/policies/{policy_id}/liability",
    )
]


def create_app(settings: PoliciesSettings | None = None, clock: Clock | None = None) -> FastAPI:
    return build_service_app(
        service="policies",
        title="credit-claims policies",
        description="Policies and their terms, the cover check, and the policy-year liability ledger.",
        settings=settings or PoliciesSettings(),
        routers=[router, internal],
        clock=clock,
        idempotency=idempotency_keys,
        links=LINKS,
    )
