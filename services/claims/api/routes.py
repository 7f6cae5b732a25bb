"""HTTP routes of the claims service: parse, call one handler, shape the answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from services.claims.api.schemas import ClaimDeclaration, ClaimOut, DeadlinesOut, InvoiceOut, TimelineEntryOut
from services.claims.domain.status import ClaimStatus
from services.claims.service_layer import debtor_events, declarations
from services.kit.auth import Allow, Principal, Role
from services.kit.dependencies import ClockDep, Reader, RequestId, Writer
from services.kit.outbox import EventEnvelope, Outbox, check_internal_token
from services.kit.pagination import Page, PageRequest, page_request
from services.kit.problems import problem_responses
from services.kit.upstream import Upstream

Insured = Annotated[Principal, Depends(Allow(Role.INSURED))]
Readers = Annotated[Principal, Depends(Allow(Role.INSURED, Role.CLAIMS_HANDLER, Role.UNDERWRITER, Role.ADMIN))]


def _outbox(request: Request) -> Outbox:
    return request.app.state.outbox


def _upstreams(request: Request) -> dict[str, Upstream]:
    return request.app.state.upstreams


claims = APIRouter(prefix="/v1/claims", tags=["claims"])
internal = APIRouter(prefix="/internal", include_in_schema=False)


def claim_out(view: declarations.ClaimView) -> ClaimOut:
    claim = view.claim
    return ClaimOut(
        id=claim.id,
        status=ClaimStatus(claim.status),
        frozen=claim.frozen,
        insured_id=claim.insured_id,
        policy_id=claim.policy_id,
        debtor_id=claim.debtor_id,
        currency=claim.currency,
        declaration_date=claim.declaration_date,
        deadlines=DeadlinesOut.model_validate(claim, from_attributes=True),
        creance_filed_on=claim.creance_filed_on,
        invoices=[InvoiceOut.model_validate(item, from_attributes=True) for item in view.invoices],
        terms=claim.terms,
        rejection_reasons=claim.rejection_reasons,
        created_at=claim.created_at,
        updated_at=claim.updated_at,
    )


@claims.post(
    "",
    status_code=201,
    response_model=ClaimOut,
    responses=problem_responses(404, 409, 422, 503),
    summary="Declare a default: the claim opens (201) or is rejected with every reason (422)",
)
async def declare(
    body: ClaimDeclaration,
    request: Request,
    response: Response,
    uow: Writer,
    clock: ClockDep,
    request_id: RequestId,
    principal: Insured,
    outbox: Annotated[Outbox, Depends(_outbox)],
    services: Annotated[dict[str, Upstream], Depends(_upstreams)],
) -> ClaimOut:
    view = await declarations.declare(
        uow,
        outbox,
        policies=services["policies"],
        debtors=services["debtors"],
        data=body,
        principal=principal,
        authorization=request.headers.get("authorization"),
        request_id=request_id,
        now=clock.now(),
    )
    response.headers["Location"] = f"/v1/claims/{view.claim.id}"
    return claim_out(view)


@claims.get("", response_model=Page[ClaimOut], responses=problem_responses(422), summary="List claims")
async def list_claims(
    uow: Reader,
    principal: Readers,
    page: Annotated[PageRequest, Depends(page_request)],
    status: ClaimStatus | None = None,
    debtor_id: uuid.UUID | None = None,
    policy_id: uuid.UUID | None = None,
) -> Page[ClaimOut]:
    result = await declarations.list_claims(
        uow, principal=principal, page=page, status=status, debtor_id=debtor_id, policy_id=policy_id
    )
    return Page[ClaimOut](items=[claim_out(view) for view in result.items], next_cursor=result.next_cursor)


@claims.get("/{claim_id}", response_model=ClaimOut, responses=problem_responses(404, 422), summary="Read a claim")
async def get_claim(claim_id: uuid.UUID, uow: Reader, principal: Readers) -> ClaimOut:
    return claim_out(await declarations.get_claim(uow, claim_id=claim_id, principal=principal))


@claims.get(
    "/{claim_id}/timeline",
    response_model=list[TimelineEntryOut],
    responses=problem_responses(404, 422),
    summary="Every state change and fact of the claim, with who, when and from which request or event",
)
async def get_timeline(claim_id: uuid.UUID, uow: Reader, principal: Readers) -> list[TimelineEntryOut]:
    entries = await declarations.timeline(uow, claim_id=claim_id, principal=principal)
    return [TimelineEntryOut.model_validate(entry, from_attributes=True) for entry in entries]


@internal.post("/events", dependencies=[Depends(check_internal_token)])
async def receive_event(envelope: EventEnvelope, uow: Writer, clock: ClockDep) -> dict[str, bool]:
    applied = await debtor_events.handle(uow, envelope=envelope, now=clock.now())
    return {"applied": applied}


routers = [claims, internal]
