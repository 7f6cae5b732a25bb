"""Request and response bodies of the claims API."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from services.claims.domain.collection.terms import ActionKind, DocumentKind, NoticeMethod, Route, Stage
from services.claims.domain.invoice import invoice_key
from services.claims.domain.status import ClaimStatus
from services.claims.service_layer.declarations import DeclaredInvoice
from services.kit.money import Amount, CurrencyCode, PositiveAmount
from services.kit.schemas import Day, Flag, Name, RequestBody, ResponseBody, Text, WholeNumber, example

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


def declared_invoices(invoices: list[InvoiceIn]) -> tuple[DeclaredInvoice, ...]:
    """The invoices as the service layer takes them."""
    return tuple(DeclaredInvoice(**invoice.model_dump()) for invoice in invoices)


def distinct_invoices(invoices: list[InvoiceIn]) -> bool:
    """Whether no two invoices name the same invoice."""
    return len({invoice_key(invoice.number) for invoice in invoices}) == len(invoices)


class ClaimDeclaration(RequestBody):
    """A default declared today: the declaration date is the service's, never the caller's (it decides lateness)."""

    model_config = example(
        {
            "policy_id": "0b9f6c55-3a8e-4c2e-9f51-2d6f0c8a7b41",
            "debtor_id": "5e1d2c7a-8b4f-4a39-b0d6-9c3e2f1a6d58",
            "invoices": [INVOICE_EXAMPLE],
        }
    )

    policy_id: uuid.UUID
    debtor_id: uuid.UUID
    invoices: Annotated[list[InvoiceIn], Field(min_length=1, max_length=500)]

    @model_validator(mode="after")
    def _distinct_numbers(self) -> ClaimDeclaration:
        if not distinct_invoices(self.invoices):
            raise ValueError("invoice numbers must be distinct (whatever their case, width or spacing)")
        if len({invoice.currency for invoice in self.invoices}) != 1:
            raise ValueError("all invoices must be in one currency")
        return self


class InvoicesIn(RequestBody):
    """More unpaid invoices on the claim's buyer: the one live claim on a buyer takes them all."""

    model_config = example(
        {
            "invoices": [
                {
                    "number": "F-2026-0467",
                    "invoice_date": "2026-03-16",
                    "due_date": "2026-05-15",
                    "amount": "6000.00",
                    "vat_amount": "1000.00",
                    "currency": "EUR",
                }
            ]
        }
    )

    invoices: Annotated[list[InvoiceIn], Field(min_length=1, max_length=500)]

    @model_validator(mode="after")
    def _distinct_numbers(self) -> InvoicesIn:
        if not distinct_invoices(self.invoices):
            raise ValueError("invoice numbers must be distinct (whatever their case, width or spacing)")
        return self


class InvoiceOut(ResponseBody):
    number: str
    invoice_date: Day
    due_date: Day
    extended_due_date: Day | None
    amount: Amount
    vat_amount: Amount


class DeadlinesOut(ResponseBody):
    oldest_due_date: Day
    declaration_deadline: Day
    max_extension_end: Day
    waiting_period_end: Day
    creance_deadline: Day | None = Field(
        description="The déclaration de créance is due by this day (Code de commerce R622-24), past any day off."
    )
    creance_deadline_legal: Day | None = Field(
        description="The period's legal end; earlier than creance_deadline where it fell on a day off (CPC art. 642)."
    )
    relief_deadline: Day | None = Field(
        description="After a relevé de forclusion: the créance is due by this day instead (L622-24 al. 1)."
    )
    relief_deadline_legal: Day | None


class ClaimOut(ResponseBody):
    id: uuid.UUID
    status: ClaimStatus
    frozen: bool
    insured_id: str
    policy_id: uuid.UUID
    debtor_id: uuid.UUID
    currency: str
    declaration_date: Day
    deadlines: DeadlinesOut
    creance_filed_on: Day | None
    creance_missed_on: Day | None = Field(description="The day a sweep found the créance deadline passed unfiled.")
    forclusion_relief_on: Day | None
    loss_ground: str | None = Field(description="insolvency or protracted_default, once the loss is established.")
    invoices: list[InvoiceOut]
    terms: dict[str, Any]
    rejection_reasons: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


class TimelineEntryOut(ResponseBody):
    at: datetime
    actor: str
    kind: str
    status_from: ClaimStatus | None
    status_to: ClaimStatus | None
    source: str | None
    detail: dict[str, Any]


class PaymentIn(RequestBody):
    model_config = example({"amount": "2500.00", "received_on": "2026-06-15"})

    amount: PositiveAmount
    received_on: Day


class ExtensionIn(RequestBody):
    model_config = example({"invoice_number": "F-2026-0412", "new_due_date": "2026-06-30"})

    invoice_number: Annotated[Name, Field(max_length=64)]
    new_due_date: Day


