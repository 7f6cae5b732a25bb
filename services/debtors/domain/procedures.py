"""Collective procedures (procédures collectives) and the déclaration de créance deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

from services.kit.dates import add_months


class ProcedureType(StrEnum):
    SAUVEGARDE = "sauvegarde"
    SAUVEGARDE_ACCELEREE = "sauvegarde_acceleree"
    REDRESSEMENT_JUDICIAIRE = "redressement_judiciaire"
    LIQUIDATION_JUDICIAIRE = "liquidation_judiciaire"


class ProcedureEventKind(StrEnum):
    OPENING = "opening"
    CONVERSION = "conversion"
    PLAN_ADOPTED = "plan_adopted"
    PLAN_RESOLUTION = "plan_resolution"
    CLOSURE = "closure"


class ClosureReason(StrEnum):
    LACK_OF_ASSETS = "lack_of_assets"
    EXTINGUISHED_DEBTS = "extinguished_debts"


# A debtor in RJ or LJ is insolvent; sauvegarde protects it but is not insolvency.
INSOLVENCY = frozenset({ProcedureType.REDRESSEMENT_JUDICIAIRE, ProcedureType.LIQUIDATION_JUDICIAIRE})

CREANCE_MONTHS = 2


@lru_cache(maxsize=4096)  # a batch's openings share a few hundred publication days
def creance_deadline(publication_date: date) -> date:
    """The déclaration de créance is due 2 months after the BODACC publication of the opening.

    That is the deadline of a creditor in metropolitan France; the claims service, which knows
    each insured, extends it to 4 months for a creditor outside.
    """
    return add_months(publication_date, CREANCE_MONTHS)


@dataclass(frozen=True, slots=True)
class ProcedureEvent:
    """One judgment in a debtor's procedure history."""

    procedure: ProcedureType
    event: ProcedureEventKind
    judgment_date: date
    publication_date: date | None
    court: str | None = None
    closure_reason: ClosureReason | None = None
    simplified: bool = False

    @property
    def creance_deadline(self) -> date | None:
        """Only an opening starts the déclaration de créance deadline."""
        if self.event != ProcedureEventKind.OPENING or self.publication_date is None:
            return None
        return creance_deadline(self.publication_date)


@dataclass(frozen=True, slots=True)
class ProcedureState:
    """Where a debtor stands, read from its history in judgment order."""

    procedure: ProcedureType | None
    open: bool
    opened_on: date | None
    opening_publication_date: date | None
    creance_deadline: date | None
    opening_missing: bool
    insolvent: bool


def state_of(history: list[ProcedureEvent]) -> ProcedureState:
    """The current procedure; a conversion seen without its opening is flagged, not guessed."""
    procedure: ProcedureType | None = None
    is_open = False
    opening: ProcedureEvent | None = None
    opened_on: date | None = None
    for event in sorted(history, key=lambda item: (item.judgment_date, item.publication_date or item.judgment_date)):
        if event.event == ProcedureEventKind.OPENING:
            procedure, is_open, opening, opened_on = event.procedure, True, event, event.judgment_date
        elif event.event == ProcedureEventKind.CONVERSION:
            if not is_open:
                opened_on = event.judgment_date
            procedure, is_open = event.procedure, True
        elif event.event == ProcedureEventKind.CLOSURE:
            procedure, is_open = event.procedure, False
        elif event.event in (ProcedureEventKind.PLAN_ADOPTED, ProcedureEventKind.PLAN_RESOLUTION):
            procedure = procedure or event.procedure
            if not is_open:
                is_open, opened_on = True, opened_on or event.judgment_date
    return ProcedureState(
        procedure=procedure,
        open=is_open,
        opened_on=opened_on,
        opening_publication_date=opening.publication_date if opening else None,
        creance_deadline=opening.creance_deadline if opening else None,
        opening_missing=is_open and opening is None,
        insolvent=is_open and procedure in INSOLVENCY,
    )
