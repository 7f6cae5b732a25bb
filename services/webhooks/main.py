"""Webhooks service: partners' endpoints, the messages owed to them, signed deliveries with retries."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from services.kit.app import build_service_app
from services.kit.clock import Clock, wall_clock
from services.kit.events import events_router
from services.kit.links import Link
from services.webhooks.adapters.repository import WebhooksUnitOfWork
from services.webhooks.adapters.tables import idempotency_keys
from services.webhooks.api.routes import router
from services.webhooks.config import WebhooksSettings
from services.webhooks.service_layer import fanout
from services.webhooks.service_layer.delivery import Rules, worker

LINKS = [
    Link("POST /v1/webhook-endpoints", target, "endpoint_id")
    for target in (
        "GET /v1/webhook-endpoints/{endpoint_id}",
        "PATCH /v1/webhook-endpoints/{endpoint_id}",
        "GET /v1/webhook-endpoints/{endpoint_id}/deliveries",
        "POST /v1/webhook-endpoints/{endpoint_id}/secret-rotations",
    )
]


def create_app(settings: WebhooksSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or WebhooksSettings()
    rules = Rules(
        concurrency=settings.delivery_concurrency,
        deadline=settings.delivery_timeout_seconds,
        # A message is leased longer than its attempt may last: no other worker takes it while it is tried.
        lease=timedelta(seconds=max(settings.delivery_lease_seconds, settings.delivery_timeout_seconds + 1)),
        time_scale=settings.retry_time_scale,
        public_only=not settings.sandbox,
    )
    background = []
    if settings.delivery_enabled:
        background.append(
            worker(
                every_seconds=settings.delivery_poll_seconds,
                rules=rules,
                clock_of=lambda app: wall_clock(app.state.clock).now,
            )
        )
    return build_service_app(
        service="webhooks",
        title="credit-claims webhooks",
        description="Partners' webhook endpoints; events signed (Standard Webhooks) and delivered with retries.",
        settings=settings,
        routers=[router, events_router(WebhooksUnitOfWork, fanout.handle)],
        clock=clock,
        background=background,
        idempotency=idempotency_keys,
        links=LINKS,
    )
