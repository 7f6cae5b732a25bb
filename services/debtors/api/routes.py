"""HTTP routes of the debtors service: parse, call one handler, shape the answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from services.debtors.adapters.policies import PolicyBook
from services.debtors.adapters.repository import DebtorsUnitOfWork
from services.debtors.adapters.tables import Debtor, Exposure, ProcedureEventRow
from services.debtors.api.dependencies import Reader, Writer
from services.debtors.api.schemas import (
    BODACC_EXAMPLE,
    BodaccRecords,
    CreditLimitOut,
    CreditLimitRequestIn,
    DebtorCreate,
    DebtorExposureOut,
    DebtorOut,
    DecisionIn,
    DeclarationContextOut,
    ExposureIn,
    ExposureOut,
    ExposureTotal,
    IgnoredOut,
    IngestionOut,
    LimitInForceOut,
    LimitsInForceOut,
    ProcedureEventIn,
    ProcedureEventOut,
    ProcedureStateOut,
    RequestOut,
    VersionOut,
)
from services.debtors.domain.courts import court_seat
from services.debtors.domain.limits import LimitInForce
from services.debtors.domain.procedures import ProcedureEvent, ProcedureState
from services.debtors.service_layer import (
    claim_events,
    credit_limits,
    declaration_context,
    exposures,
    procedures,
    registry,
)
from services.debtors.service_layer.commands import ExposureStatement, LimitDecision, LimitRequest, NewDebtor
from services.kit.dependencies import OutboxDep, ToChangeUnderwritten, ToHandleClaims, ToRead, ToRequestLimits, etag_of
from services.kit.events import events_router
from services.kit.money import CountryCode
from services.kit.pagination import Page, PageRequest, page_request
from services.kit.problems import problem_responses
from services.kit.schemas import Day


async def _policies(request: Request) -> PolicyBook:
    return request.app.state.policy_book


async def _authorization(request: Request) -> str | None:
    return request.headers.get("authorization")


Policies = Annotated[PolicyBook, Depends(_policies)]
Authorization = Annotated[str | None, Depends(_authorization)]
Page_ = Annotated[PageRequest, Depends(page_request)]
DeliveryDates = Annotated[list[Day], Query(min_length=1, max_length=1000, description="Delivery dates")]

debtors = APIRouter(prefix="/v1/debtors", tags=["debtors"])
limits = APIRouter(prefix="/v1/credit-limits", tags=["credit limits"])
exposure = APIRouter(prefix="/v1/exposures", tags=["exposure"])
announcements = APIRouter(prefix="/v1/procedure-announcements", tags=["collective procedures"])


# registry


@debtors.post(
    "",
    operation_id="createDebtor",
    status_code=201,
    response_model=DebtorOut,
    responses=problem_responses(409, 422),
    summary="Register a debtor",
)
async def create_debtor(body: DebtorCreate, response: Response, uow: Writer, outbox: OutboxDep, call: ToRead) -> Debtor:
    debtor = await registry.create_debtor(
        uow, outbox, data=NewDebtor(**body.model_dump()), actor=call.principal, now=call.now
    )
    response.headers["Location"] = f"/v1/debtors/{debtor.id}"
    return debtor


@debtors.get(
    "",
    operation_id="searchDebtors",
    response_model=Page[DebtorOut],
    responses=problem_responses(422),
    summary="Find debtors",
)
async def search_debtors(
    uow: Reader,
    call: ToRead,
    page: Page_,
    siren: Annotated[str | None, Query(max_length=11)] = None,
    siret: Annotated[str | None, Query(max_length=17)] = None,
    vat: Annotated[str | None, Query(max_length=20)] = None,
    name: Annotated[str | None, Query(min_length=1, max_length=200, description="Prefix of the legal name")] = None,
    country: CountryCode | None = None,
) -> Page[Debtor]:
    return await registry.search_debtors(
        uow, page=page, siren=siren, siret=siret, vat_number=vat, name=name, country=country
    )


@debtors.get(
    "/{debtor_id:uuid}",
    operation_id="getDebtor",
    response_model=DebtorOut,
    responses=problem_responses(404, 422),
    summary="Read a debtor",
)
async def get_debtor(debtor_id: uuid.UUID, uow: Reader, call: ToRead) -> Debtor:
    return await registry.get_debtor(uow, debtor_id=debtor_id)


# exposure


def _exposure_out(line: Exposure) -> ExposureOut:
    return ExposureOut.model_validate(line, from_attributes=True)


@debtors.get(
    "/{debtor_id:uuid}/exposure",
    operation_id="getDebtorExposure",
    response_model=DebtorExposureOut,
    responses=problem_responses(404, 422),
    summary="Declared exposure on a debtor (own lines for an insured, every policy for the back office)",
)
async def get_exposure(debtor_id: uuid.UUID, uow: Reader, call: ToRead) -> DebtorExposureOut:
    lines, totals = await exposures.debtor_exposure(uow, debtor_id=debtor_id, principal=call.principal)
    return DebtorExposureOut(
        debtor_id=debtor_id,
        totals=[ExposureTotal(currency=currency, amount=amount) for currency, amount in totals.items()],
        lines=[_exposure_out(line) for line in lines],
    )


@exposure.put(
    "/{policy_id:uuid}/{debtor_id:uuid}",
    operation_id="declareExposure",
    response_model=ExposureOut,
    responses={201: {"description": "Created", "model": ExposureOut}, **problem_responses(404, 409, 422)},
    summary="Declare the outstanding amount on a debtor under a policy (idempotent)",
)
async def put_exposure(
    policy_id: uuid.UUID,
    debtor_id: uuid.UUID,
    body: ExposureIn,
    response: Response,
    uow: Writer,
    policies: Policies,
    authorization: Authorization,
    call: ToRequestLimits,
) -> ExposureOut:
    line, created = await exposures.declare_exposure(
        uow,
        policies,
        policy_id=policy_id,
        debtor_id=debtor_id,
        data=ExposureStatement(**body.model_dump()),
        principal=call.principal,
        authorization=authorization,
        now=call.now,
    )
    response.status_code = 201 if created else 200
    return _exposure_out(line)


# collective procedures


def _procedure_out(debtor_id: uuid.UUID, state: ProcedureState, history: list[ProcedureEventRow]) -> ProcedureStateOut:
    return ProcedureStateOut(
        debtor_id=debtor_id,
        procedure=state.procedure,
        open=state.open,
        insolvent=state.insolvent,
        opened_on=state.opened_on,
        opening_publication_date=state.opening_publication_date,
        creance_deadline=state.creance_deadline,
        creance_deadline_legal=state.creance_deadline_legal,
        opening_court=state.opening_court,
        opening_court_seat=state.opening_court_seat,
        opening_missing=state.opening_missing,
        history=[ProcedureEventOut.model_validate(row, from_attributes=True) for row in history],
    )


@debtors.get(
    "/{debtor_id:uuid}/procedure",
    operation_id="getDebtorProcedure",
    response_model=ProcedureStateOut,
    responses=problem_responses(404, 422),
    summary="The debtor's collective procedure: where it stands, its deadlines and history",
)
async def get_procedure(debtor_id: uuid.UUID, uow: Reader, call: ToRead) -> ProcedureStateOut:
    state, history = await procedures.procedure_of(uow, debtor_id=debtor_id)
    return _procedure_out(debtor_id, state, history)


@debtors.get(
    "/{debtor_id:uuid}/declaration-context",
    operation_id="getDeclarationContext",
    response_model=DeclarationContextOut,
    responses=problem_responses(404, 422),
    summary="For a claim declaration: the debtor, the policy's limits in force on the delivery dates, the procedure",
)
async def get_declaration_context(
    debtor_id: uuid.UUID,
    uow: Reader,
    policies: Policies,
    authorization: Authorization,
    call: ToRead,
    policy_id: uuid.UUID,
    on: DeliveryDates,
) -> DeclarationContextOut:
    context = await declaration_context.declaration_context(
        uow,
        policies,
        debtor_id=debtor_id,
        policy_id=policy_id,
        dates=on,
        principal=call.principal,
        authorization=authorization,
    )
    return DeclarationContextOut(
        debtor=DebtorOut.model_validate(context.debtor, from_attributes=True),
        limits=_limits_in_force_out(policy_id, debtor_id, context.currency, context.limits),
        procedure=_procedure_out(debtor_id, context.procedure, context.history),
    )


@debtors.post(
    "/{debtor_id:uuid}/procedure-events",
    operation_id="recordProcedureEvent",
    status_code=201,
    response_model=ProcedureStateOut,
    responses=problem_responses(404, 422),
    summary="Record a judgment on the debtor's collective procedure",
)
async def post_procedure_event(
    debtor_id: uuid.UUID,
    body: ProcedureEventIn,
    response: Response,
    uow: Writer,
    outbox: OutboxDep,
    call: ToHandleClaims,
) -> ProcedureStateOut:
    event = ProcedureEvent(
        procedure=body.procedure,
        event=body.event,
        judgment_date=body.judgment_date,
        publication_date=body.publication_date,
        court=body.court,
        closure_reason=body.closure_reason,
        court_seat=body.court_seat or court_seat(body.court),
    )
    state, history = await procedures.record_event(
        uow, outbox, debtor_id=debtor_id, event=event, actor=call.principal, now=call.now
    )
    response.headers["Location"] = f"/v1/debtors/{debtor_id}/procedure"
    return _procedure_out(debtor_id, state, history)


@announcements.post(
    "",
    operation_id="ingestProcedureAnnouncements",
    response_model=IngestionOut,
    responses=problem_responses(422),
    summary="Ingest BODACC records (one, or a batch of up to 10,000), exactly as the open-data set publishes them",
    openapi_extra={"requestBody": {"content": {"application/json": {"example": [BODACC_EXAMPLE]}}}},
)
async def ingest_announcements(
    body: BodaccRecords, uow: Writer, outbox: OutboxDep, call: ToHandleClaims
) -> IngestionOut:
    records = body if isinstance(body, list) else [body]
    report = await procedures.ingest(uow, outbox, records=records, actor=call.principal, now=call.now)
    return IngestionOut(
        received=report.received,
        recorded=report.recorded,
        duplicates=report.duplicates,
        unknown_debtor=report.unknown_debtor,
        ignored=report.ignored,
        ignored_details=[
            IgnoredOut(announcement_id=item.announcement_id, reason=item.reason) for item in report.ignored_details
        ],
    )


# credit limits


def _limit_out(view: credit_limits.CreditLimitView) -> CreditLimitOut:
    pending = view.pending
    return CreditLimitOut(
        id=view.line.id,
        policy_id=view.line.policy_id,
        debtor_id=view.line.debtor_id,
        insured_id=view.line.insured_id,
        currency=view.line.currency,
        amount_in_force=view.amount_in_force,
        pending_request=RequestOut.model_validate(pending, from_attributes=True) if pending else None,
        requests=[RequestOut.model_validate(item, from_attributes=True) for item in view.requests],
        versions=[VersionOut.model_validate(item, from_attributes=True) for item in view.versions],
    )


def _with_etag(response: Response, view: credit_limits.CreditLimitView) -> CreditLimitOut:
    response.headers["ETag"] = etag_of(view.line.version)
    return _limit_out(view)


@limits.post(
    "",
    operation_id="requestCreditLimit",
    status_code=201,
    response_model=CreditLimitOut,
    responses=problem_responses(404, 409, 422),
    summary="Request a credit limit on a debtor under a policy",
)
async def request_limit(
    body: CreditLimitRequestIn,
    response: Response,
    uow: Writer,
    policies: Policies,
    authorization: Authorization,
    call: ToRequestLimits,
) -> CreditLimitOut:
    view = await credit_limits.request_limit(
        uow,
        policies,
        data=LimitRequest(**body.model_dump()),
        principal=call.principal,
        authorization=authorization,
        now=call.now,
    )
    response.headers["Location"] = f"/v1/credit-limits/{view.line.id}"
    return _with_etag(response, view)


@limits.get(
    "",
    operation_id="listCreditLimits",
    response_model=Page[CreditLimitOut],
    responses=problem_responses(422),
    summary="List credit limits",
)
async def list_limits(
    uow: Reader,
    call: ToRead,
    page: Page_,
    policy_id: uuid.UUID | None = None,
    debtor_id: uuid.UUID | None = None,
    pending: Annotated[
        bool | None, Query(description="Only limits with (true) or without (false) a request waiting")
    ] = None,
) -> Page[CreditLimitOut]:
    result = await credit_limits.list_limits(
        uow,
        principal=call.principal,
        page=page,
        policy_id=policy_id,
        debtor_id=debtor_id,
        pending=pending,
        today=call.now.date(),
    )
    return Page[CreditLimitOut](items=[_limit_out(view) for view in result.items], next_cursor=result.next_cursor)


@limits.get(
    "/in-force",
    operation_id="getCreditLimitsInForce",
    response_model=LimitsInForceOut,
    responses=problem_responses(404, 422),
    summary="The limit covering deliveries on each given date (named, else discretionary, unless cover stopped)",
)
async def get_limits_in_force(
    uow: Reader,
    policies: Policies,
    authorization: Authorization,
    call: ToRead,
    policy_id: uuid.UUID,
    debtor_id: uuid.UUID,
    on: DeliveryDates,
) -> LimitsInForceOut:
    # The same read as a declaration's: the debtor must exist, its procedure and claims may stop cover.
    context = await declaration_context.declaration_context(
        uow,
        policies,
        debtor_id=debtor_id,
        policy_id=policy_id,
        dates=on,
        principal=call.principal,
        authorization=authorization,
    )
    return _limits_in_force_out(policy_id, debtor_id, context.currency, context.limits)


def _limits_in_force_out(
    policy_id: uuid.UUID, debtor_id: uuid.UUID, currency: str, answers: list[LimitInForce]
) -> LimitsInForceOut:
    return LimitsInForceOut(
        policy_id=policy_id,
        debtor_id=debtor_id,
        currency=currency,
        limits=[LimitInForceOut.model_validate(answer, from_attributes=True) for answer in answers],
    )


@limits.get(
    "/{limit_id:uuid}",
    operation_id="getCreditLimit",
    response_model=CreditLimitOut,
    responses=problem_responses(404, 422),
    summary="Read a credit limit",
)
async def get_limit(limit_id: uuid.UUID, response: Response, uow: Reader, call: ToRead) -> CreditLimitOut:
    return _with_etag(
        response, await credit_limits.get_limit(uow, limit_id=limit_id, principal=call.principal, today=call.now.date())
    )


@limits.post(
    "/{limit_id:uuid}/decision",
    operation_id="decideCreditLimit",
    response_model=CreditLimitOut,
    responses=problem_responses(404, 409, 412, 422, 428, 503),
    summary="Decide a request, or reduce or withdraw the limit: a new dated version, never retroactive (If-Match)",
)
async def decide_limit(
    limit_id: uuid.UUID,
    body: DecisionIn,
    response: Response,
    uow: Writer,
    reader: Reader,
    outbox: OutboxDep,
    policies: Policies,
    authorization: Authorization,
    call: ToChangeUnderwritten,
) -> CreditLimitOut:
    view = await credit_limits.decide(
        uow,
        reader,
        outbox,
        policies,
        limit_id=limit_id,
        data=LimitDecision(**body.model_dump()),
        if_match=call.if_match,
        principal=call.principal,
        authorization=authorization,
        now=call.now,
    )
    return _with_etag(response, view)


# events from the other services


routers = [debtors, limits, exposure, announcements, events_router(DebtorsUnitOfWork, claim_events.handle)]
