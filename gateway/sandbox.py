"""The sandbox clock (sandbox mode only): one business date for the whole suite, moved forward by an admin.

Anchor: Stripe's test clocks. Each service keeps its own business clock; the gateway moves them all, then its
own, so every service follows within the one request; the claims service sweeps each day passed.
"""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Request
from pydantic import Field, model_validator

from services.kit.auth import Allow, Principal
from services.kit.clock import SandboxClock
from services.kit.dependencies import ADMINISTER, READ
from services.kit.errors import InvalidInput, UpstreamInvalid, UpstreamUnavailable
from services.kit.outbox import INTERNAL_TOKEN_HEADER
from services.kit.problems import problem_responses
from services.kit.sandbox import SandboxClockBackwards
from services.kit.schemas import Day, RequestBody, ResponseBody, WholeNumber, example
from services.kit.upstream import Upstream

router = APIRouter(prefix="/v1/sandbox", tags=["sandbox"])
Admin = Annotated[Principal, Depends(Allow(*ADMINISTER))]
Anyone = Annotated[Principal, Depends(Allow(*READ))]
MAX_DAYS = 3660


class SandboxClockTooFar(InvalidInput):
    code = "SANDBOX_CLOCK_TOO_FAR"
    title = "The sandbox clock moves at most ten years at once"


class ClockMoveIn(RequestBody):
    """Move business time forward: to a day, or by a number of days."""

    model_config = example({"advance_days": 30})

    today: Day | None = Field(None, description="The sandbox's new today; not before the current one.")
    advance_days: Annotated[WholeNumber, Field(ge=0, le=MAX_DAYS)] | None = Field(
        None, description="Days to move forward."
    )

    @model_validator(mode="after")
    def _one_of(self) -> ClockMoveIn:
        if (self.today is None) == (self.advance_days is None):
            raise ValueError("give either today or advance_days")
        return self


class SandboxClockOut(ResponseBody):
    today: date
    previous: date | None = None
    days_passed: int = 0
    effects: dict[str, dict[str, Any]] = {}


def save_offset(path: Path | None, clock: SandboxClock) -> None:
    """Keep the sandbox's offset across restarts of `make run` (written whole, then renamed into place)."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps({"offset_days": clock.offset_days, "today": clock.today().isoformat()}))
    os.replace(partial, path)


@router.get(
    "/clock", operation_id="getSandboxClock", response_model=SandboxClockOut, summary="The sandbox's business date"
)
async def read_clock(request: Request, principal: Anyone) -> SandboxClockOut:
    return SandboxClockOut(today=request.app.state.clock.today())


@router.post(
    "/clock",
    operation_id="moveSandboxClock",
    response_model=SandboxClockOut,
    responses=problem_responses(422, 503),
    summary="Move the sandbox's business date forward: every service follows; each day passed is swept",
)
async def move_clock(body: ClockMoveIn, request: Request, principal: Admin) -> SandboxClockOut:
    state = request.app.state
    clock: SandboxClock = state.clock
    async with state.sandbox_lock:
        previous = clock.today()
        target = body.today if body.today is not None else previous + timedelta(days=body.advance_days or 0)
        if target < previous:
            raise SandboxClockBackwards(f"The sandbox is at {previous}; it cannot go back to {target}.")
        if (target - previous).days > MAX_DAYS:
            raise SandboxClockTooFar(
                f"Move at most {MAX_DAYS} days at once (to {previous + timedelta(days=MAX_DAYS)})."
            )
        effects = {}
        for name, upstream in state.upstreams.items():
            effects[name] = await _move_service(upstream, target, token=state.settings.internal_token)
        clock.move_to(target)
        save_offset(state.settings.sandbox_state_file, clock)
    return SandboxClockOut(today=target, previous=previous, days_passed=(target - previous).days, effects=effects)


async def _move_service(upstream: Upstream, target: date, *, token: str | None) -> dict[str, Any]:
    try:
        response = await upstream.client.post(
            "/internal/sandbox/clock",
            json={"today": target.isoformat()},
            headers={INTERNAL_TOKEN_HEADER: token or ""},
            timeout=max(upstream.client.timeout.read or 0, 120.0),  # a long jump sweeps many days
        )
    except httpx.HTTPError as exc:
        raise UpstreamUnavailable(f"The {upstream.name} service did not move its clock; send it again.") from exc
    if response.status_code != 200:
        raise UpstreamInvalid(f"The {upstream.name} service refused the clock ({response.status_code}).")
    effects: dict[str, Any] = response.json().get("effects", {})
    return effects
