"""The cover check: would these unpaid invoices on this debtor be covered, and by when must things happen?"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from services.policies.domain.policy import COVERING_STATUSES, PolicyStatus


@dataclass(frozen=True, slots=True)
class CoverTerms:
    status: PolicyStatus
    start_date: date
    end_date: date
    currency: str
    covered_countries: frozenset[str]
    max_credit_period_days: int
    max_extension_days: int
    notification_deadline_days: int
    waiting_period_days: int


@dataclass(frozen=True, slots=True)
class UnpaidInvoice:
    number: str
    invoice_date: date
    due_date: date
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    detail: str
    invoice_number: str | None = None


@dataclass(frozen=True, slots=True)
class Deadlines:
    oldest_due_date: date
    declaration_deadline: date
    max_extension_end: date
    waiting_period_end: date


@dataclass(frozen=True, slots=True)
class CoverDecision:
    covered: bool
    reasons: list[Reason] = field(default_factory=list)
    deadlines: Deadlines | None = None


def deadlines_for(terms: CoverTerms, oldest_due_date: date) -> Deadlines:
    """Every deadline runs from the original due date of the oldest unpaid invoice."""
    return Deadlines(
        oldest_due_date=oldest_due_date,
        declaration_deadline=oldest_due_date + timedelta(days=terms.notification_deadline_days),
        max_extension_end=oldest_due_date + timedelta(days=terms.max_extension_days),
        waiting_period_end=oldest_due_date + timedelta(days=terms.waiting_period_days),
    )


def cover_decision(
    terms: CoverTerms, *, debtor_country: str, invoices: list[UnpaidInvoice], declaration_date: date
) -> CoverDecision:
    """Every reason that applies, not only the first."""
    reasons: list[Reason] = []
    if terms.status not in COVERING_STATUSES:
        reasons.append(Reason("POLICY_NOT_IN_FORCE", f"The policy is {terms.status}."))
    if debtor_country not in terms.covered_countries:
        reasons.append(Reason("COUNTRY_NOT_COVERED", f"Debtors in {debtor_country} are not covered by this policy."))
    for invoice in invoices:
        if not terms.start_date <= invoice.invoice_date <= terms.end_date:
            reasons.append(
                Reason(
                    "OUTSIDE_POLICY_PERIOD",
                    f"Invoice date {invoice.invoice_date} is outside {terms.start_date} to {terms.end_date}.",
                    invoice.number,
                )
            )
        if invoice.currency != terms.currency:
            reasons.append(
                Reason(
                    "CURRENCY_MISMATCH", f"Invoice in {invoice.currency}, policy in {terms.currency}.", invoice.number
                )
            )
        credit_days = (invoice.due_date - invoice.invoice_date).days
        if credit_days > terms.max_credit_period_days:
            reasons.append(
                Reason(
                    "CREDIT_PERIOD_EXCEEDED",
                    f"{credit_days} days of credit; the maximum is {terms.max_credit_period_days}.",
                    invoice.number,
                )
            )
    deadlines = deadlines_for(terms, min(invoice.due_date for invoice in invoices))
    if declaration_date <= deadlines.oldest_due_date:
        reasons.append(
            Reason(
                "NOT_YET_OVERDUE",
                f"Nothing is overdue on {declaration_date}; the oldest due date is {deadlines.oldest_due_date}.",
            )
        )
    if declaration_date > deadlines.declaration_deadline:
        reasons.append(
            Reason(
                "NOTIFICATION_LATE",
                f"Declared on {declaration_date}; the deadline was {deadlines.declaration_deadline} "
                f"({terms.notification_deadline_days} days after {deadlines.oldest_due_date}).",
            )
        )
    return CoverDecision(covered=not reasons, reasons=reasons, deadlines=deadlines)
