"""The sandbox's business clock in a service: the gateway moves it forward; a service may act on the days passed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel

from services.kit.clock import SandboxClock
from services.kit.errors import RuleBroken
from services.kit.outbox import check_internal_token
from services.kit.schemas import Day, RequestBody

DaysPassed = Callable[[FastAPI, date, date], Awaitable[dict[str, Any]]]
"""What a service does once its clock moved from the first day to the second (the claims service sweeps)."""


class SandboxClockBackwards(RuleBroken):
    code = "SANDBOX_CLOCK_BACKWARDS"
    title = "The sandbox clock only moves forward"


class ClockMove(RequestBody):
    today: Day


class ClockMoved(BaseModel):
    today: date
    previous: date
    effects: dict[str, Any]


def sandbox_router(days_passed: DaysPassed | None) -> APIRouter:
    """POST /internal/sandbox/clock: the gateway moves this service's business clock (sandbox mode only)."""
    router = APIRouter(
        prefix="/internal/sandbox", include_in_schema=False, dependencies=[Depends(check_internal_token)]
    )

    @router.post("/clock", response_model=ClockMoved)
    async def move_clock(body: ClockMove, request: Request) -> ClockMoved:
        clock: SandboxClock = request.app.state.clock
        async with request.app.state.clock_lock:
            try:
                previous = clock.move_to(body.today)
            except ValueError as exc:
                raise SandboxClockBackwards(str(exc), today=clock.today().isoformat()) from exc
            passed = days_passed is not None and body.today > previous
            effects = await days_passed(request.app, previous, body.today) if days_passed and passed else {}
        return ClockMoved(today=clock.today(), previous=previous, effects=effects)

    return router