class CreanceFilingIn(RequestBody):
    model_config = example(
        {"filed_on": "2026-09-10", "amount": "14400.00", "court_officer": "Me Claire Dupont, mandataire judiciaire"}
    )

    filed_on: Day
    amount: PositiveAmount
    court_officer: Annotated[Name, Field(max_length=200)]


class ReasonIn(RequestBody):
    model_config = example({"reason": "The buyer paid the invoices in full on 12 June."})

    reason: Annotated[Text, Field(min_length=1, max_length=500)]


class RecoveryIn(RequestBody):
    model_config = example({"amount": "1200.00", "received_on": "2026-11-02", "origin": "court_officer"})

    amount: PositiveAmount
    received_on: Day
    origin: Annotated[str, Field(pattern="^(court_officer|debtor|other)$")] = "court_officer"


class RecoverySplitOut(ResponseBody):
    """How a recovery would be shared if recorded now: the insurer's share is indemnity ÷ eligible loss."""

    claim_id: uuid.UUID
    currency: str
    amount: Amount
    insurer_share: Amount
    insured_share: Amount


class SweepIn(RequestBody):
    model_config = example({"on": "2026-06-30"})

    on: Day | None = Field(None, description="Deadlines as of this date, today or earlier; today by default.")


class SweepOut(ResponseBody):
    on: Day
    indemnifiable: int
    forfeited: int
    creance_missed: int = Field(description="Créances whose deadline passed unfiled under a sauvegarde or a relief.")


class BreakdownLine(ResponseBody):
    rule: str
    amount: str
    invoice_number: str | None
    detail: str


class IndemnityPreviewOut(ResponseBody):
    """The indemnity a payment would compute now, line by line, before the policy's maximum liability (checked and
    reserved only by the payment)."""

    claim_id: uuid.UUID
    currency: str
    eligible_loss: Amount
    before_maximum_liability: Amount
    breakdown: list[BreakdownLine]


class IndemnityOut(ResponseBody):
    claim_id: uuid.UUID
    currency: str
    eligible_loss: Amount
    before_maximum_liability: Amount
    amount: Amount
    breakdown: list[BreakdownLine]
    paid_at: datetime
    paid_by: str


class RecoveryOut(ResponseBody):
    id: uuid.UUID
    claim_id: uuid.UUID
    amount: Amount
    insurer_share: Amount
    insured_share: Amount
    received_on: Day
    origin: str
    recorded_at: datetime


class WorkItemOut(ResponseBody):
    claim_id: uuid.UUID
    status: ClaimStatus
    insured_id: str
    policy_id: uuid.UUID
    debtor_id: uuid.UUID
    action: str
    due: Day | None
    due_legal: Day | None = Field(description="The legal end of the period where a day off moved `due` later.")
    detail: str


