"""Whether a declared default opens a claim, and in which state it starts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from services.claims.domain.status import ClaimStatus
from services.kit.dates import add_months

CREANCE_MONTHS_METROPOLITAN = 2
CREANCE_MONTHS_OUTSIDE_METROPOLE = 4


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    detail: str
    invoice_number: str | None = None


@dataclass(frozen=True, slots=True)
class Opening:
    status: ClaimStatus
    frozen: bool
    creance_deadline: date | None


def creance_deadline_for(publication_date: date | None, *, insured_in_metropolitan_france: bool) -> date | None:
    """Two months after the BODACC publication of the opening; four for a creditor outside metropolitan France."""
    if publication_date is None:
        return None
    months = CREANCE_MONTHS_METROPOLITAN if insured_in_metropolitan_france else CREANCE_MONTHS_OUTSIDE_METROPOLE
    return add_months(publication_date, months)


def limit_reasons(limits: list[dict[str, Any]], invoice_dates: dict[str, date]) -> list[Reason]:
    """A claim needs at least one invoice delivered under a limit; say why none was."""
    by_date = {date.fromisoformat(item["on"]): item for item in limits}
    answers = [by_date[day] for day in invoice_dates.values()]
    if any(Decimal(item["amount"]) > 0 for item in answers):
        return []
    stopped = {item["stopped"] for item in answers}
    if stopped == {"procedure_opened"}:
        return [
            Reason(
                "DELIVERED_AFTER_PROCEDURE_OPENED", "Every invoice was delivered after the collective procedure opened."
            )
        ]
    if stopped == {"claim_open"}:
        return [
            Reason(
                "DELIVERED_AFTER_COVER_STOPPED",
                "Every invoice was delivered after a claim stopped cover on this debtor.",
            )
        ]
    return [
        Reason("NO_CREDIT_LIMIT", "No credit limit (named or discretionary) covers this debtor on the invoice dates.")
    ]


def opening_for(procedure: dict[str, Any], *, insured_in_metropolitan_france: bool) -> Opening:
    """An RJ or LJ already open puts the claim straight into insolvency; a sauvegarde freezes it."""
    if procedure.get("open") and procedure.get("insolvent"):
        publication = procedure.get("opening_publication_date")
        deadline = creance_deadline_for(
            date.fromisoformat(publication) if publication else None,
            insured_in_metropolitan_france=insured_in_metropolitan_france,
        )
        return Opening(ClaimStatus.INSOLVENCY, False, deadline)
    return Opening(ClaimStatus.OPEN, bool(procedure.get("open")), None)


RELIEF_MONTHS = 6


def relief_in_time(*, requested_on: date, opening_publication_date: date | None) -> bool:
    """A relevé de forclusion must be asked within 6 months of the opening judgment's publication."""
    return opening_publication_date is not None and requested_on <= add_months(opening_publication_date, RELIEF_MONTHS)
