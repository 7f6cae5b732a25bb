"""HTTP routes of the claims service: parse, call one handler, shape the answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from services.claims.adapters.repository import ClaimsUnitOfWork
from services.claims.api.dependencies import Reader, Writer
from services.claims.api.schemas import (
    ClaimDeclaration,
    ClaimOut,
    CreanceFilingIn,
    DeadlinesOut,
    ExtensionIn,
    IndemnityOut,
    IndemnityPreviewOut,
    InvoiceOut,
    InvoicesIn,
    PaymentIn,
    ReasonIn,
    RecoveryIn,
    RecoveryOut,
    RecoverySplitOut,
    ReliefIn,
    SweepIn,
    SweepOut,
    TimelineEntryOut,
    WorkItemOut,
    WorklistOut,
    declared_invoices,
)
from services.claims.domain.claim import Actor
from services.claims.domain.status import ClaimStatus
from services.claims.service_layer import creance, debtor_events, declarations, lifecycle, queries, settlement, sweeps
from services.claims.service_layer import worklist as worklist_service
from services.claims.service_layer.declarations import DeclareDefault
from services.kit.dependencies import (
    OutboxDep,
    ToChangeDeclared,
    ToChangeHandled,
    ToDeclare,
    ToFileCreance,
    ToHandleClaims,
    ToRead,
    etag_of,
)
from services.kit.events import events_router
from services.kit.money import PositiveAmount
from services.kit.pagination import Page, PageRequest, page_request
from services.kit.problems import problem_responses
from services.kit.schemas import Day
from services.kit.upstream import Upstream


async def _upstreams(request: Request) -> dict[str, Upstream]:
    upstreams: dict[str, Upstream] = request.app.state.upstreams
    return upstreams


async def _authorization(request: Request) -> str | None:
    """The caller's own token, sent on to the services a declaration asks (they check what it may see)."""
    return request.headers.get("authorization")


Upstreams = Annotated[dict[str, Upstream], Depends(_upstreams)]
Authorization = Annotated[str | None, Depends(_authorization)]
FACT_ERRORS = problem_responses(404, 409, 422)
# Changes to what the claim is (its créance, its status, an extension) need the ETag last read: no lost update.
# Invoices added, payments, collection steps are facts recorded as they come, without it.
CHANGE_ERRORS = problem_responses(404, 409, 412, 422, 428)

claims = APIRouter(prefix="/v1/claims", tags=["claims"])


def claim_out(view: queries.ClaimView) -> ClaimOut:
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
        creance_missed_on=claim.creance_missed_on,
        forclusion_relief_on=claim.forclusion_relief_on,
        loss_ground=claim.loss_ground,
        invoices=[InvoiceOut.model_validate(item, from_attributes=True) for item in view.invoices],
        terms=claim.terms,
        rejection_reasons=claim.rejection_reasons,
        created_at=claim.created_at,
        updated_at=claim.updated_at,
    )


def changed(view: queries.ClaimView, response: Response) -> ClaimOut:
    """The claim as it stands after a change, with the ETag the next change must send as If-Match."""
    response.headers["ETag"] = etag_of(view.claim.version)
    return claim_out(view)


@claims.post(
    "",
    operation_id="declareClaim",
    status_code=201,
    response_model=ClaimOut,
    responses=problem_responses(404, 409, 422, 503),
    summary="Declare a default: the claim opens (201) or is rejected with every reason (422)",
)
async def declare(
    body: ClaimDeclaration,
    response: Response,
    uow: Writer,
    call: ToDeclare,
    outbox: OutboxDep,
    services: Upstreams,
    authorization: Authorization,
) -> ClaimOut:
    view = await declarations.declare(
        uow,
        outbox,
        policies=services["policies"],
        debtors=services["debtors"],
        data=DeclareDefault(body.policy_id, body.debtor_id, declared_invoices(body.invoices)),
        authorization=authorization,
        call=call,
    )
    response.headers["Location"] = f"/v1/claims/{view.claim.id}"
    return changed(view, response)


