"""Debtors service: the debtor registry, credit limits, exposure and collective procedures."""

from __future__ import annotations

from fastapi import FastAPI

from services.debtors.config import DebtorsSettings
from services.kit.app import build_service_app
from services.kit.clock import Clock


def create_app(settings: DebtorsSettings | None = None, clock: Clock | None = None) -> FastAPI:
    return build_service_app(
        service="debtors",
        title="credit-claims debtors",
        description="Debtor registry, credit limits, exposure, and collective procedures from the BODACC.",
        settings=settings or DebtorsSettings(),
        routers=[],
        clock=clock,
    )
