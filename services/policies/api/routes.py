"""HTTP routes of the policies service: parse, call one handler, shape the answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from services.kit.dependencies import ClockDep, ToChangeUnderwritten, ToRead, ToUnderwrite, etag_of
from services.kit.outbox import check_internal_token
from services.kit.pagination import Page, PageRequest, page_request
from services.kit.problems import problem_responses
from services.kit.schemas import Day
from services.policies.adapters.tables import Policy
from services.policies.api.dependencies import Reader, Writer
from services.policies.api.schemas import (
    CoverCheckOut,
    CoverCheckRequest,
    CoverTermsOut,
    DeadlinesOut,
    LiabilityOut,
    PolicyCreate,
    PolicyOut,
    PolicyPatch,
    ReasonOut,
    ReservationOut,
    ReservationRequest,
    TermsOut,
    cover_question,
    new_policy,
)
from services.policies.domain.policy import PolicyStatus
from services.policies.service_layer import handlers
from services.policies.service_layer.commands import PolicyChanges, Reservation

router = APIRouter(prefix="/v1/policies", tags=["policies"])


def policy_out(policy: Policy) -> PolicyOut:
    return PolicyOut.model_validate(
        {**policy.model_dump(), "terms": TermsOut.model_validate(policy, from_attributes=True)}
    )


def _with_etag(response: Response, policy: Policy) -> PolicyOut:
    response.headers["ETag"] = etag_of(policy.version)
    return policy_out(policy)


@router.post(
    "",
    operation_id="createPolicy",
    status_code=201,
    response_model=PolicyOut,
    responses=problem_responses(409, 422),
    summary="Create a policy (as a draft)",
)
async def create_policy(body: PolicyCreate, response: Response, uow: Writer, call: ToUnderwrite) -> PolicyOut:
    policy = await handlers.create_policy(uow, data=new_policy(body), actor=call.principal, now=call.now)
    response.headers["Location"] = f"/v1/policies/{policy.id}"
    return _with_etag(response, policy)


@router.get(
    "",
    operation_id="listPolicies",
    response_model=Page[PolicyOut],
    responses=problem_responses(422),
    summary="List policies",
)
async def list_policies(
    uow: Reader,
    call: ToRead,
    page: Annotated[PageRequest, Depends(page_request)],
    insured_id: Annotated[str | None, Query(max_length=64)] = None,
    status: PolicyStatus | None = None,
    number: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[PolicyOut]:
    result = await handlers.list_policies(
        uow, principal=call.principal, page=page, insured_id=insured_id, status=status, number=number
    )
    return Page[PolicyOut](items=[policy_out(policy) for policy in result.items], next_cursor=result.next_cursor)


@router.get(
    "/{policy_id:uuid}",
    operation_id="getPolicy",
    response_model=PolicyOut,
    responses=problem_responses(404, 422),
    summary="Read a policy",
)
async def get_policy(policy_id: uuid.UUID, response: Response, uow: Reader, call: ToRead) -> PolicyOut:
    return _with_etag(response, await handlers.get_policy(uow, policy_id=policy_id, principal=call.principal))


@router.patch(
    "/{policy_id:uuid}",
    operation_id="updatePolicy",
    response_model=PolicyOut,
    responses=problem_responses(404, 409, 412, 422, 428),
    summary="Change a policy's status, or a draft's terms (needs If-Match)",
)
async def update_policy(
    policy_id: uuid.UUID,
    body: PolicyPatch,
    response: Response,
    uow: Writer,
    call: ToChangeUnderwritten,
) -> PolicyOut:
    policy = await handlers.update_policy(
        uow,
        policy_id=policy_id,
        changes=PolicyChanges.of(body.changes()),
        if_match=call.if_match,
        actor=call.principal,
        now=call.now,
    )
    return _with_etag(response, policy)


@router.post(
    "/{policy_id:uuid}/cover-checks",
    operation_id="checkCover",
    response_model=CoverCheckOut,
    responses=problem_responses(404, 422),
    summary="Would these unpaid invoices be covered? Every reason, and the deadlines",
)
async def check_cover(policy_id: uuid.UUID, body: CoverCheckRequest, uow: Reader, call: ToRead) -> CoverCheckOut:
    policy, declaration_date, decision = await handlers.check_cover(
        uow, policy_id=policy_id, request=cover_question(body), principal=call.principal, today=call.now.date()
    )
    return CoverCheckOut(
        policy_id=policy.id,
        declaration_date=declaration_date,
        covered=decision.covered,
        reasons=[ReasonOut.model_validate(reason, from_attributes=True) for reason in decision.reasons],
        deadlines=DeadlinesOut.model_validate(decision.deadlines, from_attributes=True),
        terms=CoverTermsOut.model_validate(policy, from_attributes=True),
    )


@router.get(
    "/{policy_id:uuid}/liability",
    operation_id="getLiability",
    response_model=LiabilityOut,
    responses=problem_responses(404, 422),
    summary="Maximum liability of the insurance year, consumed and remaining",
)
async def get_liability(
    policy_id: uuid.UUID,
    uow: Reader,
    call: ToRead,
    on: Annotated[Day | None, Query(description="A day of the insurance year; defaults to today.")] = None,
) -> LiabilityOut:
    figures = await handlers.liability_of(uow, policy_id=policy_id, on=on or call.now.date(), principal=call.principal)
    return LiabilityOut.model_validate(figures)


# Reservations are the claims service's, as it pays an indemnity: no person's role may make or undo one.
internal = APIRouter(prefix="/internal/policies", include_in_schema=False, dependencies=[Depends(check_internal_token)])


@internal.post("/{policy_id:uuid}/liability/reservations", status_code=201, response_model=ReservationOut)
async def reserve_liability(
    policy_id: uuid.UUID, body: ReservationRequest, response: Response, uow: Writer, clock: ClockDep
) -> ReservationOut:
    """Reserve a claim's indemnity against the year's maximum liability (idempotent by claim id)."""
    reservation, created = await handlers.reserve_liability(
        uow,
        policy_id=policy_id,
        request=Reservation(body.claim_id, body.amount, body.currency, body.attributable_date),
        by="claims-service",
        now=clock.now(),
    )
    if not created:
        response.status_code = 200
    return ReservationOut.model_validate(reservation, from_attributes=True)
