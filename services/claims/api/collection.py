"""HTTP routes of a claim's collection track: record a step, read the track and its next step."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from services.claims.api.dependencies import Reader, Writer
from services.claims.api.routes import FACT_ERRORS
from services.claims.api.schemas import (
    CollectionActionIn,
    CollectionActionOut,
    CollectionOut,
    NextStepOut,
    RouteTriedOut,
)
from services.claims.domain.collection.terms import ActionKind
from services.claims.service_layer import collection
from services.kit.dependencies import OutboxDep, ToCollect, ToRead
from services.kit.problems import problem_responses

router = APIRouter(prefix="/v1/claims", tags=["collection"])


def collection_out(result: collection.CollectionView) -> CollectionOut:
    track = result.track
    step = track.next_step
    return CollectionOut(
        claim_id=result.claim.id,
        as_of=result.as_of,
        route=track.route,
        stage=track.stage,
        collector=track.collector,
        suspended=track.suspended,
        duties_met=track.duties_met,
        disputed=track.disputed,
        enforceable_title=track.enforceable_title,
        routes_tried=[RouteTriedOut(route=route, outcome=outcome) for route, outcome in track.tried],
        next_step=NextStepOut.model_validate(step, from_attributes=True) if step else None,
        actions=[CollectionActionOut.model_validate(row, from_attributes=True) for row in result.actions],
    )


@router.post(
    "/{claim_id:uuid}/collection-actions",
    operation_id="recordCollectionAction",
    status_code=201,
    response_model=CollectionOut,
    responses=FACT_ERRORS,
    summary="A collection step taken (reminder, notice, court step, payment obtained, handover); 422 out of order",
)
async def collection_action(
    claim_id: uuid.UUID,
    body: CollectionActionIn,
    request: Request,
    response: Response,
    uow: Writer,
    outbox: OutboxDep,
    call: ToCollect,
) -> CollectionOut:
    result = await collection.record_action(
        uow,
        outbox,
        claim_id=claim_id,
        data=collection.ActionRecord(
            kind=ActionKind(body.kind),
            done_on=body.done_on,
            documents=[item.model_dump(mode="json") for item in body.documents],
            note=body.note,
            hearing_on=getattr(body, "hearing_on", None),
            payment_period_days=getattr(body, "payment_period_days", None),
            method=getattr(body, "method", None),
            amount=getattr(body, "amount", None),
            served_to_person=getattr(body, "served_to_person", None),
        ),
        settings_rules=request.app.state.settings.collection,
        call=call,
    )
    response.headers["Location"] = f"/v1/claims/{claim_id}/collection"
    return collection_out(result)


@router.get(
    "/{claim_id:uuid}/collection",
    operation_id="getCollection",
    response_model=CollectionOut,
    responses=problem_responses(404, 422),
    summary="The collection track: what was done, where it stands, the next step and its deadline",
)
async def get_collection(claim_id: uuid.UUID, request: Request, uow: Reader, call: ToRead) -> CollectionOut:
    result = await collection.collection_of(
        uow,
        claim_id=claim_id,
        settings_rules=request.app.state.settings.collection,
        principal=call.principal,
        today=call.now.date(),
    )
    return collection_out(result)
