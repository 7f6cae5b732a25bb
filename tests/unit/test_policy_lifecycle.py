from datetime import date
from decimal import Decimal

import pytest

from services.policies.domain.errors import DateOutsidePolicyPeriod, IllegalStatusChange, InvalidPeriod
from services.policies.domain.liability import reservable_amount
from services.policies.domain.policy import PolicyStatus, changed_status, check_period, insurance_year


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (PolicyStatus.DRAFT, PolicyStatus.ACTIVE),
        (PolicyStatus.ACTIVE, PolicyStatus.SUSPENDED),
        (PolicyStatus.SUSPENDED, PolicyStatus.ACTIVE),
        (PolicyStatus.ACTIVE, PolicyStatus.EXPIRED),
        (PolicyStatus.SUSPENDED, PolicyStatus.CANCELLED),
    ],
)
def test_lifecycle_allows_the_usual_moves(current: PolicyStatus, target: PolicyStatus) -> None:
    assert changed_status(current, target) == target


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (PolicyStatus.DRAFT, PolicyStatus.SUSPENDED),
        (PolicyStatus.CANCELLED, PolicyStatus.ACTIVE),
        (PolicyStatus.EXPIRED, PolicyStatus.ACTIVE),
        (PolicyStatus.ACTIVE, PolicyStatus.DRAFT),
    ],
)
def test_lifecycle_refuses_illegal_moves_and_names_the_current_status(
    current: PolicyStatus, target: PolicyStatus
) -> None:
    with pytest.raises(IllegalStatusChange) as refused:
        changed_status(current, target)
    assert refused.value.extra["current_status"] == current.value


def test_insurance_years_run_from_the_start_anniversary() -> None:
    start, end = date(2026, 3, 1), date(2028, 8, 31)
    assert insurance_year(start=start, end=end, on=date(2026, 3, 1)) == (date(2026, 3, 1), date(2027, 2, 28))
    assert insurance_year(start=start, end=end, on=date(2027, 3, 1)) == (date(2027, 3, 1), date(2028, 2, 29))
    assert insurance_year(start=start, end=end, on=date(2028, 8, 31)) == (date(2028, 3, 1), date(2028, 8, 31))
    with pytest.raises(DateOutsidePolicyPeriod):
        insurance_year(start=start, end=end, on=date(2028, 9, 1))


def test_period_must_end_after_it_starts() -> None:
    with pytest.raises(InvalidPeriod):
        check_period(date(2026, 1, 1), date(2026, 1, 1))


def test_reservation_is_capped_by_what_remains_of_the_year() -> None:
    assert reservable_amount(
        requested=Decimal("300"), max_liability=Decimal("1000"), consumed=Decimal("800")
    ) == Decimal("200")
    assert reservable_amount(
        requested=Decimal("300"), max_liability=Decimal("1000"), consumed=Decimal("1000")
    ) == Decimal("0.00")
    assert reservable_amount(requested=Decimal("300"), max_liability=Decimal("1000"), consumed=Decimal("0")) == Decimal(
        "300"
    )
