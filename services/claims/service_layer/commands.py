"""What a caller asks the claims service to do, as the handlers take it (the API's bodies are turned into these)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class DeclaredInvoice:
    """An unpaid invoice as the insured declares it."""

    number: str
    invoice_date: date
    due_date: date
    amount: Decimal
    vat_amount: Decimal
    currency: str

    def as_json(self) -> dict[str, Any]:
        """The invoice as the policies service's cover check reads it."""
        return {
            "number": self.number,
            "invoice_date": self.invoice_date.isoformat(),
            "due_date": self.due_date.isoformat(),
            "amount": str(self.amount),
            "vat_amount": str(self.vat_amount),
            "currency": self.currency,
        }


@dataclass(frozen=True, slots=True)
class DeclareDefault:
    """A default declared today on one buyer under one policy."""

    policy_id: uuid.UUID
    debtor_id: uuid.UUID
    invoices: tuple[DeclaredInvoice, ...]
