"""The indemnity, step by step (DESIGN §6), each intermediate rounded half-up to the cent.

Every step leaves a line a person can check: the invoice, the rule, the figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from services.claims.domain.errors import RecoveryBeforeIndemnity, RecoveryExceedsOwed
from services.kit.money import to_cents

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Invoice:
    number: str
    invoice_date: date
    due_date: date
    amount: Decimal  # VAT included
    vat_amount: Decimal


@dataclass(frozen=True, slots=True)
class LimitOnDate:
    """The limit covering deliveries of one day (named, else discretionary), or 0 when cover had stopped."""

    amount: Decimal
    cover_stopped: bool = False


@dataclass(frozen=True, slots=True)
class Terms:
    percentage_of_cover: Decimal
    claim_threshold: Decimal
    deductible: Decimal
    vat_covered: bool


@dataclass(frozen=True, slots=True)
class Line:
    rule: str
    amount: Decimal
    invoice_number: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Breakdown:
    lines: list[Line]
    unpaid: Decimal
    eligible_loss: Decimal
    indemnity_before_liability: Decimal
    below_threshold: bool
    unpaid_by_invoice: dict[str, Decimal] = field(default_factory=dict)


def payment_order(invoices: list[Invoice]) -> list[Invoice]:
    """Payments go to the oldest invoice first: original due date, then invoice date, then number."""
    return sorted(invoices, key=lambda invoice: (invoice.due_date, invoice.invoice_date, invoice.number))


def unpaid_after_payments(invoices: list[Invoice], paid: Decimal) -> dict[str, Decimal]:
    """What stays unpaid on each invoice (VAT included) once payments are applied, oldest first."""
    remaining = paid
    unpaid: dict[str, Decimal] = {}
    for invoice in payment_order(invoices):
        applied = min(remaining, invoice.amount)
        remaining -= applied
        unpaid[invoice.number] = invoice.amount - applied
    return unpaid


def indemnity_for(
    *,
    invoices: list[Invoice],
    paid: Decimal,
    limits: dict[date, LimitOnDate],
    terms: Terms,
    earlier_cover: Sequence[tuple[date, Decimal]] = (),
) -> Breakdown:
    """Eligible loss and the indemnity before the policy year's maximum liability.

    `earlier_cover`: what earlier indemnified claims on the same buyer covered, by the day each was declared: one
    limit caps the insurer's whole risk on a buyer, so what an earlier claim covered leaves that much less room for
    every delivery made before it was declared (whatever the order of the deliveries or of the claims).
    """
    lines: list[Line] = []
    unpaid = unpaid_after_payments(invoices, paid)
    if paid:
        lines.append(Line("payments_received", -paid, detail="applied to the oldest invoice first"))
    eligible: dict[str, Decimal] = {}
    for invoice in payment_order(invoices):
        owed = unpaid[invoice.number]
        lines.append(Line("unpaid_incl_vat", owed, invoice.number))
        if terms.vat_covered or invoice.vat_amount == 0:
            eligible[invoice.number] = owed
        else:
            net = invoice.amount - invoice.vat_amount
            eligible[invoice.number] = to_cents(owed * net / invoice.amount)
            lines.append(
                Line("vat_excluded", eligible[invoice.number], invoice.number, f"{owed} x {net} / {invoice.amount}")
            )
    covered_total = ZERO
    for invoice in sorted(invoices, key=lambda item: (item.invoice_date, item.number)):
        limit = limits.get(invoice.invoice_date, LimitOnDate(ZERO, cover_stopped=True))
        if limit.cover_stopped:
            covered = ZERO
            detail = "delivered after cover stopped"
        else:
            # The limit in force on this date, less what the invoices before it already use, here and in earlier claims.
            earlier = sum((amount for declared, amount in earlier_cover if invoice.invoice_date <= declared), ZERO)
            room = max(limit.amount - earlier - covered_total, ZERO)
            covered = min(eligible[invoice.number], room)
            used = f", {earlier} used by earlier claims on this buyer" if earlier else ""
            detail = f"limit {limit.amount} on {invoice.invoice_date}{used}, {room} left"
        covered_total += covered
        lines.append(Line("covered_within_limit", covered, invoice.number, detail))
    lines.append(Line("eligible_loss", covered_total))
    if covered_total <= terms.claim_threshold:
        lines.append(Line("below_threshold", ZERO, detail=f"threshold {terms.claim_threshold}"))
        return Breakdown(lines, sum(unpaid.values(), ZERO), covered_total, ZERO, True, unpaid)
    insured_share = to_cents(covered_total * terms.percentage_of_cover)
    lines.append(Line("percentage_of_cover", insured_share, detail=f"{covered_total} x {terms.percentage_of_cover}"))
    lines.append(Line("deductible", -terms.deductible))
    before_liability = max(insured_share - terms.deductible, ZERO)
    lines.append(Line("indemnity_before_maximum_liability", before_liability))
    return Breakdown(lines, sum(unpaid.values(), ZERO), covered_total, before_liability, False, unpaid)


@dataclass(frozen=True, slots=True)
class Reserved:
    """What the policy's maximum liability let the insurer reserve for this indemnity, and in which year."""

    amount: Decimal
    year_start: date


@dataclass(frozen=True, slots=True)
class Settlement:
    amount: Decimal
    lines: list[Line]


def settlement_of(breakdown: Breakdown, *, duties: str, reserved: Reserved | None) -> Settlement:
    """The indemnity paid and its whole breakdown: the collection duties (met, moot or waived) first, the computation,
    the maximum liability's cap, the amount (nothing is reserved for an indemnity of 0.00)."""
    amount = breakdown.indemnity_before_liability
    lines = [Line("collection_duties", ZERO, detail=duties), *breakdown.lines]
    if reserved is not None and reserved.amount < amount:
        detail = f"capped by what remains of the insurance year from {reserved.year_start}"
        lines.append(Line("maximum_liability", reserved.amount, detail=detail))
        amount = reserved.amount
    lines.append(Line("indemnity", amount))
    return Settlement(amount, lines)


def recovery_split(
    *, amount: Decimal, indemnity: Decimal, eligible_loss: Decimal, insurer_so_far: Decimal
) -> tuple[Decimal, Decimal]:
    """(insurer, insured) shares of a recovery: insurer share = indemnity ÷ eligible loss, capped by the indemnity."""
    if eligible_loss <= 0 or indemnity <= 0:
        return ZERO, amount
    insurer = min(to_cents(amount * indemnity / eligible_loss), max(indemnity - insurer_so_far, ZERO))
    return insurer, amount - insurer


def check_recovery(
    *, amount: Decimal, owed: Decimal, recovered: Decimal, received_on: date, indemnified_on: date
) -> None:
    """A recovery comes after the indemnity (money before it is a payment received, which reduces the claim), and
    never beyond what the debtor still owes: the debt less payments and earlier recoveries."""
    if received_on < indemnified_on:
        raise RecoveryBeforeIndemnity(
            f"The indemnity was paid on {indemnified_on}: record money received before it as a payment received.",
            indemnified_on=indemnified_on.isoformat(),
        )
    still_owed = max(owed - recovered, ZERO)
    if amount > still_owed:
        raise RecoveryExceedsOwed(f"{still_owed:.2f} is still owed on this claim.", still_owed=f"{still_owed:.2f}")