@claims.post(
    "/{claim_id:uuid}/invoices",
    operation_id="addInvoices",
    status_code=201,
    response_model=ClaimOut,
    responses=problem_responses(404, 409, 422, 503),
    summary="More unpaid invoices on the claim's buyer, cover-checked as a declaration (before the indemnity)",
)
async def add_invoices(
    claim_id: uuid.UUID,
    body: InvoicesIn,
    response: Response,
    uow: Writer,
    call: ToDeclare,
    services: Upstreams,
    authorization: Authorization,
) -> ClaimOut:
    view = await declarations.add_invoices(
        uow,
        policies=services["policies"],
        debtors=services["debtors"],
        claim_id=claim_id,
        invoices=declared_invoices(body.invoices),
        authorization=authorization,
        call=call,
    )
    response.headers["Location"] = f"/v1/claims/{claim_id}"
    return changed(view, response)


@claims.get(
    "",
    operation_id="listClaims",
    response_model=Page[ClaimOut],
    responses=problem_responses(422),
    summary="List claims",
)
async def list_claims(
    uow: Reader,
    call: ToRead,
    page: Annotated[PageRequest, Depends(page_request)],
    status: ClaimStatus | None = None,
    debtor_id: uuid.UUID | None = None,
    policy_id: uuid.UUID | None = None,
) -> Page[ClaimOut]:
    result = await queries.list_claims(
        uow, principal=call.principal, page=page, status=status, debtor_id=debtor_id, policy_id=policy_id
    )
    return Page[ClaimOut](items=[claim_out(view) for view in result.items], next_cursor=result.next_cursor)


@claims.get(
    "/{claim_id:uuid}",
    operation_id="getClaim",
    response_model=ClaimOut,
    responses=problem_responses(404, 422),
    summary="Read a claim",
)
async def get_claim(claim_id: uuid.UUID, uow: Reader, call: ToRead, response: Response) -> ClaimOut:
    return changed(await queries.get_claim(uow, claim_id=claim_id, principal=call.principal), response)


@claims.get(
    "/{claim_id:uuid}/timeline",
    operation_id="getClaimTimeline",
    response_model=list[TimelineEntryOut],
    responses=problem_responses(404, 422),
    summary="Every state change and fact of the claim, with who, when and from which request or event",
)
async def get_timeline(claim_id: uuid.UUID, uow: Reader, call: ToRead) -> list[TimelineEntryOut]:
    entries = await queries.timeline(uow, claim_id=claim_id, principal=call.principal)
    return [TimelineEntryOut.model_validate(entry, from_attributes=True) for entry in entries]


@claims.post(
    "/{claim_id:uuid}/payments-received",
    operation_id="recordPaymentReceived",
    status_code=201,
    response_model=ClaimOut,
    responses=FACT_ERRORS,
    summary="A payment received from the debtor (paid in full: settled)",
)
async def payment_received(
    claim_id: uuid.UUID, body: PaymentIn, uow: Writer, response: Response, call: ToDeclare, outbox: OutboxDep
) -> ClaimOut:
    view = await lifecycle.receive_payment(
        uow, outbox, claim_id=claim_id, amount=body.amount, received_on=body.received_on, call=call
    )
    return changed(view, response)


@claims.post(
    "/{claim_id:uuid}/due-date-extensions",
    operation_id="extendDueDate",
    status_code=201,
    response_model=ClaimOut,
    responses=CHANGE_ERRORS,
    summary="A due date extended within the maximum extension period",
)
async def due_date_extension(
    claim_id: uuid.UUID, body: ExtensionIn, uow: Writer, response: Response, call: ToChangeDeclared
) -> ClaimOut:
    view = await lifecycle.extend_due_date(
        uow, claim_id=claim_id, invoice_number=body.invoice_number, new_due_date=body.new_due_date, call=call
    )
    return changed(view, response)


@claims.post(
    "/{claim_id:uuid}/creance-filings",
    operation_id="fileCreance",
    status_code=201,
    response_model=ClaimOut,
    responses=CHANGE_ERRORS,
    summary="The déclaration de créance filed with the court officer",
)
async def creance_filing(
    claim_id: uuid.UUID, body: CreanceFilingIn, uow: Writer, response: Response, call: ToFileCreance
) -> ClaimOut:
    view = await creance.file_creance(
        uow,
        claim_id=claim_id,
        filed_on=body.filed_on,
        amount=body.amount,
        court_officer=body.court_officer,
        call=call,
    )
    return changed(view, response)