class WorklistOut(ResponseBody):
    as_of: Day
    items: list[WorkItemOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class ReliefIn(RequestBody):
    """A relevé de forclusion: the créance is then filed (POST …/creance-filings) within the new deadline."""

    model_config = example({"requested_on": "2026-10-05", "granted_on": "2026-10-20", "notified_on": "2026-10-22"})

    requested_on: Day = Field(description="The day the relief was asked of the juge-commissaire.")
    granted_on: Day = Field(description="The day of the order granting it.")
    notified_on: Day = Field(description="The day the order was notified: the new deadline runs from it.")


# Collection


class DocumentRef(RequestBody):
    model_config = example({"kind": "delivery_note", "reference": "BL-2026-0412"})

    kind: DocumentKind
    reference: Annotated[Name, Field(max_length=200, description="The document's id in your records.")]


class _CollectionFact(RequestBody):
    done_on: Day = Field(description="The day the step was taken or the decision given.")
    documents: Annotated[list[DocumentRef], Field(max_length=50)] = []
    note: Annotated[Text, Field(min_length=1, max_length=1000)] | None = None


def _kinds(*kinds: ActionKind) -> Any:
    return Literal[tuple(kind.value for kind in kinds)]  # type: ignore[valid-type]


K = ActionKind
PLAIN_KINDS = _kinds(
    K.REMINDER,
    K.DISPUTE,
    K.DISPUTE_SETTLED,
    K.DOCUMENTS_ADDED,
    K.INJONCTION_REQUESTED,
    K.INJONCTION_GRANTED,
    K.INJONCTION_REFUSED,
    K.ENFORCEMENT_MEASURE,
    K.REFERE_REFUSED,
    K.JUDGMENT_DISMISSED,
    K.SMALL_CLAIMS_STARTED,
    K.SMALL_CLAIMS_AGREED,
    K.SMALL_CLAIMS_REFUSED,
    K.CHEQUE_BOUNCED,
    K.CHEQUE_PRESENTED_AGAIN,
    K.CHEQUE_CERTIFICATE_ISSUED,
    K.CHEQUE_CERTIFICATE_SERVED,
    K.CHEQUE_ENFORCEABLE,
    K.HANDOVER_REQUESTED,
    K.HANDOVER_ACCEPTED,
    K.ONLINE_RECOVERY_HANDED_OVER,
    K.ONLINE_RECOVERY_FAILED,
)


class CollectionFactIn(_CollectionFact):
    """A step with no more to say than its day and documents."""

    model_config = example(
        {"kind": "reminder", "done_on": "2026-05-10", "note": "Second reminder, by telephone and e-mail."}
    )

    kind: PLAIN_KINDS


class FormalNoticeIn(_CollectionFact):
    """A mise en demeure, and the payment period it gives the debtor."""

    model_config = example(
        {
            "kind": "formal_notice",
            "done_on": "2026-05-20",
            "method": "registered_letter_with_acknowledgment",
            "payment_period_days": 8,
            "documents": [{"kind": "acknowledgment_of_receipt", "reference": "1A 123 456 7890 1"}],
        }
    )

    kind: Literal["formal_notice"]
    method: NoticeMethod
    payment_period_days: Annotated[WholeNumber, Field(ge=1, le=90)] | None = Field(
        None, description="Days the notice gives the debtor to pay; the default period otherwise."
    )


class OrderServedIn(_CollectionFact):
    """An injonction de payer served by a commissaire de justice (CPC art. 1411, 1416)."""

    model_config = example(
        {
            "kind": "injonction_served",
            "done_on": "2026-07-01",
            "served_to_person": True,
            "documents": [{"kind": "service_record", "reference": "CJ-5521"}],
        }
    )

    kind: Literal["injonction_served"]
    served_to_person: Flag = Field(
        description="Served to the debtor in person: opposition within a month of service. Otherwise opposition "
        "stays open until a month after the first measure making the debtor's goods unavailable."
    )


class SummonsIn(_CollectionFact):
    """A summons served (assignation, référé) or an opposition that sends the case to a hearing."""

    model_config = example({"kind": "assignation_served", "done_on": "2026-07-01", "hearing_on": "2026-09-15"})

    kind: _kinds(K.ASSIGNATION_SERVED, K.REFERE_SUMMONED, K.INJONCTION_OPPOSED)
    hearing_on: Day | None = None


class DecisionIn(_CollectionFact):
    """A court decision ordering payment: the provision of a référé, or a judgment."""

    model_config = example(
        {
            "kind": "judgment_granted",
            "done_on": "2026-10-06",
            "amount": "14400.00",
            "documents": [{"kind": "court_decision", "reference": "RG 26/01234"}],
        }
    )

    kind: _kinds(K.REFERE_GRANTED, K.JUDGMENT_GRANTED)
    amount: PositiveAmount | None = Field(None, description="The amount the debtor is ordered to pay.")


class PaymentObtainedIn(_CollectionFact):
    """Money the collection obtained (online_recovery_paid: through the commissaire de justice's online recovery):
    it reduces the claim as any payment received; in full, the claim is settled."""

    model_config = example({"kind": "payment_obtained", "done_on": "2026-08-03", "amount": "3000.00"})

    kind: _kinds(K.PAYMENT_OBTAINED, K.ONLINE_RECOVERY_PAID)
    amount: PositiveAmount


CollectionActionIn = Annotated[
    CollectionFactIn | FormalNoticeIn | OrderServedIn | SummonsIn | DecisionIn | PaymentObtainedIn,
    Field(discriminator="kind"),
]


class CollectionActionOut(ResponseBody):
    id: uuid.UUID
    kind: ActionKind
    done_on: Day
    route: Route | None = Field(description="The court route the step belongs to.")
    stage: Stage | None = Field(description="Where the step left its route.")
    hearing_on: Day | None
    payment_period_days: int | None
    served_to_person: bool | None
    method: NoticeMethod | None
    amount: Amount | None
    documents: list[dict[str, str]]
    note: str | None
    recorded_at: datetime
    recorded_by: str


class NextStepOut(ResponseBody):
    action: str
    due: Day | None = Field(description="The deadline, or the day the step becomes possible; none if it has none.")
    due_legal: Day | None = Field(description="The period's legal end where a day off moved `due` (CPC art. 642).")
    by: str = Field(description="Who acts: insured, insurer, debtor, court, court_officer or commissaire_de_justice.")
    detail: str
    route: Route | None


class RouteTriedOut(ResponseBody):
    route: Route
    outcome: Stage


class CollectionOut(ResponseBody):
    claim_id: uuid.UUID
    as_of: Day
    route: Route | None = Field(description="The court route running, if any.")
    stage: Stage | None
    collector: str = Field(description="insured, or insurer once a handover is accepted.")
    suspended: bool = Field(description="A collective procedure stays individual collection: declare the créance.")
    duties_met: bool = Field(description="A formal notice, a court route or a handover is on record.")
    disputed: bool = Field(description="The debtor disputes the debt: the indemnity waits for a title or a settlement.")
    enforceable_title: bool
    routes_tried: list[RouteTriedOut]
    next_step: NextStepOut | None
    actions: list[CollectionActionOut]
