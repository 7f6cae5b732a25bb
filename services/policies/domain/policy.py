"""Policy lifecycle and insurance years."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from services.policies.domain.errors import DateOutsidePolicyPeriod, IllegalStatusChange, InvalidPeriod


class PolicyStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


ALLOWED_CHANGES: dict[PolicyStatus, frozenset[PolicyStatus]] = {
    PolicyStatus.DRAFT: frozenset({PolicyStatus.ACTIVE, PolicyStatus.CANCELLED}),
    PolicyStatus.ACTIVE: frozenset({PolicyStatus.SUSPENDED, PolicyStatus.CANCELLED, PolicyStatus.EXPIRED}),
    PolicyStatus.SUSPENDED: frozenset({PolicyStatus.ACTIVE, PolicyStatus.CANCELLED, PolicyStatus.EXPIRED}),
    PolicyStatus.CANCELLED: frozenset(),
    PolicyStatus.EXPIRED: frozenset(),
}

# Deliveries made while the policy ran stay covered after it expires (run-off);
# a draft, suspended or cancelled policy covers nothing new.
COVERING_STATUSES = frozenset({PolicyStatus.ACTIVE, PolicyStatus.EXPIRED})


def changed_status(current: PolicyStatus, target: PolicyStatus) -> PolicyStatus:
    """The new status, if the lifecycle allows going there from the current one."""
    if target == current:
        return current
    if target not in ALLOWED_CHANGES[current]:
        raise IllegalStatusChange(
            f"A {current} policy cannot become {target}.", current_status=current.value, requested_status=target.value
        )
    return target


def check_period(start: date, end: date) -> None:
    if end <= start:
        raise InvalidPeriod("The insurance period must end after it starts.")
    if end > _add_years(start, 10):
        raise InvalidPeriod("An insurance period lasts at most 10 years.")


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year + years, day=28)


def insurance_year(*, start: date, end: date, on: date) -> tuple[date, date]:
    """The insurance year (first and last day) that contains `on`; years run from the start date's anniversary."""
    if not start <= on <= end:
        raise DateOutsidePolicyPeriod(f"{on} is outside the insurance period {start} to {end}.")
    years = 0
    while _add_years(start, years + 1) <= on:
        years += 1
    year_start = _add_years(start, years)
    year_end = min(_add_years(start, years + 1) - timedelta(days=1), end)
    return year_start, year_end
