"""Failed token requests, counted per client id and per source address: past a few, 429 until the window passes.

A guess costs a scrypt hash; a throttled one costs nothing, so no burst can keep the process hashing. The keys kept
are bounded: the oldest are forgotten first, so a flood of made-up client ids cannot grow the process either.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque

from services.kit.clock import Clock
from services.kit.errors import TooManyRequests

MAX_KEYS = 10_000


class FailedLogins:
    """At most `limit` failures per key within `window` seconds; the next attempt waits for the oldest to expire.

    An attempt counts as failed from the start and is forgiven if it succeeds: a burst sent at once is counted
    before its first hash ends, not after.
    """

    def __init__(self, *, per_client: int, per_address: int, window: float, clock: Clock) -> None:
        self.limits = {"client": per_client, "address": per_address}
        self.window = window
        self.clock = clock
        self._failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()

    def attempt(self, *, client_id: str, address: str) -> None:
        """Count an attempt, or refuse it (429, Retry-After) while the client id or the address failed too often."""
        self.check(client_id=client_id, address=address)
        self.failed(client_id=client_id, address=address)

    def succeeded(self, *, client_id: str, address: str) -> None:
        """The attempt was right: it does not count against the client id or the address."""
        for key in (("client", client_id), ("address", address)):
            failures = self._failures.get(key)
            if failures:
                failures.pop()
                if not failures:
                    del self._failures[key]

    def check(self, *, client_id: str, address: str) -> None:
        """Refuse the attempt (429, Retry-After) while this client id or this address has failed too often."""
        now = self.clock.now().timestamp()
        for kind, value in (("client", client_id), ("address", address)):
            failures = self._recent((kind, value), now)
            if failures is not None and len(failures) >= self.limits[kind]:
                wait = math.ceil(failures[0] + self.window - now)
                raise TooManyRequests(
                    f"Too many failed token requests for this {kind}; try again later.", retry_after=max(wait, 1)
                )

    def failed(self, *, client_id: str, address: str) -> None:
        now = self.clock.now().timestamp()
        for key in (("client", client_id), ("address", address)):
            failures = self._recent(key, now)
            if failures is None:
                failures = self._failures[key] = deque()
            failures.append(now)
            self._failures.move_to_end(key)
        while len(self._failures) > MAX_KEYS:
            self._failures.popitem(last=False)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float] | None:
        failures = self._failures.get(key)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures
