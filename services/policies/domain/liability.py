"""The maximum liability of an insurance year, and what a claim may reserve of it."""

from __future__ import annotations

from decimal import Decimal


def remaining_liability(*, max_liability: Decimal, consumed: Decimal) -> Decimal:
    return max(max_liability - consumed, Decimal("0.00"))


def reservable_amount(*, requested: Decimal, max_liability: Decimal, consumed: Decimal) -> Decimal:
    """An indemnity is capped by what remains of the year's maximum liability."""
    return min(requested, remaining_liability(max_liability=max_liability, consumed=consumed))
