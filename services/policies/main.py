"""Policies service: policies and their terms, the cover check, the liability ledger."""

from __future__ import annotations

from fastapi import FastAPI

from services.kit.app import build_service_app
from services.kit.clock import Clock
from services.policies.adapters.tables import idempotency_keys
from services.policies.api.routes import router
from services.policies.config import PoliciesSettings


def create_app(settings: PoliciesSettings | None = None, clock: Clock | None = None) -> FastAPI:
    return build_service_app(
        service="policies",
        title="credit-claims policies",
        description="Policies and their terms, the cover check, and the policy-year liability ledger.",
        settings=settings or PoliciesSettings(),
        routers=[router],
        clock=clock,
        idempotency=idempotency_keys,
    )
