"""HTTP routes of the webhooks service: parse, call one handler, shape the answer."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from services.kit.dependencies import ToChangeSubscribed, ToSubscribe, etag_of
from services.kit.pagination import Page, PageRequest, page_request
from services.kit.problems import problem_responses
from services.kit.schemas import Identifier
from services.webhooks.adapters.tables import Endpoint
from services.webhooks.api.dependencies import Reader, RealNow, Writer
from services.webhooks.api.schemas import (
    AttemptOut,
    DeliveriesOut,
    DeliveryOut,
    EndpointCreatedOut,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    SecretOut,
)
from services.webhooks.service_layer import deliveries, endpoints
from services.webhooks.service_layer.deliveries import Delivery

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhooks"])
MessageId = Annotated[str, Path(pattern=r"^msg_[0-9a-f]{32}$")]


def endpoint_out(endpoint: Endpoint, response: Response) -> EndpointOut:
    response.headers["ETag"] = etag_of(endpoint.version)
    return EndpointOut.model_validate(endpoint, from_attributes=True)


def delivery_out(found: Delivery) -> DeliveryOut:
    attempts = [AttemptOut.model_validate(row, from_attributes=True) for row in found.attempts]
    return DeliveryOut.model_validate({**found.message.model_dump(), "attempts": attempts})


def _sandbox(request: Request) -> bool:
    return bool(request.app.state.settings.sandbox)


@router.post(
    "",
    operation_id="createWebhookEndpoint",
    status_code=201,
    response_model=EndpointCreatedOut,
    responses=problem_responses(403, 409, 422),
    summary="Register a webhook endpoint; its signing secret is in this answer only",
)
async def create_endpoint(
    body: EndpointIn, request: Request, response: Response, uow: Writer, call: ToSubscribe, now: RealNow
) -> EndpointCreatedOut:
    data = endpoints.NewEndpoint(**body.model_dump())
    endpoint, secret = await endpoints.register(uow, data=data, call=call, now=now, sandbox=_sandbox(request))
    response.headers["Location"] = f"/v1/webhook-endpoints/{endpoint.id}"
    shown = endpoint_out(endpoint, response)
    return EndpointCreatedOut.model_validate({**shown.model_dump(), "secret": secret})


@router.get(
    "",
    operation_id="listWebhookEndpoints",
    response_model=Page[EndpointOut],
    responses=problem_responses(422),
    summary="The webhook endpoints the caller may see",
)
async def list_endpoints(
    uow: Reader,
    call: ToSubscribe,
    page: Annotated[PageRequest, Depends(page_request)],
    insured_id: Annotated[Identifier | None, Query()] = None,
) -> Page[EndpointOut]:
    found = await endpoints.endpoints(uow, principal=call.principal, insured_id=insured_id, page=page)
    items = [EndpointOut.model_validate(row, from_attributes=True) for row in found.items]
    return Page[EndpointOut](items=items, next_cursor=found.next_cursor)


@router.get(
    "/{endpoint_id}",
    operation_id="getWebhookEndpoint",
    response_model=EndpointOut,
    responses=problem_responses(404),
    summary="A webhook endpoint, and why it is disabled if it is",
)
async def get_endpoint(endpoint_id: uuid.UUID, response: Response, uow: Reader, call: ToSubscribe) -> EndpointOut:
    return endpoint_out(await endpoints.endpoint(uow, endpoint_id=endpoint_id, principal=call.principal), response)


@router.patch(
    "/{endpoint_id}",
    operation_id="updateWebhookEndpoint",
    response_model=EndpointOut,
    responses=problem_responses(404, 412, 422, 428),
    summary="Change an endpoint's URL or events, pause it, or enable it again",
)
async def update_endpoint(
    endpoint_id: uuid.UUID,
    body: EndpointPatch,
    request: Request,
    response: Response,
    uow: Writer,
    call: ToChangeSubscribed,
    now: RealNow,
) -> EndpointOut:
    changes = endpoints.EndpointChanges(**body.changes())
    changed = await endpoints.change(
        uow, endpoint_id=endpoint_id, changes=changes, call=call, now=now, sandbox=_sandbox(request)
    )
    return endpoint_out(changed, response)


@router.delete(
    "/{endpoint_id}",
    operation_id="deleteWebhookEndpoint",
    status_code=204,
    responses=problem_responses(404, 412, 428),
    summary="Remove an endpoint: nothing more is sent to it",
)
async def delete_endpoint(endpoint_id: uuid.UUID, uow: Writer, call: ToChangeSubscribed) -> Response:
    await endpoints.remove(uow, endpoint_id=endpoint_id, call=call)
    return Response(status_code=204)


@router.post(
    "/{endpoint_id}/secret-rotations",
    operation_id="rotateWebhookSecret",
    status_code=201,
    response_model=SecretOut,
    responses=problem_responses(404, 409),
    summary="A new signing secret; the former one signs beside it for the overlap period",
)
async def rotate_secret(
    endpoint_id: uuid.UUID, request: Request, uow: Writer, call: ToSubscribe, now: RealNow
) -> SecretOut:
    overlap = timedelta(hours=request.app.state.settings.rotation_overlap_hours)
    endpoint, secret = await endpoints.rotate(uow, endpoint_id=endpoint_id, call=call, now=now, overlap=overlap)
    assert endpoint.previous_secret_until is not None
    return SecretOut(endpoint_id=endpoint.id, secret=secret, previous_secret_until=endpoint.previous_secret_until)


@router.get(
    "/{endpoint_id}/deliveries",
    operation_id="listWebhookDeliveries",
    response_model=DeliveriesOut,
    responses=problem_responses(404, 422),
    summary="The endpoint's delivery log, newest first: attempts, answers, latency, next try",
)
async def list_deliveries(
    endpoint_id: uuid.UUID, uow: Reader, call: ToSubscribe, page: Annotated[PageRequest, Depends(page_request)]
) -> DeliveriesOut:
    found = await deliveries.deliveries(uow, endpoint_id=endpoint_id, principal=call.principal, page=page)
    return DeliveriesOut(items=[delivery_out(item) for item in found.items], next_cursor=found.next_cursor)


@router.get(
    "/{endpoint_id}/deliveries/{message_id}",
    operation_id="getWebhookDelivery",
    response_model=DeliveryOut,
    responses=problem_responses(404),
    summary="One delivery and its every attempt",
)
async def get_delivery(endpoint_id: uuid.UUID, message_id: MessageId, uow: Reader, call: ToSubscribe) -> DeliveryOut:
    found = await deliveries.delivery(uow, endpoint_id=endpoint_id, message_id=message_id, principal=call.principal)
    return delivery_out(found)


@router.post(
    "/{endpoint_id}/deliveries/{message_id}/redeliver",
    operation_id="redeliverWebhook",
    response_model=DeliveryOut,
    responses=problem_responses(404, 409),
    summary="Send a message again now (same webhook-id), on a retry schedule of its own",
)
async def redeliver(
    endpoint_id: uuid.UUID, message_id: MessageId, uow: Writer, call: ToSubscribe, now: RealNow
) -> DeliveryOut:
    found = await deliveries.redeliver(
        uow, endpoint_id=endpoint_id, message_id=message_id, principal=call.principal, now=now
    )
    return delivery_out(found)
