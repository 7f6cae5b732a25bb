"""The one internal route every consuming service has: `/internal/events`, where the relays deliver.

A relay sends one event, or a destination's backlog as a list. The events of a list are applied in one
transaction and each is answered for by its own status; if one of them fails, nothing of the list is kept and each
is applied again in a transaction of its own, so that the one refused holds back no other (as does one that was
taken before: its handler leaves without committing, and what a part leaving so wrote cannot be told apart).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import APIRouter, Body, Depends, Request
from opentelemetry.trace import SpanKind
from pydantic import Field, ValidationError

from services.kit.errors import AppError
from services.kit.outbox import MAX_EVENTS_PER_REQUEST, EventEnvelope, check_internal_token
from services.kit.problems import status_for
from services.kit.tracing import context_of
from services.kit.uow import PartNotCommitted, UnitOfWork

log = logging.getLogger("credit_claims.events")

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

    async def apply(request: Request, envelope: EventEnvelope, outer: Work | None = None) -> bool:
        uow = unit_of_work(request.app.state.db)
        with _applying(request, envelope):
            return await handle(uow if outer is None else uow.within(outer), envelope=envelope, now=_now(request))

    async def together(request: Request, envelopes: list[EventEnvelope]) -> list[bool] | None:
        """The events in one transaction; None when one of them failed and nothing was kept."""
        outer = unit_of_work(request.app.state.db)
        try:
            async with outer:
                applied = [await apply(request, envelope, outer) for envelope in envelopes]
                await outer.commit()
        except PartNotCommitted:  # an event already taken, say: its own transaction tells what it wrote
            return None
        except Exception:  # each is applied alone instead, and the one that fails is answered for alone
            log.info("a list of %d events applied one by one: one of them failed", len(envelopes), exc_info=True)
            return None
        return applied

    async def alone(request: Request, envelope: EventEnvelope) -> dict[str, Any]:
        """One event of a list in a transaction of its own; whatever it fails on is its answer, not the list's."""
        try:
            return {"event_id": envelope.event_id, "status": 200, "applied": await apply(request, envelope)}
        except AppError as error:
            return {"event_id": envelope.event_id, "status": status_for(error), "detail": error.detail}
        except Exception:  # a bug on this event: logged, retried by the relay, and the others still answered
            log.exception("event %s of a list failed", envelope.event_id)
            return {"event_id": envelope.event_id, "status": 500, "detail": "The event could not be applied."}

    @router.post("/events", dependencies=[Depends(check_internal_token)])
    async def receive_event(delivered: Delivered, request: Request) -> dict[str, Any]:
        if isinstance(delivered, EventEnvelope):
            return {"applied": await apply(request, delivered)}
        envelopes = [_envelope(item) for item in delivered]
        valid = [envelope for envelope in envelopes if isinstance(envelope, EventEnvelope)]
        applied = await together(request, valid) if valid else []
        answers = iter(applied or ())
        results = []
        for envelope in envelopes:
            if not isinstance(envelope, EventEnvelope):
                results.append(envelope)  # the answer that refuses it
            elif applied is not None:
                results.append({"event_id": envelope.event_id, "status": 200, "applied": next(answers)})
            else:
                results.append(await alone(request, envelope))
        return {"results": results}

    return router


def _now(request: Request) -> datetime:
    return request.app.state.clock.now()  # type: ignore[no-any-return]


def _envelope(item: dict[str, Any]) -> EventEnvelope | dict[str, Any]:
    """The event of a list, or the answer that refuses it."""
    try:
        return EventEnvelope.model_validate(item)
    except ValidationError:
        return {"event_id": str(item.get("event_id", ""))[:36], "status": 422, "detail": "Malformed event envelope."}


@contextmanager
def _applying(request: Request, envelope: EventEnvelope) -> Iterator[None]:
    """In a list, each event is applied in the trace of the request that wrote it."""
    tracer = request.app.state.tracing.tracer
    if tracer is None or envelope.traceparent is None:
        yield
        return
    with tracer.start_as_current_span(
        f"apply {envelope.type}", context=context_of(envelope.traceparent), kind=SpanKind.CONSUMER
    ):
        yield
