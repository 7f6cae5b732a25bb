"""Request and response bodies of the policies API."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, model_validator

from services.kit.money import Amount, CountryCode, CurrencyCode, PositiveAmount, Rate, rate
from services.kit.schemas import Day, Flag, Identifier, Name, PatchBody, RequestBody, ResponseBody, WholeNumber, example
from services.policies.domain.cover import UnpaidInvoice
from services.policies.domain.policy import PolicyStatus
from services.policies.service_layer.commands import CoverQuestion, NewPolicy

CoverRate = rate(low="0.50", high="0.95", pattern=r"^0\.([5-8]\d{0,3}|9[0-4]\d{0,2}|950{0,2})$")
DayCount = Annotated[WholeNumber, Field(ge=1, le=3650)]
Countries = Annotated[list[CountryCode], Field(min_length=1, max_length=250)]


PeriodDays = Annotated[WholeNumber, Field(ge=1, le=365)]
NoticeDays = Annotated[WholeNumber, Field(ge=0, le=365)]
Postcode = Annotated[str, Field(min_length=2, max_length=10, pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]*$")]


class CollectionTerms(RequestBody):
    """The collection duties the policy sets; a period left out is the claims service's default."""

    model_config = example(
        {"reminder_to_notice_days": 15, "formal_notice_days": 8, "court_action_days": 30, "handover_answer_days": 10}
    )

    reminder_to_notice_days: PeriodDays | None = Field(None, description="Days from the last reminder to the notice.")
    formal_notice_days: PeriodDays | None = Field(None, description="Days a formal notice gives the debtor to pay.")
    court_action_days: PeriodDays | None = Field(
        None, description="Days after the notice period to start a court route."
    )
    handover_answer_days: PeriodDays | None = Field(None, description="Days the insurer has to accept a handover.")


TERMS_EXAMPLE = {
    "percentage_of_cover": "0.90",
    "waiting_period_days": 180,
    "claim_threshold": "1000.00",
    "deductible": "500.00",
    "discretionary_limit": "20000.00",
    "max_liability": "2000000.00",
    "covered_countries": ["BE", "DE", "FR"],
}


class Terms(RequestBody):
    """The terms of DESIGN §6; defaults are the market defaults."""

    model_config = example(TERMS_EXAMPLE)

    percentage_of_cover: CoverRate = Decimal("0.90")
    max_credit_period_days: DayCount = 120
    max_extension_days: DayCount = 60
    notification_deadline_days: DayCount = 90
    waiting_period_days: DayCount = 180
    claim_threshold: Amount = Decimal("0.00")
    deductible: Amount = Decimal("0.00")
    vat_covered: Flag = False
    discretionary_limit: Amount = Decimal("0.00")
    max_liability: PositiveAmount
    covered_countries: Countries
    collection: CollectionTerms = CollectionTerms()
    collection_duties_required: Flag = Field(
        True,
        description="A protracted-default indemnity waits until the insured's collection duties are met "
        "(a formal notice, a court route or a handover on record).",
    )
    limit_reduction_notice_days: NoticeDays = Field(
        0, description="Days' notice before a credit limit's reduction or withdrawal takes effect."
    )

    @model_validator(mode="after")
    def _distinct_countries(self) -> Terms:
        self.covered_countries = sorted(set(self.covered_countries))
        return self


class TermsPatch(PatchBody):
    model_config = example({"max_liability": "2500000.00", "covered_countries": ["BE", "DE", "ES", "FR"]})

    percentage_of_cover: CoverRate | None = None
    max_credit_period_days: DayCount | None = None
    max_extension_days: DayCount | None = None
    notification_deadline_days: DayCount | None = None
    waiting_period_days: DayCount | None = None
    claim_threshold: Amount | None = None
    deductible: Amount | None = None
    vat_covered: Flag | None = None
    discretionary_limit: Amount | None = None
    max_liability: PositiveAmount | None = None
    covered_countries: Countries | None = None
    collection: CollectionTerms | None = None
    collection_duties_required: Flag | None = None
    limit_reduction_notice_days: NoticeDays | None = None


class PolicyCreate(RequestBody):
    model_config = example(
        {
            "number": "POL-2026-0042",
            "insured_id": "INS-8841",
            "insured_name": "Tissages du Rhône SAS",
            "insured_country": "FR",
            "insured_postcode": "69003",
            "currency": "EUR",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "terms": TERMS_EXAMPLE,
        }
    )

    number: Identifier
    insured_id: Identifier
    insured_name: Annotated[Name, Field(max_length=200)]
    insured_country: CountryCode
    insured_postcode: Postcode | None = Field(
        None, description="The insured's postal code: a French one of 97x/98x is an overseas domicile."
    )
    currency: CurrencyCode
    start_date: Day
    end_date: Day
    terms: Terms


class PolicyPatch(PatchBody):
    """Status changes follow the lifecycle; other fields change only on a draft."""

    model_config = example({"status": "active"})

    status: PolicyStatus | None = None
    insured_name: Annotated[Name, Field(max_length=200)] | None = None
    insured_postcode: Postcode | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    terms: TermsPatch | None = None


