"""Log lines: the trace id taken only from a well-formed traceparent, relayed paths labelled without their ids."""

from __future__ import annotations

import json
import logging

import pytest

from gateway.proxy import route_label
from services.kit.logs import JsonLines, ReadableText, log_request, trace_id_of


@pytest.mark.parametrize(
    ("header", "trace_id"),
    [
        (b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "4bf92f3577b34da6a3ce929d0e0e4736"),
        (b"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-00", "4bf92f3577b34da6a3ce929d0e0e4736"),
        (b"00-00000000000000000000000000000000-00f067aa0ba902b7-01", None),  # all zeros is invalid (W3C)
        (b"00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01", None),
        (b"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", None),
        (b"00-4bf92f35-00f067aa0ba902b7-01", None),
        (b"", None),
        (b"\n\x00", None),
    ],
)
def test_a_trace_id_comes_only_from_a_well_formed_traceparent(header: bytes, trace_id: str | None) -> None:
    assert trace_id_of(header) == trace_id


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/v1/claims", "/v1/claims"),
        ("/v1/claims/0b6c1c9e-2f7a-4f39-9c47-3f1a54a2a1de", "/v1/claims/*"),
        ("/v1/debtors/by-siren/552100554/limits", "/v1/debtors/*"),
    ],
)
def test_a_relayed_request_is_labelled_by_its_resource_not_its_ids(path: str, label: str) -> None:
    assert route_label(path) == label


def record(message: str, **extra: object) -> logging.LogRecord:
    entry = logging.LogRecord("credit_claims.access", logging.INFO, __file__, 1, message, (), None)
    entry.__dict__.update(extra)
    return entry


def test_a_json_line_names_the_service_request_trace_and_caller_and_nothing_empty() -> None:
    line = json.loads(
        JsonLines().format(
            record("GET /v1/claims 200", service="claims", request_id="r-1", trace_id=None, client_id="demo-handler")
        )
    )
    assert line["service"] == "claims" and line["request_id"] == "r-1" and line["client_id"] == "demo-handler"
    assert line["level"] == "info" and line["message"] == "GET /v1/claims 200" and line["time"].endswith("Z")
    assert "trace_id" not in line


def test_a_readable_line_ends_with_the_request_ids() -> None:
    text = ReadableText().format(record("POST /oauth/token 200", request_id="r-2", client_id="demo-admin"))
    assert text.endswith("POST /oauth/token 200  [request_id=r-2 client_id=demo-admin]")


def test_a_readable_line_shows_control_characters_escaped_never_raw() -> None:
    text = ReadableText().format(record("unhandled error on GET /v1/\x1b[1A\x1b[2Kx\x7f"))
    assert "\x1b" not in text and "\x7f" not in text and "/v1/\\x1b[1A\\x1b[2Kx\\x7f" in text


def test_a_probe_is_a_debug_line_even_when_not_ready_and_a_failed_request_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="credit_claims.access"):
        log_request(method="GET", route="/readyz", status=503, seconds=0.01)
        log_request(method="POST", route="/v1/claims", status=500, seconds=0.01)
        log_request(method="GET", route="/v1/claims", status=404, seconds=0.01)
    assert [record.levelname for record in caplog.records] == ["DEBUG", "ERROR", "INFO"]
