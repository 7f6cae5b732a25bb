"""Failed logins (a client's secret at the gateway's token endpoint, a person's password at the back office),
counted per account and address, per address, and per account from anywhere: past a few, 429 until the window
passes. The `client_id` is the account: a client id, or a person's login.

A guess costs a scrypt hash; a throttled one costs nothing, so no burst can keep the process hashing. Failures
from one address lock only that address out of an account. A guessing spread over many addresses is bounded by
the count per account, which never applies to an address the account logged in from lately: guessing from
elsewhere cannot lock a partner or a person out. An IPv6 address counts as its /64 (one host's share). The keys kept are
bounded and expire: a flood of made-up client ids cannot grow the process.
"""

from __future__ import annotations

import ipaddress
import math
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from services.kit.clock import Clock
from services.kit.errors import TooManyRequests

MAX_KEYS = 10_000
KNOWN_FOR = 24 * 3600.0  # an address a client obtained a token from stays known for a day


def source(address: str) -> str:
    """The unit an address is counted by: itself, or its /64 for IPv6."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


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

    def __init__(
        self, limits: Limits, *, clock: Clock, account: str = "client", attempts: str = "token requests"
    ) -> None:
        self.limits = limits
        self.clock = clock
        self.account, self.attempts = account, attempts  # the words a refusal uses: "client", "token requests"
        self._failures: OrderedDict[tuple[str, ...], deque[float]] = OrderedDict()
        self._known: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._in_flight: dict[str, int] = {}

    @contextmanager
    def attempt(self, *, client_id: str, address: str) -> Iterator[Attempt]:
        """Check an attempt (429 while throttled), hold its place while it runs, count it if it is marked failed."""
        address = source(address)
        self.check(client_id=client_id, address=address)
        if self._in_flight.get(client_id, 0) >= self.limits.in_flight_per_client:
            raise TooManyRequests(
                f"Too many {self.attempts} at once for this {self.account}; try again shortly.", retry_after=1
            )
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
            elif attempt.failed is False:
                self._remember(client_id, address)

    def __len__(self) -> int:
        """How many counters and known addresses are held."""
        return len(self._failures) + len(self._known)

    def check(self, *, client_id: str, address: str) -> None:
        """Refuse the attempt (429, Retry-After) while the client id or the address has failed too often."""
        now = self.clock.now().timestamp()
        known = self._known.get((client_id, address), 0.0) > now - KNOWN_FOR
        for key, limit, what in self._keys(client_id, address):
            if known and key[0] == "client":
                continue
            failures = self._recent(key, now)
            if failures is not None and len(failures) >= limit:
                wait = math.ceil(failures[0] + self.limits.window - now)
                raise TooManyRequests(
                    f"Too many failed {self.attempts} for this {what}; try again later.", retry_after=max(wait, 1)
                )

    def failed(self, *, client_id: str, address: str) -> None:
        now = self.clock.now().timestamp()
        for key, _, _ in self._keys(client_id, address):
            failures = self._recent(key, now)
            if failures is None:
                failures = self._failures[key] = deque()
            failures.append(now)
            self._failures.move_to_end(key)
        # The least recently failed come first: drop those whose last failure left the window, then the oldest.
        while self._failures:
            oldest = next(iter(self._failures.values()))
            if len(self._failures) <= MAX_KEYS and oldest[-1] > now - self.limits.window:
                break
            self._failures.popitem(last=False)

    def _remember(self, client_id: str, address: str) -> None:
        now = self.clock.now().timestamp()
        self._known[(client_id, address)] = now
        self._known.move_to_end((client_id, address))
        while self._known and (len(self._known) > MAX_KEYS or next(iter(self._known.values())) <= now - KNOWN_FOR):
            self._known.popitem(last=False)

    def _keys(self, client_id: str, address: str) -> list[tuple[tuple[str, ...], int, str]]:
        limits = self.limits
        return [
            (("pair", client_id, address), limits.per_client_and_address, f"{self.account} from this address"),
            (("address", address), limits.per_address, "address"),
            (("client", client_id), limits.per_client, self.account),
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
    # True: a wrong secret or an unknown client; False: the right secret; None: not checked (told to retry).
    failed: bool | None = None
