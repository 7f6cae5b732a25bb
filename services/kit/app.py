"""The app factory every service uses: database, auth, errors, probes, metrics."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy import Table, text

from services.kit.auth import TokenVerifier
from services.kit.clock import Clock, SandboxClock, SystemClock, wall_clock
from services.kit.database_guard import DatabaseGuard
from services.kit.db import BeforeCommit, Database
from services.kit.dependencies import known_query_only
from services.kit.idempotency import IdempotencyMiddleware
from services.kit.identity_provider import identity_provider_from
from services.kit.links import Link, add_links
from services.kit.logs import configure_logging
from services.kit.observability import Metrics, RequestIdMiddleware, RequestTelemetry, health_router
from services.kit.outbox import Outbox, Relay, Subscriptions, backlog_of
from services.kit.problems import PROBLEM_SCHEMA, install_problem_handlers, problem_responses
from services.kit.sandbox import DaysPassed, sandbox_router
from services.kit.schema_version import migration_head, upgrade_to_head, version_table
from services.kit.schemas import LINE_PATTERN
from services.kit.settings import ServiceSettings
from services.kit.tracing import traced, tracing_for
from services.kit.upstream import Upstream, upstream_client, upstream_transport


def build_service_app(
    *,
    service: str,
    title: str,
    description: str,
    settings: ServiceSettings,
    routers: Sequence[APIRouter],
    clock: Clock | None = None,
    upstreams: Mapping[str, str] | None = None,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    outbox: Table | None = None,
    idempotency: Table | None = None,
    background: Sequence[Callable[[FastAPI], Awaitable[None]]] = (),
    links: Sequence[Link] = (),
    days_passed: DaysPassed | None = None,
    before_commit: Callable[[FastAPI], Sequence[BeforeCommit]] | None = None,
    on_start: Sequence[Callable[[FastAPI], Awaitable[None]]] = (),
) -> FastAPI:
    """A service app whose database, upstream clients and outbox relay live as long as the process.

    `transports` lets tests route upstream calls ("events" for the relay) in process. In sandbox mode the
    business clock is the gateway's to move; `days_passed` is what the service does for the days it skips.
    `before_commit` gives, for the app, what every writing transaction does just before it commits; `on_start`
    runs once the database is open, before the first request is served.
    """
    lifespan = _lifespan(
        service,
        settings,
        upstreams=upstreams or {},
        transports=transports or {},
        outbox=outbox,
        background=background,
        before_commit=before_commit,
        on_start=on_start,
    )

    app = FastAPI(
        # A path with a stray slash is not found: a redirect would name this process's own address.
        redirect_slashes=False,
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/docs" if settings.docs_enabled else None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
        dependencies=[Depends(known_query_only)],
    )
    configure_logging(service, settings)
    _install_state(app, service, settings, clock=clock, outbox=outbox)
    install_problem_handlers(app)
    app.include_router(health_router(_readiness(service)))
    for router in routers:
        app.include_router(router)
    if settings.sandbox:
        app.include_router(sandbox_router(days_passed))
    app.openapi = lambda: _openapi_with_problems(app, links)  # type: ignore[method-assign]
    _install_middleware(app, settings, idempotency=idempotency)
    return app


def _refresh_metrics(outbox: Table | None) -> Callable[[FastAPI], Awaitable[None]]:
    """At each scrape: whether the database answers, and the outbox's backlog (what `outbox stuck` pages on)."""

    async def refresh(app: FastAPI) -> None:
        metrics: Metrics = app.state.metrics
        try:
            if outbox is None:
                async with app.state.db.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            else:
                backlog = await backlog_of(app.state.db, outbox)
                oldest = (app.state.clock.now() - backlog.oldest).total_seconds() if backlog.oldest else 0.0
                metrics.outbox_pending.labels(metrics.service).set(backlog.pending)
                metrics.outbox_parked.labels(metrics.service).set(backlog.parked)
                metrics.outbox_oldest_age.labels(metrics.service).set(max(oldest, 0.0))
        except Exception:  # a scrape must answer: the database being down is the figure to report
            metrics.database_up.labels(metrics.service).set(0)
        else:
            metrics.database_up.labels(metrics.service).set(1)

    return refresh


