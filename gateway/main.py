"""The gateway: the only public entry point. Tokens, routing, one OpenAPI; no business rules."""

from __future__ import annotations

import asyncio
import gc
import secrets
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway import sandbox
from gateway.clients import load_clients
from gateway.config import GatewaySettings
from gateway.docs import install_docs
from gateway.proxy import Proxy
from gateway.ratelimit import RateLimit
from gateway.token import router as token_router
from services.kit.auth import TokenIssuer, TokenVerifier
from services.kit.clock import Clock, SandboxClock, SystemClock, wall_clock
from services.kit.identity_provider import identity_provider_from
from services.kit.logs import configure_logging
from services.kit.observability import Metrics, RequestIdMiddleware, RequestTelemetry
from services.kit.problems import install_problem_handlers
from services.kit.secrets import hash_secret, hashing_threads
from services.kit.throttle import FailedLogins, Limits
from services.kit.tracing import traced, tracing_for
from services.kit.upstream import Upstream, upstream_client, upstream_transport


def _public_key_of(private_pem: str) -> str:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


class _ProxiedRoute:
    """What the metrics see for a proxied request: its first path segment."""

    def __init__(self, path: str) -> None:
        self.path = path


class Dispatcher:
    """/v1/* goes straight to the proxy; everything else (token, probes, docs, a sandbox's clock) to the FastAPI app."""

    def __init__(self, api: FastAPI, proxy: Proxy, *, own: tuple[str, ...] = ()) -> None:
        self.api = api
        self.proxy = proxy
        self.own = own

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith("/v1/") and not (self.own and path.startswith(self.own)):
            segment = scope["path"][4:].split("/", 1)[0]
            scope["route"] = _ProxiedRoute(f"/v1/{segment}")
            await self.proxy(scope, receive, send)
            return
        await self.api(scope, receive, send)


def create_app(
    settings: GatewaySettings | None = None,
    clock: Clock | None = None,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
) -> ASGIApp:
    """The gateway ASGI app; `transports` lets tests route upstream calls in process."""
    settings = settings or GatewaySettings()
    configure_logging("gateway", settings)
    if clock is None:
        clock = SandboxClock(offset_days=settings.sandbox_offset_days) if settings.sandbox else SystemClock()
    transports = transports or {}
    private_pem = settings.private_key_pem()
    verifier = TokenVerifier(
        _public_key_of(private_pem),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        idp=identity_provider_from(settings),
    )
    upstreams: dict[str, Upstream] = {}

    lifespan = _lifespan(settings, transports, upstreams)

    api = FastAPI(
        # A path with a stray slash is not found: a redirect would name this process's own address.
        redirect_slashes=False,
        title="credit-claims gateway",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    api.state.settings = settings
    api.state.clock = clock
    api.state.token_verifier = verifier
    api.state.clients = load_clients(settings.clients_file)
    _install_token_state(api, settings, private_pem, clock=clock)
    api.state.upstreams = upstreams
    api.state.metrics = Metrics("gateway")
    api.state.tracing = tracing_for("gateway", settings)
    api.state.merged_openapi = None
    install_problem_handlers(api)
    api.include_router(token_router)
    if settings.sandbox:
        api.state.sandbox_lock = asyncio.Lock()
        api.include_router(sandbox.router)
    _add_operations_routes(api, settings, upstreams)

    proxy = _proxy(settings, upstreams, verifier, clock=clock)
    own = (sandbox.router.prefix + "/",) if settings.sandbox else ()
    served = RequestTelemetry(Dispatcher(api, proxy, own=own), api.state.metrics, api.state.tracing.tracer)
    return RequestIdMiddleware(served, service="gateway")


def _lifespan(
    settings: GatewaySettings, transports: Mapping[str, httpx.AsyncBaseTransport], upstreams: dict[str, Upstream]
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Open one shared client per upstream and the secret-hashing threads; close them at the end."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.hashing = await hashing_threads(settings.token_hashing_concurrency, app.state.dummy_secret_hash)
        tracer = app.state.tracing.tracer
        for name, url in settings.upstreams().items():
            transport = transports.get(name) or upstream_transport(max_connections=settings.max_upstream_connections)
            transport = traced(transport, tracer, name)
            client = upstream_client(
                url, transport=transport, timeout=settings.upstream_timeout, connect_timeout=settings.connect_timeout
            )
            upstreams[name] = Upstream(name, client, transport)
        # What start-up built lives as long as the process: the collector need not scan it again and again.
        gc.freeze()
        try:
            yield
        finally:
            await asyncio.gather(*(upstream.client.aclose() for upstream in upstreams.values()))
            upstreams.clear()
            app.state.hashing.shutdown(wait=False)
            app.state.tracing.shutdown()

    return lifespan


def _install_token_state(api: FastAPI, settings: GatewaySettings, private_pem: str, *, clock: Clock) -> None:
    """The token endpoint's state: the dummy hash unknown clients are checked against, failure counters, issuer."""
    api.state.dummy_secret_hash = hash_secret(secrets.token_urlsafe(16))
    api.state.secrets_waiting = 0
    limits = Limits(
        per_client_and_address=settings.token_failures_per_client_and_address,
        per_address=settings.token_failures_per_address,
        per_client=settings.token_failures_per_client,
        in_flight_per_client=settings.token_attempts_in_flight_per_client,
        window=settings.token_failure_window_seconds,
    )
    api.state.failed_logins = FailedLogins(limits, clock=wall_clock(clock))
    api.state.token_issuer = TokenIssuer(
        private_pem,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=timedelta(seconds=settings.token_ttl_seconds),
    )


def _proxy(
    settings: GatewaySettings, upstreams: dict[str, Upstream], verifier: TokenVerifier, *, clock: Clock
) -> Proxy:
    """The forwarding of /v1 to the services, with the body limits, the retry advice and the rate limit."""
    return Proxy(
        upstreams=upstreams,
        verifier=verifier,
        clock=wall_clock(clock),
        max_body=settings.max_body_bytes,
        bulk_limits={path: settings.max_bulk_body_bytes for path in settings.bulk_paths},
        retry_after=settings.retry_after_seconds,
        max_upstream_body=settings.max_upstream_body_bytes,
        rate_limit=RateLimit(
            per_second=settings.rate_limit_per_second, burst=settings.rate_limit_burst, clock=wall_clock(clock)
        ),
    )


def _add_operations_routes(api: FastAPI, settings: GatewaySettings, upstreams: dict[str, Upstream]) -> None:
    @api.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        async def probe(name: str, client: httpx.AsyncClient) -> tuple[str, str]:
            try:
                response = await client.get("/readyz", timeout=2.0)
            except httpx.HTTPError as exc:
                return name, f"unreachable ({type(exc).__name__})"
            return name, "ready" if response.status_code == 200 else f"not ready ({response.status_code})"

        results = dict(await asyncio.gather(*(probe(name, upstream.client) for name, upstream in upstreams.items())))
        ready = all(state == "ready" for state in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "services": results}, status_code=200 if ready else 503
        )

    @api.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    if settings.docs_enabled:
        install_docs(api, upstreams)
