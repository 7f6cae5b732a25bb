"""Time comes from an injected clock; tests pin it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    """The real UTC clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def today(self) -> date:
        return self._at.date()

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


class SandboxClock:
    """Business time of a sandbox: the real clock shifted by whole days, moved forward only, never back.

    Tokens, leases and rate limits keep real time (`wall`): moving the sandbox a month on must not expire a
    partner's token or a request's lease.
    """

    def __init__(self, *, offset_days: int = 0, wall: Clock | None = None) -> None:
        self.wall = wall or SystemClock()
        self.offset = timedelta(days=offset_days)

    @classmethod
    def starting_on(cls, day: date, *, wall: Clock | None = None) -> SandboxClock:
        wall = wall or SystemClock()
        return cls(offset_days=(day - wall.today()).days, wall=wall)

    @property
    def offset_days(self) -> int:
        return self.offset.days

    def now(self) -> datetime:
        return self.wall.now() + self.offset

    def today(self) -> date:
        return self.now().date()

    def move_to(self, day: date) -> date:
        """Move business time on to `day` (the same day changes nothing); the day it was before."""
        before = self.today()
        if day < before:
            raise ValueError(f"the sandbox clock only moves forward: it is {before}, not {day}")
        self.offset += day - before
        return before


def wall_clock(clock: Clock) -> Clock:
    """The real clock behind a sandbox's business clock; tokens and leases are timed by it."""
    return clock.wall if isinstance(clock, SandboxClock) else clock
