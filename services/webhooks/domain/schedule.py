"""When a webhook message is tried again, what an answer means, and when an endpoint is given up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# After the first attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (the schedule Standard Webhooks suggests):
# 27 h 35 min in all, so a receiver down for a day still gets every message.
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
JITTER = 0.1  # each delay moves by up to 10% either way, so that retries of many messages spread out
ATTEMPTS = 1 + len(RETRY_DELAYS)


class Outcome(StrEnum):
    DELIVERED = "delivered"  # a 2xx answer
    RETRY = "retry"  # any other answer, a redirect, a timeout or no connection: tried again on schedule
    EXHAUSTED = "exhausted"  # the last attempt failed too
    GONE = "gone"  # 410: the receiver says the endpoint no longer exists; no more attempts, endpoint disabled


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one attempt got: an HTTP status, or the error that left none."""

    number: int  # 1 for the first attempt
    status: int | None
    error: str | None = None

    def describe(self) -> str:
        return f"HTTP {self.status}" if self.status is not None else (self.error or "no answer")


def outcome_of(attempt: Attempt) -> Outcome:
    """2xx delivers, 410 stops for good, anything else (redirects are not followed) is tried again while the
    schedule lasts."""
    if attempt.status is not None and 200 <= attempt.status < 300:
        return Outcome.DELIVERED
    if attempt.status == 410:
        return Outcome.GONE
    return Outcome.RETRY if attempt.number < ATTEMPTS else Outcome.EXHAUSTED


def next_attempt_at(attempt: Attempt, *, now: datetime, jitter: float) -> datetime | None:
    """When to try after this failed attempt (`jitter` in [-1, 1], drawn by the caller); None when it is the last."""
    if outcome_of(attempt) is not Outcome.RETRY:
        return None
    if not -1.0 <= jitter <= 1.0:
        raise ValueError("jitter is between -1 and 1")
    return now + RETRY_DELAYS[attempt.number - 1] * (1 + JITTER * jitter)


def disabled_because(*, last: Attempt, first_failure_at: datetime, last_success_at: datetime | None) -> str | None:
    """Why an endpoint is disabled after this attempt, or None: at once on 410; after a message exhausted its
    schedule with nothing delivered to the endpoint since that message's first failure."""
    outcome = outcome_of(last)
    if outcome is Outcome.GONE:
        return "The endpoint answered 410 Gone."
    if outcome is Outcome.EXHAUSTED and (last_success_at is None or last_success_at < first_failure_at):
        return (
            f"No delivery succeeded since {first_failure_at.isoformat()} over {ATTEMPTS} attempts; "
            f"the last got {last.describe()}."
        )
    return None
