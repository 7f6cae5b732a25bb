"""Claims service: declarations, the claim lifecycle, indemnities and recoveries."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from fastapi import FastAPI

from services.claims.adapters.tables import idempotency_keys, outbox
from services.claims.api import collection, routes
from services.claims.config import ClaimsSettings
from services.claims.service_layer import worklist
from services.claims.service_layer.status_events import published
from services.claims.service_layer.sweeps import scheduled_sweep, sweep_days_passed
from services.kit.app import build_service_app
from services.kit.clock import Clock
from services.kit.links import Link

# A declared claim leads to its reads and to the facts an insured records on it.
LINKS = [
    Link("POST /v1/claims", target, "claim_id")
    for target in (
        "GET /v1/claims/{claim_id}",
        "GET /v1/claims/{claim_id}/timeline",
        "GET /v1/claims/{claim_id}/collection",
        "POST /v1/claims/{claim_id}/payments-received",
        "POST /v1/claims/{claim_id}/collection-actions",
    )
]


def create_app(
    settings: ClaimsSettings | None = None,
    clock: Clock | None = None,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
) -> FastAPI:
    settings = settings or ClaimsSettings()
    basis_of = lambda app: worklist.Basis(app.state.clock, settings.collection)  # noqa: E731
    background = [worklist.kept_current(basis_of, every_seconds=settings.worklist_catch_up_seconds)]
    if settings.sweep_every_seconds > 0:
        background.append(scheduled_sweep(settings.sweep_every_seconds))
    return build_service_app(
        service="claims",
        title="credit-claims claims",
        description="Declarations of default, the claim lifecycle, indemnities paid once, recoveries shared.",
        settings=settings,
        routers=[*routes.routers, collection.router],
        clock=clock,
        upstreams={"policies": settings.policies_url, "debtors": settings.debtors_url},
        transports=transports,
        outbox=outbox,
        background=background,
        idempotency=idempotency_keys,
        links=LINKS,
        days_passed=sweep_days_passed,
        before_commit=lambda app: [worklist.kept_in_step(basis_of(app)), published(lambda: app.state.outbox)],
        on_start=[worklist.adopted(basis_of)],
    )
