"""The sandbox's business clock runs with the real one, shifted by whole days, and only moves forward."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.kit.clock import FixedClock, SandboxClock, wall_clock

REAL = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


def test_a_sandbox_starts_on_a_given_day_and_keeps_the_time_of_day() -> None:
    wall = FixedClock(REAL)
    clock = SandboxClock.starting_on(date(2026, 1, 1), wall=wall)
    assert (clock.today(), clock.now().time(), clock.offset_days) == (date(2026, 1, 1), REAL.time(), -333)
    wall.advance(timedelta(hours=9))  # real time passes: so does the sandbox's, midnight included
    assert clock.today() == date(2026, 1, 2)


def test_it_moves_forward_only_and_tokens_keep_real_time() -> None:
    wall = FixedClock(REAL)
    clock = SandboxClock(wall=wall)
    assert clock.move_to(date(2027, 4, 30)) == date(2026, 11, 30)
    assert clock.today() == date(2027, 4, 30) and clock.move_to(date(2027, 4, 30)) == date(2027, 4, 30)
    with pytest.raises(ValueError, match="only moves forward"):
        clock.move_to(date(2027, 4, 29))
    assert wall_clock(clock).now() == REAL and wall_clock(wall) is wall
