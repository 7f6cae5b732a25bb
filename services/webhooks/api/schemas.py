"""Request and response bodies of the webhooks API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from services.kit.schemas import Flag, Identifier, Line, PatchBody, RequestBody, ResponseBody, example
from services.webhooks.domain.endpoint import MAX_URL_LENGTH, EventType

EventTypeName = Literal[tuple(kind.value for kind in EventType)]  # type: ignore[valid-type]
EventTypes = Annotated[list[EventTypeName], Field(min_length=1, max_length=len(EventType))]
Url = Annotated[Line, Field(min_length=1, max_length=MAX_URL_LENGTH)]


class EndpointIn(RequestBody):
    model_config = example(
        {
            "url": "https://erp.acme.example/hooks/credit-claims",
            "event_types": ["claim.opened", "claim.indemnity_paid", "credit_limit.decided"],
            "description": "ERP, production",
        }
    )

    url: Url = Field(description="https only (outside the sandbox), to a public host; no credentials in it.")
    event_types: EventTypes
    description: Annotated[Line, Field(max_length=200)] | None = None
    insured_id: Identifier | None = Field(None, description="An admin names the insured; an insured, only itself.")


class EndpointPatch(PatchBody):
    model_config = example({"enabled": True})

    url: Url | None = None
    event_types: EventTypes | None = None
    description: Annotated[Line, Field(max_length=200)] | None = None
    enabled: Flag | None = Field(None, description="false pauses deliveries; true resumes them (after a disabling).")


class EndpointOut(ResponseBody):
    id: uuid.UUID
    insured_id: str
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None = Field(description="Why deliveries stopped: paused, 410 Gone, or failing since when.")
    disabled_at: datetime | None
    last_success_at: datetime | None
    previous_secret_until: datetime | None = Field(description="Until when the rotated secret still signs too.")
    created_at: datetime
    updated_at: datetime


class EndpointCreatedOut(EndpointOut):
    secret: str = Field(description="whsec_…: shown this once; verify every delivery's signature with it.")


class SecretOut(ResponseBody):
    endpoint_id: uuid.UUID
    secret: str = Field(description="The new whsec_ secret, shown this once.")
    previous_secret_until: datetime = Field(description="Until when the former secret signs beside it.")


class AttemptOut(ResponseBody):
    number: int
    at: datetime
    status: int | None = Field(description="The receiver's HTTP status; null when none came (see error).")
    error: str | None
    latency_ms: int
    outcome: str


class DeliveryOut(ResponseBody):
    id: str = Field(description="The message id: the webhook-id header of every attempt.")
    event_id: str
    event_type: str
    state: Literal["pending", "delivered", "failed"]
    attempts: list[AttemptOut]
    next_attempt_at: datetime | None = Field(description="The next try (null: now, or none coming).")
    last_answer: str | None
    delivered_at: datetime | None
    created_at: datetime
    payload: dict[str, Any]


class DeliveriesOut(ResponseBody):
    items: list[DeliveryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for older deliveries; null on the last page.")
