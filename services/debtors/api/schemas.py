"""Request and response bodies of the debtors API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from services.debtors.domain.courts import SEATS
from services.debtors.domain.limits import CoverStopReason, Decision, LimitSource, RequestStatus
from services.debtors.domain.procedures import ClosureReason, ProcedureEventKind, ProcedureType
from services.kit.money import Amount, CountryCode, CurrencyCode, PositiveAmount, Total
from services.kit.schemas import Day, Line, Name, RequestBody, ResponseBody, Text, example

Text200 = Annotated[Name, Field(max_length=200)]
MAX_ANNOUNCEMENTS = 10_000


class DebtorCreate(RequestBody):
    model_config = example(
        {
            "legal_name": "Menuiseries Vallet SARL",
            "country": "FR",
            "siren": "732829320",
            "address_line": "14 rue des Tanneurs",
            "postcode": "69007",
            "city": "Lyon",
        }
    )

    legal_name: Text200
    country: CountryCode
    siren: Annotated[Line, Field(max_length=11)] | None = None
    siret: Annotated[Line, Field(max_length=17)] | None = None
    vat_number: Annotated[Line, Field(max_length=20)] | None = None
    lei: Annotated[Line, Field(max_length=20)] | None = None
    national_id: Annotated[Line, Field(max_length=64)] | None = None
    address_line: Annotated[Line, Field(max_length=200)] | None = None
    postcode: Annotated[Line, Field(max_length=20)] | None = None
    city: Annotated[Line, Field(max_length=100)] | None = None


class DebtorOut(ResponseBody):
    id: uuid.UUID
    legal_name: str
    country: str
    national_id: str
    siren: str | None
    siret: str | None
    vat_number: str | None
    lei: str | None
    address_line: str | None
    postcode: str | None
    city: str | None
    created_at: datetime


class CreditLimitRequestIn(RequestBody):
    model_config = example(
        {
            "policy_id": "0b9f6c55-3a8e-4c2e-9f51-2d6f0c8a7b41",
            "debtor_id": "5e1d2c7a-8b4f-4a39-b0d6-9c3e2f1a6d58",
            "amount": "50000.00",
            "currency": "EUR",
        }
    )

    policy_id: uuid.UUID
    debtor_id: uuid.UUID
    amount: PositiveAmount
    currency: CurrencyCode


class DecisionIn(RequestBody):
    model_config = example(
        {
            "decision": "partially_granted",
            "amount": "30000.00",
            "reason": "2025 accounts: equity and payment record support 30,000.",
        }
    )

    decision: Decision
    amount: PositiveAmount | None = Field(None, description="For partially_granted and reduced.")
    reason: Annotated[Text, Field(min_length=1, max_length=500)]
    effective_date: Day | None = Field(
        None,
        description="First delivery date the decision applies to. A grant or increase: no earlier than its request "
        "(today by default); a reduction, withdrawal or refusal: no earlier than today plus the policy's "
        "limit_reduction_notice_days (the default), so deliveries already made keep the former limit.",
    )


class RequestOut(ResponseBody):
    id: uuid.UUID
    amount: Amount
    status: RequestStatus
    requested_at: datetime
    requested_by: str
    decided_amount: Amount | None
    decided_at: datetime | None
    reason: str | None


class VersionOut(ResponseBody):
    kind: Decision
    amount: Amount
    effective_date: Day
    reason: str | None
    recorded_at: datetime
    recorded_by: str


class CreditLimitOut(ResponseBody):
    id: uuid.UUID
    policy_id: uuid.UUID
    debtor_id: uuid.UUID
    insured_id: str
    currency: str
    amount_in_force: Amount
    pending_request: RequestOut | None
    requests: list[RequestOut]
    versions: list[VersionOut]


class LimitInForceOut(ResponseBody):
    on: Day
    amount: Amount
    source: LimitSource
    stopped: CoverStopReason | None


class LimitsInForceOut(ResponseBody):
    policy_id: uuid.UUID
    debtor_id: uuid.UUID
    currency: str
    limits: list[LimitInForceOut]


class ExposureIn(RequestBody):
    model_config = example({"amount": "18500.00", "currency": "EUR", "as_of_date": "2026-06-30"})

    amount: Amount
    currency: CurrencyCode
    as_of_date: Day


class ExposureOut(ResponseBody):
    policy_id: uuid.UUID
    debtor_id: uuid.UUID
    insured_id: str
    amount: Amount
    currency: str
    as_of_date: Day
    updated_at: datetime


class ExposureTotal(ResponseBody):
    currency: str
    amount: Total


class DebtorExposureOut(ResponseBody):
    debtor_id: uuid.UUID
    totals: list[ExposureTotal]
    lines: list[ExposureOut]


CourtSeat = Literal[tuple(sorted(SEATS))]  # type: ignore[valid-type]


class ProcedureEventIn(RequestBody):
    model_config = example(
        {
            "procedure": "redressement_judiciaire",
            "event": "opening",
            "judgment_date": "2026-09-01",
            "publication_date": "2026-09-10",
            "court": "Tribunal des activités économiques de Lyon",
        }
    )

    procedure: ProcedureType
    event: ProcedureEventKind
    judgment_date: Day
    publication_date: Day | None = None
    court: Annotated[Line, Field(max_length=200)] | None = None
    court_seat: CourtSeat | None = Field(
        None,
        description="Where the court sits: FR (metropolitan France), FR-57/FR-67/FR-68 (Alsace-Moselle) or an "
        "overseas territory (GP, MQ, GF, RE, YT, PM, BL, MF, WF, PF, NC); read from the court's name if left out.",
    )
    closure_reason: ClosureReason | None = None

    @model_validator(mode="after")
    def _coherent(self) -> ProcedureEventIn:
        if self.publication_date and self.publication_date < self.judgment_date:
            raise ValueError("publication_date is before judgment_date")
        if self.closure_reason and self.event != ProcedureEventKind.CLOSURE:
            raise ValueError("closure_reason is only for a closure")
        return self


class ProcedureEventOut(ResponseBody):
    id: uuid.UUID
    announcement_id: str | None
    source: str
    procedure: ProcedureType
    event: ProcedureEventKind
    judgment_date: Day
    publication_date: Day | None
    court: str | None
    court_seat: str | None
    closure_reason: ClosureReason | None
    creance_deadline: Day | None = Field(description="The day the créance is due (moved past a day off).")
    creance_deadline_legal: Day | None = Field(
        description="Two months from the publication, before a Saturday, Sunday or holiday moves it (CPC art. 642)."
    )
    recorded_at: datetime


class ProcedureStateOut(ResponseBody):
    debtor_id: uuid.UUID
    procedure: ProcedureType | None
    open: bool
    insolvent: bool
    opened_on: Day | None
    opening_publication_date: Day | None
    creance_deadline: Day | None = Field(
        description="For a creditor living where the court sits; 2 more months for one living elsewhere (R622-24)."
    )
    creance_deadline_legal: Day | None
    opening_court: str | None
    opening_court_seat: str | None
    opening_missing: bool = Field(
        description="Open procedure seen without its opening judgment: the deadline is unknown."
    )
    history: list[ProcedureEventOut]


class DeclarationContextOut(ResponseBody):
    """What a claim declaration needs to know of a debtor, read at one instant."""

    debtor: DebtorOut
    limits: LimitsInForceOut
    procedure: ProcedureStateOut


class IgnoredOut(ResponseBody):
    announcement_id: str | None
    reason: str


class IngestionOut(ResponseBody):
    received: int
    recorded: int
    duplicates: int
    unknown_debtor: int = Field(description="Recorded for a SIREN not registered yet; applied when it is.")
    ignored: int
    ignored_details: list[IgnoredOut]


BODACC_EXAMPLE = {
    "id": "A202600631402",
    "publicationavis": "A",
    "parution": "20260063",
    "dateparution": "2026-03-31",
    "numeroannonce": 1402,
    "typeavis": "annonce",
    "familleavis": "collective",
    "familleavis_lib": "Procédures collectives",
    "tribunal": "TRIBUNAL DES ACTIVITES ECONOMIQUES DE LYON",
    "registre": ["732 829 320", "732829320"],
    "jugement": '{"famille": "Jugement d\'ouverture", "nature": "Jugement d\'ouverture d\'une procédure de '
    'redressement judiciaire", "date": "2026-03-24", "complementJugement": "date de cessation des paiements le 15 '
    'février 2026, désignant mandataire judiciaire Maître Claire Dupont."}',
}
"""One record as the BODACC open-data set publishes it (its judgment is a JSON text inside the record)."""

BodaccRecords = Annotated[
    dict[str, Any] | Annotated[list[dict[str, Any]], Field(min_length=1, max_length=MAX_ANNOUNCEMENTS)],
    Field(description="One BODACC annonces-commerciales record, or a list of up to 10,000."),
]
