"""One declaration, one trace: the gateway, claims, policies and debtors (the event the claim wrote, relayed) all
send their spans to an OTLP collector, each a child of its caller's."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta

import httpx
import pytest

from deploy.local import PROCESSES, Suite
from tests.e2e.conftest import suite_running
from tests.e2e.otlp_receiver import OtlpReceiver, ReceivedSpan
from tests.e2e.world import World, ok
from tests.shared.builders import invoice
from tests.support import Databases

pytestmark = pytest.mark.e2e
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"  # the partner's own trace, continued by the suite
PARTNER_SPAN = "00f067aa0ba902b7"


@pytest.fixture(scope="module")
def collector() -> Iterator[tuple[OtlpReceiver, str]]:
    receiver = OtlpReceiver()
    url = receiver.start()
    yield receiver, url
    receiver.stop()


@pytest.fixture(scope="module")
def suite(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, collector: tuple[OtlpReceiver, str]
) -> Iterator[Suite]:
    exporting = {f"{name.upper()}_OTLP_ENDPOINT": collector[1] for name in PROCESSES}
    exporting |= {"OTEL_BSP_SCHEDULE_DELAY": "100", "CLAIMS_RELAY_POLL_SECONDS": "0.1"}
    with suite_running(databases, tmp_path_factory.mktemp("suite-traces"), exporting, sandbox=True) as running:
        yield running


SERVED_AT_THE_END = {("debtors", "POST /internal/events"), ("webhooks", "POST /internal/events")}


def spans_until(receiver: OtlpReceiver, within: float = 30.0) -> list[ReceivedSpan]:
    """The trace's spans once the relayed event's arrival in debtors and webhooks is among them (it comes last)
    and every span's parent has arrived too (a span is sent when it ends, after the spans it holds)."""
    deadline = time.monotonic() + within
    while True:
        spans = receiver.of_trace(TRACE_ID)
        arrived = {span.span_id for span in spans} | {PARTNER_SPAN}
        whole = all(span.parent_span_id in arrived for span in spans)
        if whole and {(span.service, span.name) for span in spans} >= SERVED_AT_THE_END:
            return spans
        if time.monotonic() > deadline:
            return spans
        time.sleep(0.2)


def test_a_declaration_is_one_trace_across_the_gateway_and_three_services(
    gateway: httpx.Client, people: dict[str, dict[str, str]], collector: tuple[OtlpReceiver, str]
) -> None:
    world = World(gateway, people)
    policy_id = world.policy("TRACE-1", "INS-ACME")
    debtor_id = world.debtor(9101)
    today = date.fromisoformat(world.today)
    unpaid = invoice(
        "T-1", invoice_date=(today - timedelta(days=95)).isoformat(), due_date=(today - timedelta(days=35)).isoformat()
    )
    declared = gateway.post(
        "/v1/claims",
        json={"policy_id": policy_id, "debtor_id": debtor_id, "invoices": [unpaid]},
        headers={**people["insured"], "traceparent": f"00-{TRACE_ID}-{PARTNER_SPAN}-01", "X-Request-ID": "trace-1"},
    )
    ok(declared, 201)
    spans = spans_until(collector[0])
    by_id = {span.span_id: span for span in spans}
    services = {span.service for span in spans}
    assert {"gateway", "claims", "policies", "debtors"} <= services, spans

    [entry] = [span for span in spans if span.parent_span_id == PARTNER_SPAN]
    assert (entry.service, entry.name) == ("gateway", "POST /v1/claims")
    for span in spans:  # every span hangs from the partner's, through its callers: none starts a trace of its own
        hops = 0
        while span.parent_span_id != PARTNER_SPAN:
            span = by_id[span.parent_span_id]
            hops += 1
            assert hops < 20
    served = {(span.service, span.name) for span in spans if span.kind == 2}  # SERVER
    assert ("claims", "POST /v1/claims") in served
    assert served >= SERVED_AT_THE_END, served
    assert any(span.service == "claims" and span.name == "db transaction" for span in spans)
    relayed = [span for span in spans if span.name == "deliver claim.opened.v1"]
    assert relayed and all(by_id[span.parent_span_id].service == "claims" for span in relayed)