def _readiness(service: str) -> Callable[[FastAPI], Awaitable[None]]:
    """Ready when the database is at the migration head this code expects."""
    head = migration_head(service)

    async def ready(app: FastAPI) -> None:
        async with app.state.db.engine.connect() as conn:
            current = (await conn.execute(text(f"SELECT version_num FROM {version_table(service)}"))).scalar()
        if current != head:
            raise RuntimeError(f"database at revision {current}, code expects {head}")

    return ready


def _install_state(
    app: FastAPI, service: str, settings: ServiceSettings, *, clock: Clock | None, outbox: Table | None
) -> None:
    """What every request of the process shares: settings, the business clock, the token verifier, metrics."""
    app.state.settings = settings
    if clock is None:
        clock = SandboxClock(offset_days=settings.sandbox_offset_days) if settings.sandbox else SystemClock()
    app.state.clock = clock
    app.state.token_verifier = TokenVerifier(
        settings.public_key_pem(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        idp=identity_provider_from(settings),
    )
    app.state.metrics = Metrics(service)
    app.state.tracing = tracing_for(service, settings)
    app.state.refresh_metrics = _refresh_metrics(outbox)
    app.state.clock_lock = asyncio.Lock()  # a sandbox move and a scheduled job do not interleave
    if outbox is not None:
        app.state.outbox = Outbox(outbox, Subscriptions(settings.subscribers), schedule=wall_clock(clock))


def _install_middleware(app: FastAPI, settings: ServiceSettings, *, idempotency: Table | None) -> None:
    """Pure ASGI middleware, the first added innermost: idempotency, the database guard, metrics, request ids."""
    if idempotency is not None:
        app.add_middleware(
            IdempotencyMiddleware, table=idempotency, lease=timedelta(seconds=settings.idempotency_lease_seconds)
        )
    app.add_middleware(DatabaseGuard)
    app.add_middleware(RequestTelemetry, metrics=app.state.metrics, tracer=app.state.tracing.tracer)
    app.add_middleware(RequestIdMiddleware, service=app.state.metrics.service)


def _lifespan(
    service: str,
    settings: ServiceSettings,
    *,
    upstreams: Mapping[str, str],
    transports: Mapping[str, httpx.AsyncBaseTransport],
    outbox: Table | None,
    background: Sequence[Callable[[FastAPI], Awaitable[None]]],
    before_commit: Callable[[FastAPI], Sequence[BeforeCommit]] | None,
    on_start: Sequence[Callable[[FastAPI], Awaitable[None]]],
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Open the database, the upstream clients, the background jobs and the outbox relay; close them at the end."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tracer = app.state.tracing.tracer
        if settings.migrate_on_start:
            await asyncio.to_thread(upgrade_to_head, service, settings.database_url)
        app.state.db = Database(
            settings.database_url,
            pool_size=settings.db_pool_size,
            echo=settings.sql_echo,
            timeout=settings.db_timeout_seconds,
            before_commit=before_commit(app) if before_commit else (),
            tracer=tracer,
        )
        clients: dict[str, httpx.AsyncClient] = {}
        app.state.upstreams = {}
        for name, url in upstreams.items():
            transport = transports.get(name) or upstream_transport(max_connections=settings.upstream_max_connections)
            transport = traced(transport, tracer, name)
            clients[name] = upstream_client(url, transport=transport)
            app.state.upstreams[name] = Upstream(name, clients[name], transport)
        for step in on_start:
            await step(app)
        tasks: list[asyncio.Future[None]] = [asyncio.ensure_future(job(app)) for job in background]
        if outbox is not None:
            events = transports.get("events") or upstream_transport()
            clients["events"] = upstream_client(
                "http://events.invalid", transport=traced(events, tracer, "events"), timeout=5.0
            )
            tasks += _start_relay(app, settings, outbox, clients["events"])
        # What start-up built lives as long as the process: without this, every full collection scans it
        # again (about 130,000 objects; 160 ms on the benchmark machine, a request stalled behind it).
        gc.freeze()
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for client in clients.values():
                await client.aclose()
            await app.state.db.dispose()
            app.state.tracing.shutdown()

    return lifespan


def _start_relay(
    app: FastAPI, settings: ServiceSettings, outbox: Table, client: httpx.AsyncClient
) -> list[asyncio.Future[None]]:
    """The outbox relay of the process; its loop runs only where the service has subscribers."""
    app.state.relay = Relay(
        database=app.state.db,
        table=outbox,
        client=client,
        clock=wall_clock(app.state.clock),
        internal_token=settings.internal_token,
        lease=timedelta(seconds=settings.relay_lease_seconds),
        per_request=settings.relay_events_per_request,
        metrics=app.state.metrics,
        tracer=app.state.tracing.tracer,
    )
    if settings.relay_enabled and settings.subscribers:
        return [asyncio.ensure_future(app.state.relay.run_forever(settings.relay_poll_seconds))]
    return []


ANSWER_HEADERS = {
    "Location": {"description": "Where the resource created (or concerned) is read", "schema": {"type": "string"}},
    "ETag": {"description": "The resource's version, to send as If-Match with a change", "schema": {"type": "string"}},
    "Idempotent-Replayed": {
        "description": "true when this is the stored answer to a repeated Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]},
    },
}


def _answer_headers(path: str, method: str, responses: dict[str, Any]) -> None:
    """The headers a client reads on success: Location on 201; ETag on a resource (read, created or changed, never
    a list); a replay's mark on a POST's answer."""
    one_resource = path.endswith("}") or "412" in responses
    for status, response in responses.items():
        if not status.startswith("2"):
            continue
        headers = response.setdefault("headers", {})
        if status == "201":
            headers["Location"] = ANSWER_HEADERS["Location"]
        if one_resource or status == "201":
            headers["ETag"] = ANSWER_HEADERS["ETag"]
        if method == "post":
            headers["Idempotent-Replayed"] = ANSWER_HEADERS["Idempotent-Replayed"]


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Send one (a UUID) to retry safely: the same key and body within 24 hours get the first answer "
    "again (Idempotent-Replayed: true); the same key with another request is 422 IDEMPOTENCY_KEY_REUSED; while "
    "the first is still running, 409 IDEMPOTENCY_KEY_IN_FLIGHT.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    "example": "5f0c8e1a-2b7d-4c39-9e4f-7a1d3b6c2e90",
}


def _idempotency_key(path: str, method: str, operation: dict[str, Any], responses: dict[str, Any]) -> None:
    """Every public POST takes an Idempotency-Key (kit.idempotency), and may answer what a reused one gets."""
    if method != "post" or path.startswith("/internal/"):
        return
    operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
    for status, response in problem_responses(400, 409, 422).items():
        responses.setdefault(str(status), response)


def _if_match_required(operation: dict[str, Any], responses: dict[str, Any]) -> None:
    """Where a missing If-Match answers 428, the header is required: say so (the server checks it itself, to
    answer 428 with the current ETag rather than a validation error)."""
    if "428" not in responses:
        return
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header" and parameter.get("name", "").lower() == "if-match":
            parameter["required"] = True
            parameter["schema"] = {"type": "string", "description": "The ETag of the resource as last read"}


def _queries_are_lines(operation: dict[str, Any]) -> None:
    """A text query parameter is one line: say so in its schema, as known_query_only enforces it."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "query":
            continue
        options = parameter.get("schema", {}).get("anyOf") or [parameter.get("schema", {})]
        for option in options:
            if option.get("type") == "string" and not {"pattern", "enum", "format"} & set(option):
                option["pattern"] = LINE_PATTERN


def _body_example(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """A JSON body shows its model's example (the first variant's, for a choice of bodies), where docs, generated
    clients and fuzzers look first."""
    for media in operation.get("requestBody", {}).get("content", {}).values():
        schema = media.get("schema", {})
        choices = schema.get("oneOf") or schema.get("anyOf") or [schema]
        for choice in choices:
            examples = schemas.get(choice.get("$ref", "").rsplit("/", 1)[-1], {}).get("examples")
            if examples and "example" not in media:
                media["example"] = examples[0]


def _openapi_with_problems(app: FastAPI, links: Sequence[Link]) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
    for path, path_item in schema.get("paths", {}).items():
        for method, operation in path_item.items():
            operation.setdefault("security", [{"bearer": []}])
            _queries_are_lines(operation)
            _body_example(operation, components["schemas"])
            responses = operation.get("responses", {})
            _if_match_required(operation, responses)
            _idempotency_key(path, method, operation, responses)
            _answer_headers(path, method, responses)
            # FastAPI's default 422 schema is not what we send: point it at Problem.
            if "422" in responses:
                responses["422"] = {
                    "description": "Validation failed or a business rule refuses the request",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                }
    for unused in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(unused, None)
    add_links(schema, links)
    app.openapi_schema = schema
    return schema
