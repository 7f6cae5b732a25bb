"""Which endpoints a partner may register: every reason against one, at once."""

from __future__ import annotations

import pytest

from services.webhooks.domain.endpoint import EventType, endpoint_problems

EVENTS = [EventType.CLAIM_OPENED.value, EventType.CLAIM_INDEMNITY_PAID.value]


def codes(url: str, events: list[str] = EVENTS, *, sandbox: bool = False) -> list[str]:
    return [reason.code for reason in endpoint_problems(url, events, sandbox=sandbox)]


def test_a_public_https_endpoint_with_known_events_is_accepted() -> None:
    assert codes("https://erp.acme.example/hooks/credit-claims?tenant=42") == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://erp.acme.example/hooks", ["URL_NOT_HTTPS"]),
        ("https://user:pass@erp.acme.example/hooks", ["URL_HAS_CREDENTIALS"]),
        ("https://erp.acme.example/hooks#part", ["URL_HAS_FRAGMENT"]),
        ("https://127.0.0.1/hooks", ["URL_NOT_PUBLIC"]),
        ("https://[::1]:8443/hooks", ["URL_NOT_PUBLIC"]),
        ("https://169.254.169.254/latest/meta-data", ["URL_NOT_PUBLIC"]),
        ("https://10.0.0.7/hooks", ["URL_NOT_PUBLIC"]),
        ("https://localhost/hooks", ["URL_NOT_PUBLIC"]),
        ("ftp://erp.acme.example/hooks", ["URL_INVALID"]),
        ("https:///hooks", ["URL_INVALID"]),
        ("https://erp.acme.example:99999/hooks", ["URL_INVALID"]),
        ("https://erp.acme.example/" + "a" * 2000, ["URL_TOO_LONG"]),
        (
            "http://u:p@localhost/hooks#x",
            ["URL_NOT_HTTPS", "URL_HAS_CREDENTIALS", "URL_HAS_FRAGMENT", "URL_NOT_PUBLIC"],
        ),
    ],
)
def test_an_endpoint_outside_the_rules_gets_every_reason(url: str, expected: list[str]) -> None:
    assert codes(url) == expected


def test_in_the_sandbox_a_local_http_receiver_is_accepted() -> None:
    assert codes("http://127.0.0.1:9000/hooks", sandbox=True) == []


def test_event_types_are_known_and_at_least_one() -> None:
    assert codes("https://erp.acme.example/hooks", []) == ["NO_EVENT_TYPES"]
    assert codes("https://erp.acme.example/hooks", ["claim.opened", "claim.exploded"]) == ["UNKNOWN_EVENT_TYPE"]
