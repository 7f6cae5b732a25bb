"""The webhooks service's units of work and its real-time clock, as route dependencies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from services.kit.clock import wall_clock
from services.kit.dependencies import reader, writer
from services.webhooks.adapters.repository import WebhooksUnitOfWork

Writer = Annotated[WebhooksUnitOfWork, Depends(writer(WebhooksUnitOfWork))]
Reader = Annotated[WebhooksUnitOfWork, Depends(reader(WebhooksUnitOfWork))]


async def _real_now(request: Request) -> datetime:
    """Webhooks keep real time (as tokens and leases do): a sandbox's business date never moves an expiry."""
    return wall_clock(request.app.state.clock).now()


RealNow = Annotated[datetime, Depends(_real_now)]
