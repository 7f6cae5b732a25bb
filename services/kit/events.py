"""The one internal route every consuming service has: `/internal/events`, where the relays deliver.

A relay sends one event, or a destination's backlog as a list: each event of a list is applied in its own
transaction, and answered for by its own status, so that one the service refuses holds back no other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import APIRouter, Body, Depends, Request
from opentelemetry.trace import SpanKind
from pydantic import Field, ValidationError

from services.kit.errors import AppError
from services.kit.outbox import MAX_EVENTS_PER_REQUEST, EventEnvelope, check_internal_token
from services.kit.problems import status_for
from services.kit.tracing import context_of
from services.kit.uow import UnitOfWork

Work = TypeVar("Work", bound=UnitOfWork)
WorkIn = TypeVar("WorkIn", bound=UnitOfWork, contravariant=True)


class EventHandler(Protocol[WorkIn]):
    """Apply one event once, in the service's unit of work; False when it was already applied or is not ours."""

    def __call__(self, uow: WorkIn, *, envelope: EventEnvelope, now: datetime) -> Awaitable[bool]: ...


Delivered = Annotated[
    EventEnvelope | Annotated[list[dict[str, Any]], Field(min_length=1, max_length=MAX_EVENTS_PER_REQUEST)], Body()
]


def events_router(unit_of_work: Callable[[Any], Work], handle: EventHandler[Work]) -> APIRouter:
    """POST /internal/events with the suite's internal token: the event applied once ({"applied": false} after);
    a list of events is answered {"results": [...]}, one {"event_id", "status", "applied" or "detail"} each."""
    router = APIRouter(prefix="/internal", include_in_schema=False)

    async def apply(request: Request, envelope: EventEnvelope) -> bool:
        return await handle(unit_of_work(request.app.state.db), envelope=envelope, now=request.app.state.clock.now())

    @router.post("/events", dependencies=[Depends(check_internal_token)])
    async def receive_event(delivered: Delivered, request: Request) -> dict[str, Any]:
        if isinstance(delivered, EventEnvelope):
            return {"applied": await apply(request, delivered)}
        return {"results": [await _each(request, item, apply) for item in delivered]}

    return router


async def _each(
    request: Request, item: dict[str, Any], apply: Callable[[Request, EventEnvelope], Awaitable[bool]]
) -> dict[str, Any]:
    """One event of a list, applied in the trace of the request that wrote it, and answered for alone."""
    event_id = str(item.get("event_id", ""))[:36]
    try:
        envelope = EventEnvelope.model_validate(item)
    except ValidationError:
        return {"event_id": event_id, "status": 422, "detail": "Malformed event envelope."}
    tracer = request.app.state.tracing.tracer
    try:
        if tracer is None:
            return {"event_id": event_id, "status": 200, "applied": await apply(request, envelope)}
        with tracer.start_as_current_span(
            f"apply {envelope.type}", context=context_of(envelope.traceparent), kind=SpanKind.CONSUMER
        ):
            return {"event_id": event_id, "status": 200, "applied": await apply(request, envelope)}
    except AppError as error:
        return {"event_id": event_id, "status": status_for(error), "detail": error.detail}
