"""OpenTelemetry traces: a span per request, database transaction, upstream call and relayed event, with W3C trace
context carried between the processes. Off, and nothing installed, unless an OTLP endpoint is set."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from opentelemetry import context, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from pydantic_settings import BaseSettings
from starlette.types import Scope

from services.kit.logs import current_request

W3C = TraceContextTextMapPropagator()
W3C_HEADERS = (b"traceparent", b"tracestate")


class TraceSettings(BaseSettings):
    """Where a process sends its spans; each process reads these under its own prefix (CLAIMS_OTLP_ENDPOINT...)."""

    otlp_endpoint: str | None = None
    """An OpenTelemetry collector's OTLP/HTTP address (e.g. http://otel-collector:4318); unset, no span is made."""
    trace_sample_ratio: float = 1.0
    """Share of the traces started here that are kept; a caller's decision (traceparent) is followed."""


@dataclass(frozen=True, slots=True)
class Tracing:
    """A process's spans: where they are made and where they go; no tracer when tracing is off."""

    provider: TracerProvider | None = None
    tracer: Tracer | None = None

    def shutdown(self) -> None:
        """Send what is left before the process ends."""
        if self.provider is not None:
            self.provider.shutdown()


def tracing_for(service: str, settings: TraceSettings, *, processor: SpanProcessor | None = None) -> Tracing:
    """The process's tracing, exporting over OTLP (or to `processor`, for tests); off without a collector."""
    if processor is None:
        if not settings.otlp_endpoint:
            return Tracing()
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
        processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint))
    provider = TracerProvider(
        resource=Resource.create({"service.name": service, "service.namespace": "credit-claims"}),
        # A caller's traceparent may not force its trace to be kept: a trace id's ratio decides, the same way in
        # every process (the decision depends on the trace id alone), a parent of the suite's own is followed.
        sampler=ParentBased(
            TraceIdRatioBased(settings.trace_sample_ratio),
            remote_parent_sampled=TraceIdRatioBased(settings.trace_sample_ratio),
        ),
    )
    provider.add_span_processor(processor)
    return Tracing(provider, provider.get_tracer("credit-claims"))


def traceparent_now() -> str | None:
    """The W3C traceparent of the span being served, to carry with what it writes (an outbox row)."""
    if not trace.get_current_span().get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    W3C.inject(carrier)
    return carrier.get("traceparent")


def context_of(traceparent: str | None) -> Context | None:
    return W3C.extract({"traceparent": traceparent}) if traceparent else None


@contextmanager
def server_span(tracer: Tracer | None, scope: Scope) -> Iterator[Span | None]:
    """The request's server span, a child of the caller's traceparent, current while it is served (None when
    tracing is off); the request's log lines carry its trace id."""
    if tracer is None:
        yield None
        return
    carrier = {name.decode(): value.decode("latin-1") for name, value in scope["headers"] if name in W3C_HEADERS}
    with tracer.start_as_current_span(
        scope["method"], context=W3C.extract(carrier), kind=SpanKind.SERVER, record_exception=True
    ) as span:
        noted = current_request.get()
        if noted is not None:
            noted.trace_id = format(span.get_span_context().trace_id, "032x")
        yield span


def describe_served(span: Span, *, method: str, route: str, status: int) -> None:
    """Name the server span by its route once routing found it, with the answer's status."""
    span.update_name(f"{method} {route}")
    span.set_attributes({"http.request.method": method, "http.route": route, "http.response.status_code": status})
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))


class TracedTransport(httpx.AsyncBaseTransport):
    """A client span around each call to another service, its traceparent sent along."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, tracer: Tracer, peer: str) -> None:
        self.inner = inner
        self.tracer = tracer
        self.peer = peer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with self.tracer.start_as_current_span(
            f"{request.method} {self.peer}", kind=SpanKind.CLIENT, record_exception=True
        ) as span:
            carrier: dict[str, str] = {}
            W3C.inject(carrier)
            request.headers.update(carrier)  # in place of a traceparent the caller sent through the gateway
            span.set_attributes(
                {"http.request.method": request.method, "server.address": self.peer, "url.path": request.url.path}
            )
            response = await self.inner.handle_async_request(request)
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR))
            return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def traced(transport: httpx.AsyncBaseTransport, tracer: Tracer | None, peer: str) -> httpx.AsyncBaseTransport:
    """The transport itself when tracing is off (nothing added to a call)."""
    return transport if tracer is None else TracedTransport(transport, tracer=tracer, peer=peer)


class TransactionSpan:
    """A span around one database transaction (a unit of work), current while it is open."""

    def __init__(self, tracer: Tracer, *, system: str, write: bool) -> None:
        self.span: Span = tracer.start_span(
            "db transaction" if write else "db read", kind=SpanKind.CLIENT, attributes={"db.system.name": system}
        )
        self.token: Any = context.attach(trace.set_span_in_context(self.span))

    def end(self, *, committed: bool, error: BaseException | None) -> None:
        self.span.set_attribute("db.transaction.outcome", "committed" if committed else "rolled back")
        if isinstance(error, Exception):
            self.span.record_exception(error)
            self.span.set_status(Status(StatusCode.ERROR))
        context.detach(self.token)
        self.span.end()
