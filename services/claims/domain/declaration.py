"""Whether a declared default opens a claim, and in which state it starts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from services.claims.domain.creance import creance_deadline
from services.claims.domain.status import ClaimStatus
from services.kit.dates import Deadline


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    detail: str
    invoice_number: str | None = None


@dataclass(frozen=True, slots=True)
class ProcedureFacts:
    """A debtor's collective procedure as the debtors service states it."""

    open: bool
    insolvent: bool
    procedure: str | None
    opening_publication_date: date | None
    court_seat: str | None
    opening_missing: bool


def procedure_facts(state: dict[str, Any]) -> ProcedureFacts:
    """The procedure facts a claim acts on, from the state the debtors service sends."""
    publication = state.get("opening_publication_date")
    return ProcedureFacts(
        open=bool(state.get("open")),
        insolvent=bool(state.get("insolvent")),
        procedure=state.get("procedure"),
        opening_publication_date=date.fromisoformat(publication) if publication else None,
        court_seat=state.get("opening_court_seat"),
        opening_missing=bool(state.get("opening_missing")),
    )


@dataclass(frozen=True, slots=True)
class Opening:
    status: ClaimStatus
    frozen: bool
    creance: Deadline | None


def creance_of(procedure: ProcedureFacts, *, creditor: str) -> Deadline | None:
    """The créance deadline an open procedure sets for this creditor (Code de commerce L622-24, R622-24)."""
    if not procedure.open or procedure.opening_publication_date is None:
        return None
    return creance_deadline(procedure.opening_publication_date, court_seat=procedure.court_seat, creditor=creditor)


@dataclass(frozen=True, slots=True)
class LimitInForce:
    """The limit covering deliveries of one day, and why cover had stopped that day if it had."""

    on: date
    amount: Decimal
    stopped: str | None = None  # procedure_opened, claim_open


def limit_reasons(limits: Sequence[LimitInForce], invoice_dates: dict[str, date]) -> list[Reason]:
    """A claim needs at least one invoice delivered under a limit; say why none was."""
    by_date = {item.on: item for item in limits}
    answers = [by_date[day] for day in invoice_dates.values()]
    if any(item.amount > 0 for item in answers):
        return []
    stopped = {item.stopped for item in answers}
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


def opening_for(procedure: ProcedureFacts, *, creditor: str) -> Opening:
    """An RJ or LJ already open puts the claim into insolvency; a sauvegarde freezes it. Both call for the créance."""
    if procedure.open and procedure.insolvent:
        return Opening(ClaimStatus.INSOLVENCY, False, creance_of(procedure, creditor=creditor))
    return Opening(ClaimStatus.OPEN, procedure.open, creance_of(procedure, creditor=creditor))
