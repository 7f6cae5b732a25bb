"""The one internal route every consuming service has: `/internal/events`, where the relays deliver."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from fastapi import APIRouter, Depends, Request

from services.kit.outbox import EventEnvelope, check_internal_token
from services.kit.uow import UnitOfWork

Work = TypeVar("Work", bound=UnitOfWork)
WorkIn = TypeVar("WorkIn", bound=UnitOfWork, contravariant=True)


class EventHandler(Protocol[WorkIn]):
    """Apply one event once, in the service's unit of work; False when it was already applied or is not ours."""

    def __call__(self, uow: WorkIn, *, envelope: EventEnvelope, now: datetime) -> Awaitable[bool]: ...


def events_router(unit_of_work: Callable[[Any], Work], handle: EventHandler[Work]) -> APIRouter:
    """POST /internal/events with the suite's internal token: the event applied once ({"applied": false} after)."""
    router = APIRouter(prefix="/internal", include_in_schema=False)

    @router.post("/events", dependencies=[Depends(check_internal_token)])
    async def receive_event(envelope: EventEnvelope, request: Request) -> dict[str, bool]:
        applied = await handle(unit_of_work(request.app.state.db), envelope=envelope, now=request.app.state.clock.now())
        return {"applied": applied}

    return router