@claims.post(
    "/{claim_id:uuid}/forclusion-relief",
    operation_id="recordForclusionRelief",
    status_code=201,
    response_model=ClaimOut,
    responses=CHANGE_ERRORS,
    summary="A relevé de forclusion granted: a new, halved deadline to file the créance, from its notification",
)
async def forclusion_relief(
    claim_id: uuid.UUID, body: ReliefIn, uow: Writer, response: Response, call: ToChangeHandled
) -> ClaimOut:
    view = await creance.record_relief(
        uow,
        claim_id=claim_id,
        requested_on=body.requested_on,
        granted_on=body.granted_on,
        notified_on=body.notified_on,
        call=call,
    )
    return changed(view, response)


@claims.post(
    "/{claim_id:uuid}/withdrawal",
    operation_id="withdrawClaim",
    status_code=201,
    response_model=ClaimOut,
    responses=CHANGE_ERRORS,
    summary="The insured withdraws the claim (before any indemnity)",
)
async def withdrawal(
    claim_id: uuid.UUID, body: ReasonIn, uow: Writer, response: Response, call: ToChangeDeclared, outbox: OutboxDep
) -> ClaimOut:
    view = await lifecycle.end_claim(
        uow, outbox, claim_id=claim_id, target=ClaimStatus.WITHDRAWN, reason=body.reason, call=call
    )
    return changed(view, response)


@claims.post(
    "/sweeps",
    operation_id="runSweep",
    response_model=SweepOut,
    responses=problem_responses(422),
    summary="Apply the deadlines as of a date (also run on a schedule); safe to run twice",
)
async def run_sweep(body: SweepIn, uow: Writer, call: ToHandleClaims) -> SweepOut:
    report = await sweeps.sweep(uow, on=body.on or call.now.date(), actor=Actor.of(call), now=call.now)
    return SweepOut.model_validate(report, from_attributes=True)


@claims.post(
    "/{claim_id:uuid}/indemnity",
    operation_id="payIndemnity",
    status_code=201,
    response_model=IndemnityOut,
    responses={200: {"model": IndemnityOut, "description": "Already paid: the same payment"}}
    | problem_responses(404, 409, 422, 503),
    summary="Compute and pay the indemnity, once: a repeated call answers the same payment (200)",
)
async def indemnity(
    claim_id: uuid.UUID,
    request: Request,
    response: Response,
    uow: Writer,
    call: ToHandleClaims,
    outbox: OutboxDep,
    services: Upstreams,
) -> IndemnityOut:
    paid, created = await settlement.pay_indemnity(
        uow,
        outbox,
        policies=services["policies"],
        claim_id=claim_id,
        settings_rules=request.app.state.settings.collection,
        internal_token=request.app.state.settings.internal_token,
        call=call,
    )
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/v1/claims/{claim_id}/indemnity"
    return IndemnityOut.model_validate(paid, from_attributes=True)


@claims.get(
    "/{claim_id:uuid}/indemnity-preview",
    operation_id="previewIndemnity",
    response_model=IndemnityPreviewOut,
    responses=problem_responses(404, 409, 422),
    summary="The indemnity a payment would compute now, line by line (nothing is paid or reserved)",
)
async def indemnity_preview(
    claim_id: uuid.UUID, request: Request, uow: Reader, call: ToHandleClaims
) -> IndemnityPreviewOut:
    preview = await settlement.preview_indemnity(
        uow, claim_id=claim_id, settings_rules=request.app.state.settings.collection, call=call
    )
    return IndemnityPreviewOut.model_validate(preview, from_attributes=True)


@claims.get(
    "/{claim_id:uuid}/indemnity",
    operation_id="getIndemnity",
    response_model=IndemnityOut,
    responses=problem_responses(404, 409, 422),
    summary="The indemnity paid, with its breakdown line by line",
)
async def get_indemnity(claim_id: uuid.UUID, uow: Reader, call: ToRead) -> IndemnityOut:
    paid = await queries.indemnity_of(uow, claim_id=claim_id, principal=call.principal)
    return IndemnityOut.model_validate(paid, from_attributes=True)


