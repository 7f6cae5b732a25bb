"""The indemnity against hand computations, to the cent."""

from datetime import date
from decimal import Decimal as D

from services.claims.domain.indemnity import (
    Invoice,
    LimitOnDate,
    Terms,
    indemnity_for,
    recovery_split,
    unpaid_after_payments,
)

A = Invoice("A", date(2026, 1, 10), date(2026, 3, 10), D("12000.00"), D("2000.00"))
B = Invoice("B", date(2026, 2, 5), date(2026, 4, 5), D("6000.00"), D("1000.00"))
TERMS = Terms(percentage_of_cover=D("0.90"), claim_threshold=D("1000.00"), deductible=D("500.00"), vat_covered=False)
LIMITS = {date(2026, 1, 10): LimitOnDate(D("10000.00")), date(2026, 2, 5): LimitOnDate(D("10000.00"))}


def lines(breakdown, rule):  # type: ignore[no-untyped-def]
    return [(line.invoice_number, line.amount) for line in breakdown.lines if line.rule == rule]


def test_payments_go_to_the_oldest_invoice_first() -> None:
    assert unpaid_after_payments([B, A], D("3000.00")) == {"A": D("9000.00"), "B": D("6000.00")}
    assert unpaid_after_payments([B, A], D("13000.00")) == {"A": D("0.00"), "B": D("5000.00")}


def test_worked_example_vat_out_limit_cap_rate_and_deductible() -> None:
    # A: 9,000 unpaid after 3,000 paid -> 7,500 net; B: 6,000 -> 5,000 net.
    # Limit 10,000: A takes 7,500, B the 2,500 left. 10,000 x 0.90 - 500 = 8,500.
    breakdown = indemnity_for(invoices=[A, B], paid=D("3000.00"), limits=LIMITS, terms=TERMS)
    assert lines(breakdown, "vat_excluded") == [("A", D("7500.00")), ("B", D("5000.00"))]
    assert lines(breakdown, "covered_within_limit") == [("A", D("7500.00")), ("B", D("2500.00"))]
    assert breakdown.eligible_loss == D("10000.00")
    assert breakdown.indemnity_before_liability == D("8500.00")


def test_vat_covered_keeps_the_gross_amount() -> None:
    terms = Terms(D("0.90"), D("0"), D("0"), vat_covered=True)
    limits = {day: LimitOnDate(D("100000")) for day in LIMITS}
    breakdown = indemnity_for(invoices=[A, B], paid=D("0"), limits=limits, terms=terms)
    assert breakdown.eligible_loss == D("18000.00") and breakdown.indemnity_before_liability == D("16200.00")


def test_loss_at_or_below_threshold_pays_nothing() -> None:
    terms = Terms(D("0.90"), D("10000.00"), D("0"), vat_covered=False)
    breakdown = indemnity_for(invoices=[A, B], paid=D("3000.00"), limits=LIMITS, terms=terms)
    assert breakdown.below_threshold and breakdown.indemnity_before_liability == D("0.00")


def test_deliveries_after_cover_stopped_count_zero() -> None:
    limits = {date(2026, 1, 10): LimitOnDate(D("50000")), date(2026, 2, 5): LimitOnDate(D("0"), cover_stopped=True)}
    breakdown = indemnity_for(invoices=[A, B], paid=D("0"), limits=limits, terms=TERMS)
    assert lines(breakdown, "covered_within_limit") == [("A", D("10000.00")), ("B", D("0.00"))]
    assert breakdown.indemnity_before_liability == D("8500.00")


def test_deductible_larger_than_the_share_floors_at_zero() -> None:
    terms = Terms(D("0.50"), D("0"), D("100000.00"), vat_covered=False)
    assert indemnity_for(invoices=[A], paid=D("0"), limits=LIMITS, terms=terms).indemnity_before_liability == D("0.00")


def test_each_step_rounds_half_up_to_the_cent() -> None:
    small = Invoice("S", date(2026, 1, 10), date(2026, 3, 10), D("3.00"), D("0.50"))
    terms = Terms(D("0.90"), D("0"), D("0"), vat_covered=False)
    breakdown = indemnity_for(invoices=[small], paid=D("2.00"), limits=LIMITS, terms=terms)
    assert lines(breakdown, "vat_excluded") == [("S", D("0.83"))]  # 1.00 x 2.50 / 3.00 = 0.8333
    assert breakdown.indemnity_before_liability == D("0.75")  # 0.83 x 0.90 = 0.747
    odd = Invoice("O", date(2026, 1, 10), date(2026, 3, 10), D("100.01"), D("0"))
    assert indemnity_for(invoices=[odd], paid=D("0"), limits=LIMITS, terms=terms).indemnity_before_liability == D(
        "90.01"
    )


def test_recoveries_are_shared_pro_rata_and_never_beyond_the_indemnity() -> None:
    assert recovery_split(
        amount=D("1000.00"), indemnity=D("8500.00"), eligible_loss=D("10000.00"), insurer_so_far=D("0")
    ) == (
        D("850.00"),
        D("150.00"),
    )
    assert recovery_split(
        amount=D("1000.00"), indemnity=D("8500.00"), eligible_loss=D("10000.00"), insurer_so_far=D("8000.00")
    ) == (
        D("500.00"),
        D("500.00"),
    )
    assert recovery_split(amount=D("333.33"), indemnity=D("1.00"), eligible_loss=D("3.00"), insurer_so_far=D("0")) == (
        D("1.00"),
        D("332.33"),
    )


def test_an_earlier_claim_uses_the_limit_of_every_delivery_made_before_it_was_declared() -> None:
    # An earlier claim, declared on 1 March, covered 8,000: A (10 January) and B (5 February) were both outstanding
    # under the same 10,000 limit before it, whatever their order; 2,000 is left for them.
    earlier = [(date(2026, 3, 1), D("8000.00"))]
    breakdown = indemnity_for(invoices=[A, B], paid=D("0"), limits=LIMITS, terms=TERMS, earlier_cover=earlier)
    assert lines(breakdown, "covered_within_limit") == [("A", D("2000.00")), ("B", D("0.00"))]
    # Declared on 1 February, it used nothing of a delivery made after it (B: a new risk, its own room).
    before_b = [(date(2026, 2, 1), D("8000.00"))]
    breakdown = indemnity_for(invoices=[A, B], paid=D("0"), limits=LIMITS, terms=TERMS, earlier_cover=before_b)
    assert lines(breakdown, "covered_within_limit") == [("A", D("2000.00")), ("B", D("5000.00"))]
