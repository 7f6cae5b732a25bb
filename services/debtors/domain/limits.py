"""Credit limits: decisions on requests, dated versions, and the limit in force on a date."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from services.debtors.domain.errors import DecisionRefused, EffectiveTooEarly


class RequestStatus(StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    PARTIALLY_GRANTED = "partially_granted"
    REFUSED = "refused"


class Decision(StrEnum):
    GRANTED = "granted"
    PARTIALLY_GRANTED = "partially_granted"
    REFUSED = "refused"
    REDUCED = "reduced"
    WITHDRAWN = "withdrawn"


ON_REQUEST = frozenset({Decision.GRANTED, Decision.PARTIALLY_GRANTED, Decision.REFUSED})


class LimitSource(StrEnum):
    NAMED = "named"
    DISCRETIONARY = "discretionary"
    NONE = "none"


class CoverStopReason(StrEnum):
    CLAIM_OPEN = "claim_open"
    PROCEDURE_OPENED = "procedure_opened"
    LIMIT_WITHDRAWN = "limit_withdrawn"


@dataclass(frozen=True, slots=True)
class LimitVersion:
    kind: Decision
    amount: Decimal
    effective_date: date


def decided_amount(
    decision: Decision, *, requested: Decimal | None, current: Decimal | None, amount: Decimal | None
) -> Decimal:
    """The amount a decision puts in force, if the decision is coherent."""
    if decision == Decision.GRANTED:
        if amount is not None and amount != requested:
            raise DecisionRefused("A full grant is the requested amount; use partially_granted for less.")
        assert requested is not None
        return requested
    if decision == Decision.PARTIALLY_GRANTED:
        if amount is None or requested is None or not Decimal(0) < amount < requested:
            raise DecisionRefused("A partial grant is an amount above zero and below the requested amount.")
        return amount
    if decision == Decision.REFUSED:
        return Decimal("0.00")
    if decision == Decision.REDUCED:
        if current is None or amount is None or not Decimal(0) < amount < current:
            raise DecisionRefused("A reduction is an amount above zero and below the limit in force.")
        return amount
    if current is None or current == 0:
        raise DecisionRefused("There is no limit in force to withdraw.")
    return Decimal("0.00")


def cuts_cover(decision: Decision, *, amount: Decimal, current: Decimal | None) -> bool:
    """A reduction, a withdrawal, a grant below the limit in force, or a refusal that bars the discretionary limit."""
    if decision in {Decision.REDUCED, Decision.WITHDRAWN}:
        return True
    if current is None:
        return decision == Decision.REFUSED
    return amount < current and decision != Decision.REFUSED


def earliest_effective(*, cuts: bool, decided_on: date, requested_on: date | None, notice_days: int) -> date:
    """Limits are never cut retroactively: a cut takes effect after the policy's notice from the decision, so that
    deliveries already made keep the former limit; a grant or an increase no earlier than its request."""
    if cuts:
        return decided_on + timedelta(days=notice_days)
    return requested_on or decided_on


def check_effective(effective: date, *, earliest: date, cuts: bool) -> date:
    if effective < earliest:
        what = "A reduction or withdrawal" if cuts else "A grant"
        raise EffectiveTooEarly(
            f"{what} takes effect on {earliest} at the earliest.", earliest_effective_date=earliest.isoformat()
        )
    return effective


@dataclass(frozen=True, slots=True)
class LimitInForce:
    on: date
    amount: Decimal
    source: LimitSource
    stopped: CoverStopReason | None = None


def claim_stop_on(stops: Sequence[tuple[date, date | None]], on: date) -> date | None:
    """The earliest day cover stopped for a claim still open on `on`, among (stopped, restored) days."""
    still_open = (stopped for stopped, restored in stops if stopped <= on and (restored is None or restored > on))
    return min(still_open, default=None)


def limit_in_force(
    *,
    on: date,
    named: LimitVersion | None,
    discretionary: Decimal,
    procedure_opened_on: date | None,
    claim_opened_on: date | None,
) -> LimitInForce:
    """What covers a delivery made on `on`: the named limit, else the discretionary limit, unless cover stopped."""
    if procedure_opened_on is not None and on >= procedure_opened_on:
        return LimitInForce(on, Decimal("0.00"), LimitSource.NONE, CoverStopReason.PROCEDURE_OPENED)
    if claim_opened_on is not None and on >= claim_opened_on:
        return LimitInForce(on, Decimal("0.00"), LimitSource.NONE, CoverStopReason.CLAIM_OPEN)
    if named is not None:
        if named.kind == Decision.WITHDRAWN:
            return LimitInForce(on, Decimal("0.00"), LimitSource.NAMED, CoverStopReason.LIMIT_WITHDRAWN)
        # A refusal on a debtor without a limit also bars the discretionary limit.
        return LimitInForce(on, named.amount, LimitSource.NAMED)
    if discretionary > 0:
        return LimitInForce(on, discretionary, LimitSource.DISCRETIONARY)
    return LimitInForce(on, Decimal("0.00"), LimitSource.NONE)