@claims.get(
    "/{claim_id:uuid}/recovery-split",
    operation_id="previewRecoverySplit",
    response_model=RecoverySplitOut,
    responses=problem_responses(404, 409, 422),
    summary="How a recovery would be shared pro rata if recorded now (nothing is written)",
)
async def recovery_split(
    claim_id: uuid.UUID,
    uow: Reader,
    call: ToHandleClaims,
    amount: Annotated[PositiveAmount, Query(description="The amount recovered.")],
    received_on: Annotated[Day, Query(description="The day it was received.")],
) -> RecoverySplitOut:
    currency, insurer, insured = await settlement.preview_recovery(
        uow, claim_id=claim_id, amount=amount, received_on=received_on, call=call
    )
    return RecoverySplitOut(
        claim_id=claim_id, currency=currency, amount=amount, insurer_share=insurer, insured_share=insured
    )


@claims.post(
    "/{claim_id:uuid}/recoveries",
    operation_id="recordRecovery",
    status_code=201,
    response_model=RecoveryOut,
    responses=FACT_ERRORS,
    summary="A recovery after the indemnity, shared pro rata between insurer and insured",
)
async def recovery(
    claim_id: uuid.UUID, body: RecoveryIn, uow: Writer, outbox: OutboxDep, call: ToHandleClaims
) -> RecoveryOut:
    recorded = await settlement.record_recovery(
        uow,
        outbox,
        claim_id=claim_id,
        amount=body.amount,
        received_on=body.received_on,
        origin=body.origin,
        call=call,
    )
    return RecoveryOut.model_validate(recorded, from_attributes=True)


@claims.post(
    "/{claim_id:uuid}/closure",
    operation_id="closeClaim",
    status_code=201,
    response_model=ClaimOut,
    responses=CHANGE_ERRORS,
    summary="Close the claim (procedure closed, or by the handler)",
)
async def closure(
    claim_id: uuid.UUID, body: ReasonIn, uow: Writer, response: Response, call: ToChangeHandled, outbox: OutboxDep
) -> ClaimOut:
    view = await lifecycle.end_claim(
        uow, outbox, claim_id=claim_id, target=ClaimStatus.CLOSED, reason=body.reason, call=call
    )
    return changed(view, response)


worklist = APIRouter(prefix="/v1/worklist", tags=["claims"])


@worklist.get(
    "",
    operation_id="getWorklist",
    response_model=WorklistOut,
    responses=problem_responses(422),
    summary="Claims needing action, nearest deadline first, a page at a time",
)
async def get_worklist(
    request: Request,
    reader: Reader,
    writer: Writer,
    call: ToHandleClaims,
    page: Annotated[PageRequest, Depends(page_request)],
    within_days: Annotated[int, Query(ge=0, le=365, description="Horizon for deadlines")] = 30,
    status: ClaimStatus | None = None,
    debtor_id: uuid.UUID | None = None,
    policy_id: uuid.UUID | None = None,
    insured_id: Annotated[str | None, Query(max_length=64, description="Only this insured's claims")] = None,
    action: Annotated[
        str | None,
        Query(
            max_length=64,
            description="Only this kind of deadline (`creance_to_file`, `indemnity_to_pay`, `collection:…`)",
        ),
    ] = None,
) -> WorklistOut:
    as_of, found = await worklist_service.page(
        reader,
        writer,
        basis=worklist_service.Basis(request.app.state.clock, request.app.state.settings.collection),
        within_days=within_days,
        status=status,
        debtor_id=debtor_id,
        policy_id=policy_id,
        insured_id=insured_id,
        action=action,
        request=page,
    )
    return WorklistOut(
        as_of=as_of,
        items=[WorkItemOut.model_validate(item, from_attributes=True) for item in found.items],
        next_cursor=found.next_cursor,
    )


routers = [claims, worklist, events_router(ClaimsUnitOfWork, debtor_events.handle)]
