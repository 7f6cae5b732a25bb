"""Retries over more than a day, 410 stops at once, an endpoint failing for good is disabled with its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.webhooks.domain.schedule import (
    ATTEMPTS,
    Attempt,
    Outcome,
    disabled_because,
    next_attempt_at,
    outcome_of,
)

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "error", "outcome"),
    [
        (200, None, Outcome.DELIVERED),
        (204, None, Outcome.DELIVERED),
        (301, None, Outcome.RETRY),  # redirects are not followed
        (400, None, Outcome.RETRY),
        (429, None, Outcome.RETRY),
        (500, None, Outcome.RETRY),
        (None, "timeout after 10 s", Outcome.RETRY),
        (410, None, Outcome.GONE),
    ],
)
def test_what_an_answer_means(status: int | None, error: str | None, outcome: Outcome) -> None:
    assert outcome_of(Attempt(number=1, status=status, error=error)) is outcome


@pytest.mark.parametrize("jitter", [-1.0, 0.0, 1.0])
def test_a_receiver_down_for_a_day_is_still_tried_after_it(jitter: float) -> None:
    when, tried = T0, [T0]
    for number in range(1, ATTEMPTS + 1):
        following = next_attempt_at(Attempt(number=number, status=503), now=when, jitter=jitter)
        if following is None:
            break
        assert following > when
        when = following
        tried.append(when)
    assert len(tried) == ATTEMPTS
    assert tried[-1] - tried[0] > timedelta(hours=24)
    assert outcome_of(Attempt(number=ATTEMPTS, status=503)) is Outcome.EXHAUSTED


def test_jitter_spreads_retries_within_a_tenth_of_their_delay() -> None:
    early = next_attempt_at(Attempt(number=4, status=500), now=T0, jitter=-1.0)
    late = next_attempt_at(Attempt(number=4, status=500), now=T0, jitter=1.0)
    assert (early, late) == (T0 + timedelta(hours=1, minutes=48), T0 + timedelta(hours=2, minutes=12))
    with pytest.raises(ValueError):
        next_attempt_at(Attempt(number=1, status=500), now=T0, jitter=1.5)


def test_nothing_is_tried_after_a_delivery_or_a_410() -> None:
    assert next_attempt_at(Attempt(number=1, status=200), now=T0, jitter=0) is None
    assert next_attempt_at(Attempt(number=2, status=410), now=T0, jitter=0) is None


def test_a_410_disables_the_endpoint_at_once() -> None:
    reason = disabled_because(last=Attempt(number=1, status=410), first_failure_at=T0, last_success_at=None)
    assert reason == "The endpoint answered 410 Gone."


def test_an_exhausted_message_disables_an_endpoint_that_delivered_nothing_since() -> None:
    last = Attempt(number=ATTEMPTS, status=None, error="connection refused")
    reason = disabled_because(last=last, first_failure_at=T0, last_success_at=T0 - timedelta(days=3))
    assert reason is not None and "connection refused" in reason and T0.isoformat() in reason


def test_an_endpoint_that_delivered_since_stays_enabled() -> None:
    last = Attempt(number=ATTEMPTS, status=500)
    assert disabled_because(last=last, first_failure_at=T0, last_success_at=T0 + timedelta(hours=5)) is None
    assert disabled_because(last=Attempt(number=3, status=500), first_failure_at=T0, last_success_at=None) is None
