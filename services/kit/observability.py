"""Request ids, access lines, Prometheus metrics and health probes (pure ASGI, no BaseHTTPMiddleware)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from opentelemetry.trace import Tracer
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kit.logs import RequestContext, current_request, log_request, trace_id_of
from services.kit.tracing import describe_served, server_span

REQUEST_ID_HEADER = b"x-request-id"
TRACEPARENT_HEADER = b"traceparent"


def _valid_request_id(raw: bytes) -> bool:
    return 0 < len(raw) <= 128 and all(32 < byte < 127 for byte in raw)


class RequestIdMiddleware:
    """Take X-Request-ID from the caller (or make one), expose it in scope state and to the request's log lines, and
    echo it back."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = b""
        traceparent = b""
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                raw = value
            elif name == TRACEPARENT_HEADER:
                traceparent = value
        request_id = raw.decode() if _valid_request_id(raw) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        current_request.set(RequestContext(self.service, request_id, trace_id_of(traceparent)))
        encoded = request_id.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != REQUEST_ID_HEADER]
                headers.append((REQUEST_ID_HEADER, encoded))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


class Metrics:
    """The Prometheus collectors of one app (its own registry, so apps can share a process): requests, and what
    an operator pages on besides (deploy/monitoring/alerts.yaml): the outbox, background jobs, webhooks."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.outbox_settled = Counter(
            "outbox_events_settled_total",
            "Outbox events the relay tried, by outcome (delivered, retry, parked)",
            ["service", "outcome"],
            registry=registry,
        )
        self.relay_last_pass = Gauge(
            "outbox_relay_last_pass_timestamp_seconds",
            "When the relay last finished a pass without failing (Unix time)",
            ["service"],
            registry=registry,
        )
        self.outbox_pending = Gauge(
            "outbox_pending_events", "Events not delivered yet, parked ones aside", ["service"], registry=registry
        )
        self.outbox_parked = Gauge(
            "outbox_parked_events", "Events a subscriber refused, kept for an operator", ["service"], registry=registry
        )
        self.outbox_oldest_age = Gauge(
            "outbox_oldest_pending_age_seconds",
            "Age of the oldest event not delivered yet (0 when none)",
            ["service"],
            registry=registry,
        )
        self.database_up = Gauge(
            "database_up", "1 when the service's database answered the last scrape", ["service"], registry=registry
        )
        self.job_runs = Counter(
            "background_job_runs_total",
            "Runs of a background job, by outcome",
            ["service", "job", "outcome"],
            registry=registry,
        )
        self.job_last_success = Gauge(
            "background_job_last_success_timestamp_seconds",
            "When a background job last ran to its end (Unix time)",
            ["service", "job"],
            registry=registry,
        )
        self.webhook_deliveries = Counter(
            "webhook_deliveries_total",
            "Attempts to deliver a webhook, by outcome (delivered, retry, exhausted, gone)",
            ["service", "outcome"],
            registry=registry,
        )
        self.requests = Counter(
            "http_requests_total", "HTTP requests", ["service", "method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["service", "method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.service = service

    def job_ran(self, job: str, *, succeeded: bool) -> None:
        self.job_runs.labels(self.service, job, "succeeded" if succeeded else "failed").inc()
        if succeeded:
            self.job_last_success.labels(self.service, job).set(time.time())

    def render(self) -> bytes:
        return generate_latest(self.registry)


def route_of(scope: Scope) -> str:
    """The request's route template (a proxy's label for what it relays), so labels and lines stay few."""
    route = scope.get("route")
    if route is not None:
        return str(getattr(route, "path", "unmatched"))
    return str(scope.get("state", {}).get("route_label", "unmatched"))


class RequestTelemetry:
    """Count, time and log each request by route template: its metrics, its one access line and, when tracing is
    on, its server span."""

    def __init__(self, app: ASGIApp, metrics: Metrics, tracer: Tracer | None = None) -> None:
        self.app = app
        self.metrics = metrics
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with server_span(self.tracer, scope) as span:
            try:
                await self.app(scope, receive, send_and_note)
            finally:
                method, template = scope["method"], route_of(scope)
                seconds = time.perf_counter() - started
                if span is not None:
                    describe_served(span, method=method, route=template, status=status)
                self.metrics.requests.labels(self.metrics.service, method, template, str(status)).inc()
                self.metrics.latency.labels(self.metrics.service, method, template).observe(seconds)
                log_request(method=method, route=template, status=status, seconds=seconds)


ReadinessCheck = Callable[[Any], Awaitable[None]]
ScrapeRefresh = Callable[[Any], Awaitable[None]]


def health_router(readiness: ReadinessCheck) -> APIRouter:
    """/healthz (process alive), /readyz (dependencies usable), /metrics (Prometheus)."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", include_in_schema=False)
    async def readyz(request: Request, response: Response) -> dict[str, str]:
        try:
            await readiness(request.app)
        except Exception as exc:  # any failure means not ready; say which
            response.status_code = 503
            return {"status": "not ready", "reason": f"{type(exc).__name__}: {exc}"[:300]}
        return {"status": "ready"}

    @router.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        refresh: ScrapeRefresh | None = getattr(request.app.state, "refresh_metrics", None)
        if refresh is not None:
            await refresh(request.app)  # gauges read from the database at scrape time
        return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return router
