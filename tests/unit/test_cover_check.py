from dataclasses import replace
from datetime import date
from decimal import Decimal

from services.policies.domain.cover import CoverTerms, UnpaidInvoice, cover_decision
from services.policies.domain.policy import PolicyStatus

TERMS = CoverTerms(
    status=PolicyStatus.ACTIVE,
    start_date=date(2026, 1, 1),
    end_date=date(2026, 12, 31),
    currency="EUR",
    covered_countries=frozenset({"FR", "DE"}),
    max_credit_period_days=120,
    max_extension_days=60,
    notification_deadline_days=90,
    waiting_period_days=180,
)


def unpaid(
    number: str = "F1", invoice_date: date = date(2026, 3, 1), due_date: date = date(2026, 4, 30)
) -> UnpaidInvoice:
    return UnpaidInvoice(
        number=number, invoice_date=invoice_date, due_date=due_date, amount=Decimal("100"), currency="EUR"
    )


def codes(decision) -> list[str]:  # type: ignore[no-untyped-def]
    return [reason.code for reason in decision.reasons]


def test_clean_declaration_is_covered_with_deadlines_from_oldest_due_date() -> None:
    invoices = [unpaid("F2", date(2026, 3, 20), date(2026, 5, 19)), unpaid("F1")]
    decision = cover_decision(TERMS, debtor_country="FR", invoices=invoices, declaration_date=date(2026, 6, 1))
    assert decision.covered and decision.reasons == []
    assert decision.deadlines is not None
    assert decision.deadlines.oldest_due_date == date(2026, 4, 30)
    assert decision.deadlines.declaration_deadline == date(2026, 7, 29)
    assert decision.deadlines.max_extension_end == date(2026, 6, 29)
    assert decision.deadlines.waiting_period_end == date(2026, 10, 27)


def test_declaration_after_deadline_is_late() -> None:
    on_deadline = cover_decision(TERMS, debtor_country="FR", invoices=[unpaid()], declaration_date=date(2026, 7, 29))
    day_after = cover_decision(TERMS, debtor_country="FR", invoices=[unpaid()], declaration_date=date(2026, 7, 30))
    assert on_deadline.covered
    assert codes(day_after) == ["NOTIFICATION_LATE"]


def test_credit_period_over_maximum_names_the_invoice() -> None:
    long_terms = unpaid("F9", date(2026, 1, 10), date(2026, 5, 11))  # 121 days
    decision = cover_decision(TERMS, debtor_country="FR", invoices=[long_terms], declaration_date=date(2026, 6, 1))
    assert codes(decision) == ["CREDIT_PERIOD_EXCEEDED"]
    assert decision.reasons[0].invoice_number == "F9"


def test_every_reason_that_applies_is_given() -> None:
    terms = replace(TERMS, status=PolicyStatus.CANCELLED, max_credit_period_days=30)
    foreign = UnpaidInvoice(
        number="F1", invoice_date=date(2025, 12, 1), due_date=date(2026, 2, 1), amount=Decimal(1), currency="USD"
    )
    decision = cover_decision(terms, debtor_country="US", invoices=[foreign], declaration_date=date(2026, 9, 1))
    assert set(codes(decision)) == {
        "POLICY_NOT_IN_FORCE",
        "COUNTRY_NOT_COVERED",
        "OUTSIDE_POLICY_PERIOD",
        "CURRENCY_MISMATCH",
        "CREDIT_PERIOD_EXCEEDED",
        "NOTIFICATION_LATE",
    }


def test_nothing_overdue_is_not_a_default() -> None:
    decision = cover_decision(TERMS, debtor_country="FR", invoices=[unpaid()], declaration_date=date(2026, 4, 30))
    assert codes(decision) == ["NOT_YET_OVERDUE"]


def test_expired_policy_still_covers_deliveries_made_while_it_ran() -> None:
    expired = replace(TERMS, status=PolicyStatus.EXPIRED)
    assert cover_decision(expired, debtor_country="DE", invoices=[unpaid()], declaration_date=date(2026, 6, 1)).covered
