"""Request bodies with sensible defaults, overridable field by field."""

from __future__ import annotations

from typing import Any


def policy_body(**overrides: Any) -> dict[str, Any]:
    terms = {
        "percentage_of_cover": "0.90",
        "max_credit_period_days": 120,
        "max_extension_days": 60,
        "notification_deadline_days": 90,
        "waiting_period_days": 180,
        "claim_threshold": "1000.00",
        "deductible": "500.00",
        "vat_covered": False,
        "discretionary_limit": "20000.00",
        "max_liability": "1000000.00",
        "covered_countries": ["FR", "DE", "BE"],
    }
    terms.update(overrides.pop("terms", {}))
    body = {
        "number": "POL-2026-0001",
        "insured_id": "INS-ACME",
        "insured_name": "Acme Industries SAS",
        "insured_country": "FR",
        "currency": "EUR",
        "start_date": "2026-01-01",
        "end_date": "2027-12-31",
        "terms": terms,
    }
    body.update(overrides)
    return body


def invoice(number: str = "F-001", **overrides: Any) -> dict[str, Any]:
    body = {
        "number": number,
        "invoice_date": "2026-03-01",
        "due_date": "2026-04-30",
        "amount": "12000.00",
        "vat_amount": "2000.00",
        "currency": "EUR",
    }
    body.update(overrides)
    return body


def cover_check(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"debtor_country": "FR", "declaration_date": "2026-06-15", "invoices": [invoice()]}
    body.update(overrides)
    return body


def siren(number: int) -> str:
    """A valid SIREN (Luhn) built from a running number: a buyer of its own for each."""
    body = f"7{number:07d}"
    for check in range(10):
        digits = [int(digit) for digit in body + str(check)]
        total = sum(digit if index % 2 == 0 else sum(divmod(digit * 2, 10)) for index, digit in enumerate(digits))
        if total % 10 == 0:
            return body + str(check)
    raise AssertionError("no check digit")
