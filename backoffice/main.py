"""The back office's web application: a backend-for-frontend over the gateway's public API, no database."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backoffice.api import Problem, SessionEnded, SuiteApi
from backoffice.config import BackofficeSettings
from backoffice.pages import auth, bodacc, claims, debtors, limits, worklist
from backoffice.sessions import Sessions
from backoffice.users import load_people
from backoffice.web import HERE, CsrfRefused, LoginRequired, NotAllowed, cookie_name, login_redirect, templates
from services.kit.clock import Clock, SystemClock
from services.kit.logs import configure_logging
from services.kit.observability import Metrics, RequestIdMiddleware, RequestTelemetry, health_router
from services.kit.secrets import hash_secret, hashing_threads
from services.kit.throttle import FailedLogins, Limits
from services.kit.tracing import traced, tracing_for

log = logging.getLogger("credit_claims.backoffice")

# No page is framed, sniffed, cached or given a script, style or image from elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SecurityHeaders:
    """Pure ASGI: the headers above on every answer that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in self.headers if h[0] not in present)]
            await send(message)

        return await self.app(scope, receive, send_with_headers)


async def _gateway_ready(app: Any) -> None:
    (await app.state.api.client.get("/readyz", timeout=2.0)).raise_for_status()


def create_app(
    settings: BackofficeSettings | None = None,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    settings = settings or BackofficeSettings()
    configure_logging("backoffice", settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.hashing = await hashing_threads(settings.hashing_concurrency, app.state.dummy_hash)
        tracer = app.state.tracing.tracer
        to_gateway = traced(transport or httpx.AsyncHTTPTransport(), tracer, "gateway")
        async with httpx.AsyncClient(
            base_url=settings.gateway_url, timeout=settings.timeout_seconds, transport=to_gateway
        ) as client:
            app.state.api = SuiteApi(client, client_id=settings.client_id, client_secret=settings.secret())
            yield
        app.state.hashing.shutdown(wait=False)
        app.state.tracing.shutdown()

    app = FastAPI(title="credit-claims back office", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings, app.state.clock = settings, clock or SystemClock()
    app.state.people = load_people(settings.users_file)
    app.state.dummy_hash = hash_secret(secrets.token_urlsafe(16))
    app.state.sessions = Sessions(
        idle=timedelta(minutes=settings.idle_timeout_minutes),
        lifetime=timedelta(hours=settings.session_hours),
        bound=settings.max_sessions,
    )
    login_limits = Limits(
        per_client_and_address=settings.login_failures_per_person_and_address,
        per_address=settings.login_failures_per_address,
        per_client=settings.login_failures_per_person,
        in_flight_per_client=4,
        window=settings.login_failure_window_seconds,
    )
    app.state.failed_logins = FailedLogins(login_limits, clock=app.state.clock, account="login", attempts="logins")
    app.state.metrics = Metrics("backoffice")
    app.state.tracing = tracing_for("backoffice", settings)
    for router in (auth.router, worklist.router, claims.router, limits.router, debtors.router, bodacc.router):
        app.include_router(router)
    app.include_router(health_router(_gateway_ready))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    _install_error_pages(app)

    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestTelemetry, metrics=app.state.metrics, tracer=app.state.tracing.tracer)
    app.add_middleware(RequestIdMiddleware, service="backoffice")
    return app


def _error_page(request: Request, status: int, title: str, text: str) -> HTMLResponse:
    return templates.TemplateResponse(request, "error.html", {"title": title, "text": text}, status_code=status)


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        return login_redirect(exc.back_to)

    @app.exception_handler(SessionEnded)
    async def session_ended(request: Request, exc: SessionEnded) -> Response:
        name = cookie_name(app.state.settings.secure_cookies)
        app.state.sessions.close(request.cookies.get(name))
        return login_redirect("/")

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, exc: NotAllowed) -> Response:
        return _error_page(request, 403, "Not for your role", "Your roles do not give access to this page.")

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        text = "This form was not sent from a page of your session (it may have expired). Reload the page, then retry."
        return _error_page(request, 403, "Form refused", text)

    @app.exception_handler(Problem)
    async def problem(request: Request, exc: Problem) -> Response:
        return _error_page(request, exc.status, "The suite refused this", exc.message)

    @app.exception_handler(httpx.HTTPError)
    async def unreachable(request: Request, exc: httpx.HTTPError) -> Response:
        log.warning("gateway unreachable: %s", type(exc).__name__)
        return _error_page(request, 503, "The suite is unavailable", "The suite did not answer. Retry in a moment.")
