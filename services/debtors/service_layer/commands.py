"""What a caller asks the debtors service to do, as the handlers take it (the API's bodies are turned into these)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from services.debtors.domain.limits import Decision


@dataclass(frozen=True, slots=True)
class NewDebtor:
    """A buyer to register, with whatever identifiers the caller knows."""

    legal_name: str
    country: str
    siren: str | None = None
    siret: str | None = None
    vat_number: str | None = None
    lei: str | None = None
    national_id: str | None = None
    address_line: str | None = None
    postcode: str | None = None
    city: str | None = None


@dataclass(frozen=True, slots=True)
class LimitRequest:
    """An insured asks for a credit limit on a buyer under a policy."""

    policy_id: uuid.UUID
    debtor_id: uuid.UUID
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class LimitDecision:
    """An underwriter's decision on a credit limit (amount for partial grants and reductions)."""

    decision: Decision
    reason: str
    amount: Decimal | None = None
    effective_date: date | None = None


@dataclass(frozen=True, slots=True)
class ExposureStatement:
    """What the insured says the buyer owes it, as of a day."""

    amount: Decimal
    currency: str
    as_of_date: date
