"""Spans with the SDK's in-memory exporter: a call to another service carries its own span's traceparent (never
the partner's it was handed), and what a span writes keeps that span's traceparent."""

from __future__ import annotations

import httpx
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from services.kit.settings import ServiceSettings
from services.kit.tracing import TraceSettings, traced, traceparent_now, tracing_for

PARTNER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_tracing_is_off_and_adds_nothing_without_a_collector() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(204))
    assert tracing_for("claims", TraceSettings()).tracer is None
    assert traced(transport, None, "policies") is transport
    assert traceparent_now() is None
    assert "otlp_endpoint" in ServiceSettings.model_fields  # every service reads it under its prefix


async def test_a_call_to_another_service_sends_its_own_span_as_parent_in_place_of_the_partners() -> None:
    exporter = InMemorySpanExporter()
    tracing = tracing_for("claims", TraceSettings(), processor=SimpleSpanProcessor(exporter))
    assert tracing.tracer is not None
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["traceparent"])
        return httpx.Response(503)

    transport = traced(httpx.MockTransport(answer), tracing.tracer, "policies")
    with tracing.tracer.start_as_current_span("POST /v1/claims") as served:
        kept = traceparent_now()
        request = httpx.Request("GET", "http://policies/v1/policies/1", headers={"traceparent": PARTNER})
        await transport.handle_async_request(request)
    [call, server] = exporter.get_finished_spans()
    assert (call.name, call.kind, call.parent.span_id) == (
        "GET policies",
        SpanKind.CLIENT,
        served.get_span_context().span_id,
    )
    trace_id = format(server.context.trace_id, "032x")
    # The trace and parent of each traceparent (its flags aside): the partner's is replaced by the call's own.
    assert [sent.rsplit("-", 1)[0] for sent in seen] == [f"00-{trace_id}-{format(call.context.span_id, '016x')}"]
    assert kept is not None and kept.rsplit("-", 1)[0] == f"00-{trace_id}-{format(server.context.span_id, '016x')}"
    assert not call.status.is_ok and call.attributes["http.response.status_code"] == 503
