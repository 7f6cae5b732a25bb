"""HTTP routes of the claims service."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from services.claims.service_layer import debtor_events
from services.kit.dependencies import ClockDep, Writer
from services.kit.outbox import EventEnvelope, check_internal_token

internal = APIRouter(prefix="/internal", include_in_schema=False)


@internal.post("/events", dependencies=[Depends(check_internal_token)])
async def receive_event(envelope: EventEnvelope, uow: Writer, clock: ClockDep) -> dict[str, bool]:
    applied = await debtor_events.handle(uow, envelope=envelope, now=clock.now())
    return {"applied": applied}


routers = [internal]
