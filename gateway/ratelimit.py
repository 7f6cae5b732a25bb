"""Per-client rate limit at the gateway: a token bucket per client id, refilled by the injected clock."""

from __future__ import annotations

import math
from dataclasses import dataclass

from services.kit.clock import Clock
from services.kit.errors import TooManyRequests


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimit:
    """`per_second` requests a second on average per client, bursts up to `burst`; 0 turns it off.

    Each gateway replica counts for itself: behind N replicas a client gets up to N times the rate.
    """

    def __init__(self, *, per_second: float, burst: int, clock: Clock) -> None:
        self.per_second = per_second
        self.burst = max(burst, 1)
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.per_second > 0

    def take(self, client_id: str) -> None:
        """Spend one request of this client's allowance, or refuse with the seconds until the next one."""
        if not self.enabled:
            return
        now = self.clock.now().timestamp()
        bucket = self._buckets.get(client_id)
        if bucket is None:
            bucket = self._buckets[client_id] = _Bucket(tokens=float(self.burst), at=now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.per_second)
        bucket.at = now
        if bucket.tokens < 1:
            wait = math.ceil((1 - bucket.tokens) / self.per_second)
            raise TooManyRequests(
                f"More than {self.per_second:g} requests a second (bursts of {self.burst}).", retry_after=wait
            )
        bucket.tokens -= 1
