"""Debtors service: the debtor registry, credit limits, exposure and collective procedures."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from fastapi import FastAPI

from services.debtors.adapters.policies import PolicyBook
from services.debtors.adapters.tables import idempotency_keys, outbox
from services.debtors.api.routes import routers
from services.debtors.config import DebtorsSettings
from services.kit.app import build_service_app
from services.kit.clock import Clock
from services.kit.links import Link

# A registered debtor leads to its reads and procedure; a requested limit to its read and decision.
LINKS = [
    *(
        Link("POST /v1/debtors", target, "debtor_id")
        for target in (
            "GET /v1/debtors/{debtor_id}",
            "GET /v1/debtors/{debtor_id}/procedure",
            "GET /v1/debtors/{debtor_id}/exposure",
            "POST /v1/debtors/{debtor_id}/procedure-events",
        )
    ),
    Link("POST /v1/credit-limits", "GET /v1/credit-limits/{limit_id}", "limit_id"),
    Link("POST /v1/credit-limits", "POST /v1/credit-limits/{limit_id}/decision", "limit_id"),
]


async def _open_policy_book(app: FastAPI) -> None:
    app.state.policy_book = PolicyBook(app.state.upstreams["policies"])


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
        links=LINKS,
        on_start=[_open_policy_book],
    )
