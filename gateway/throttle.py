"""Failed token requests, counted per client id and address, per address, and per client id from anywhere: past a
few, 429 until the window passes.

A guess costs a scrypt hash; a throttled one costs nothing, so no burst can keep the process hashing. Failures
from one address lock only that address out of a client id: someone else guessing cannot lock the client out
(only a guessing spread over many addresses, at a much higher count, does). The keys kept are bounded: the oldest
are forgotten first, so a flood of made-up client ids cannot grow the process either.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from services.kit.clock import Clock
from services.kit.errors import TooManyRequests

MAX_KEYS = 10_000


@dataclass(frozen=True)
class Limits:
    per_client_and_address: int
    per_address: int
    per_client: int
    in_flight_per_client: int
    window: float


class FailedLogins:
    """At most so many failures per key within the window; the next attempt waits for the oldest to expire.

    Attempts being checked count apart, up to a bound per client id: a burst sent at once is held to that bound
    before its first check ends, and a partner's workers asking at once with the right secret all pass.
    """

    def __init__(self, limits: Limits, *, clock: Clock) -> None:
        self.limits = limits
        self.clock = clock
        self._failures: OrderedDict[tuple[str, ...], deque[float]] = OrderedDict()
        self._in_flight: dict[str, int] = {}

    @contextmanager
    def attempt(self, *, client_id: str, address: str) -> Iterator[Attempt]:
        """Check an attempt (429 while throttled), hold its place while it runs, count it if it is marked failed."""
        self.check(client_id=client_id, address=address)
        if self._in_flight.get(client_id, 0) >= self.limits.in_flight_per_client:
            raise TooManyRequests("Too many token requests at once for this client; try again shortly.", retry_after=1)
        self._in_flight[client_id] = self._in_flight.get(client_id, 0) + 1
        attempt = Attempt()
        try:
            yield attempt
        finally:
            self._in_flight[client_id] -= 1
            if not self._in_flight[client_id]:
                del self._in_flight[client_id]
            if attempt.failed:
                self.failed(client_id=client_id, address=address)

    def check(self, *, client_id: str, address: str) -> None:
        """Refuse the attempt (429, Retry-After) while the client id or the address has failed too often."""
        now = self.clock.now().timestamp()
        for key, limit, what in self._keys(client_id, address):
            failures = self._recent(key, now)
            if failures is not None and len(failures) >= limit:
                wait = math.ceil(failures[0] + self.limits.window - now)
                raise TooManyRequests(
                    f"Too many failed token requests for this {what}; try again later.", retry_after=max(wait, 1)
                )

    def failed(self, *, client_id: str, address: str) -> None:
        now = self.clock.now().timestamp()
        for key, _, _ in self._keys(client_id, address):
            failures = self._recent(key, now)
            if failures is None:
                failures = self._failures[key] = deque()
            failures.append(now)
            self._failures.move_to_end(key)
        while len(self._failures) > MAX_KEYS:
            self._failures.popitem(last=False)

    def _keys(self, client_id: str, address: str) -> list[tuple[tuple[str, ...], int, str]]:
        limits = self.limits
        return [
            (("pair", client_id, address), limits.per_client_and_address, "client from this address"),
            (("address", address), limits.per_address, "address"),
            (("client", client_id), limits.per_client, "client"),
        ]

    def _recent(self, key: tuple[str, ...], now: float) -> deque[float] | None:
        failures = self._failures.get(key)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.limits.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures


@dataclass
class Attempt:
    failed: bool = False  # a wrong secret or an unknown client; a request only told to retry does not count