class CollectionTermsOut(ResponseBody):
    reminder_to_notice_days: int | None = None
    formal_notice_days: int | None = None
    court_action_days: int | None = None
    handover_answer_days: int | None = None


class TermsOut(ResponseBody):
    percentage_of_cover: Rate
    max_credit_period_days: int
    max_extension_days: int
    notification_deadline_days: int
    waiting_period_days: int
    claim_threshold: Amount
    deductible: Amount
    vat_covered: bool
    discretionary_limit: Amount
    max_liability: Amount
    covered_countries: list[str]
    collection: CollectionTermsOut
    collection_duties_required: bool
    limit_reduction_notice_days: int


class PolicyOut(ResponseBody):
    id: uuid.UUID
    number: str
    insured_id: str
    insured_name: str
    insured_country: str
    insured_postcode: str | None
    currency: str
    start_date: Day
    end_date: Day
    status: PolicyStatus
    terms: TermsOut
    created_at: datetime
    updated_at: datetime


INVOICE_EXAMPLE = {
    "number": "F-2026-0412",
    "invoice_date": "2026-03-02",
    "due_date": "2026-05-01",
    "amount": "14400.00",
    "vat_amount": "2400.00",
    "currency": "EUR",
}


class InvoiceIn(RequestBody):
    model_config = example(INVOICE_EXAMPLE)

    number: Annotated[Name, Field(max_length=64)]
    invoice_date: Day
    due_date: Day = Field(description="The original due date, before any extension.")
    amount: PositiveAmount = Field(description="Unpaid amount, VAT included.")
    vat_amount: Amount = Decimal("0.00")
    currency: CurrencyCode

    @model_validator(mode="after")
    def _coherent(self) -> InvoiceIn:
        if self.due_date < self.invoice_date:
            raise ValueError("due_date is before invoice_date")
        if self.vat_amount > self.amount:
            raise ValueError("vat_amount is more than the amount")
        return self


class CoverCheckRequest(RequestBody):
    model_config = example(
        {
            "debtor_country": "FR",
            "invoices": [INVOICE_EXAMPLE],
        }
    )

    debtor_country: CountryCode
    declaration_date: Day | None = Field(None, description="Defaults to today.")
    invoices: Annotated[list[InvoiceIn], Field(min_length=1, max_length=1000)]

    @model_validator(mode="after")
    def _distinct_numbers(self) -> CoverCheckRequest:
        numbers = [invoice.number for invoice in self.invoices]
        if len(set(numbers)) != len(numbers):
            raise ValueError("invoice numbers must be distinct")
        return self


class ReasonOut(ResponseBody):
    code: str
    detail: str
    invoice_number: str | None = None


class DeadlinesOut(ResponseBody):
    oldest_due_date: Day
    declaration_deadline: Day
    max_extension_end: Day
    waiting_period_end: Day


class CoverTermsOut(ResponseBody):
    """The terms a claim needs later, as they stood when cover was checked."""

    currency: str
    insured_country: str
    insured_postcode: str | None
    percentage_of_cover: Rate
    claim_threshold: Amount
    deductible: Amount
    vat_covered: bool
    discretionary_limit: Amount
    max_extension_days: int
    waiting_period_days: int
    collection: CollectionTermsOut
    collection_duties_required: bool


class CoverCheckOut(ResponseBody):
    policy_id: uuid.UUID
    declaration_date: Day
    covered: bool
    reasons: list[ReasonOut]
    deadlines: DeadlinesOut
    terms: CoverTermsOut


class ReservationRequest(RequestBody):
    model_config = example(
        {
            "claim_id": "7c4e2a19-5d3b-4f8e-a1c6-0e9b2d7f3a58",
            "amount": "11970.00",
            "currency": "EUR",
            "attributable_date": "2026-05-01",
        }
    )

    claim_id: Identifier
    amount: Amount
    currency: CurrencyCode
    attributable_date: Day = Field(description="The date whose insurance year bears the indemnity.")


class ReservationOut(ResponseBody):
    policy_id: uuid.UUID
    claim_id: str
    currency: str
    requested: Amount
    reserved: Amount
    year_start: Day
    year_end: Day
    created_at: datetime


class LiabilityOut(ResponseBody):
    policy_id: uuid.UUID
    currency: str
    year_start: Day
    year_end: Day
    max_liability: Amount
    consumed: Amount
    remaining: Amount
    reservations: int


def new_policy(body: PolicyCreate) -> NewPolicy:
    """The policy to create, as the service layer takes it."""
    return NewPolicy(
        **body.model_dump(exclude={"terms"}),
        terms=body.terms.model_dump(exclude={"collection"}),
        collection=body.terms.collection.model_dump(exclude_none=True),
    )


def cover_question(body: CoverCheckRequest) -> CoverQuestion:
    """The cover check, as the service layer takes it."""
    invoices = tuple(
        UnpaidInvoice(
            number=invoice.number,
            invoice_date=invoice.invoice_date,
            due_date=invoice.due_date,
            amount=invoice.amount,
            currency=invoice.currency,
        )
        for invoice in body.invoices
    )
    return CoverQuestion(body.debtor_country, body.declaration_date, invoices)
