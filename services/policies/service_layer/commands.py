"""What a caller asks the policies service to do, as the handlers take it (the API's bodies are turned into these)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from services.policies.domain.cover import UnpaidInvoice


@dataclass(frozen=True, slots=True)
class NewPolicy:
    """A policy to write as a draft: who is insured, for how long, and its terms column by column."""

    number: str
    insured_id: str
    insured_name: str
    insured_country: str
    insured_postcode: str | None
    currency: str
    start_date: date
    end_date: date
    terms: dict[str, Any]
    collection: dict[str, int]


@dataclass(frozen=True, slots=True)
class CoverQuestion:
    """Would these unpaid invoices on a buyer of this country be covered if declared on that day (None: today)?"""

    debtor_country: str
    declaration_date: date | None
    invoices: tuple[UnpaidInvoice, ...]


@dataclass(frozen=True, slots=True)
class Reservation:
    """Liability to reserve for one claim's indemnity, in the insurance year of the attributable date."""

    claim_id: str
    amount: Decimal
    currency: str
    attributable_date: date


@dataclass(frozen=True, slots=True)
class PolicyChanges:
    """What a PATCH changes: the fields it sent (a JSON merge patch), terms apart, the status apart."""

    status: str | None
    fields: dict[str, Any]
    terms: dict[str, Any] | None  # None: not sent

    @classmethod
    def of(cls, sent: dict[str, Any]) -> PolicyChanges:
        fields = dict(sent)
        status, terms = fields.pop("status", None), fields.pop("terms", None)
        return cls(status, fields, terms)

    @property
    def beyond_status(self) -> bool:
        """Whether it changes more than the status (only a draft's terms and dates may change)."""
        return bool(self.fields) or self.terms is not None
