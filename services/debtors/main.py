"""Debtors service: the debtor registry, credit limits, exposure and collective procedures."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from fastapi import FastAPI

from services.debtors.adapters.tables import idempotency_keys, outbox
from services.debtors.api.routes import routers
from services.debtors.config import DebtorsSettings
from services.kit.app import build_service_app
from services.kit.clock import Clock


def create_app(
    settings: DebtorsSettings | None = None,
    clock: Clock | None = None,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
) -> FastAPI:
    settings = settings or DebtorsSettings()
    return build_service_app(
        service="debtors",
        title="credit-claims debtors",
        description="Debtor registry, credit limits, exposure, and collective procedures from the BODACC.",
        settings=settings,
        routers=routers,
        clock=clock,
        upstreams={"policies": settings.policies_url},
        transports=transports,
        outbox=outbox,
        idempotency=idempotency_keys,
    )
