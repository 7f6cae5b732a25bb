"""Collective procedures (procédures collectives) and the déclaration de créance deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

from services.kit.dates import Deadline, add_months, deadline


class ProcedureType(StrEnum):
    SAUVEGARDE = "sauvegarde"
    SAUVEGARDE_ACCELEREE = "sauvegarde_acceleree"
    REDRESSEMENT_JUDICIAIRE = "redressement_judiciaire"
    LIQUIDATION_JUDICIAIRE = "liquidation_judiciaire"


class ProcedureEventKind(StrEnum):
    OPENING = "opening"
    EXTENSION = "extension"  # another company's procedure extended to this one: an opening for its creditors
    CONVERSION = "conversion"
    REOPENING = "reopening"  # a closed liquidation taken up again (Code de commerce L643-13)
    PLAN_ADOPTED = "plan_adopted"
    PLAN_MODIFIED = "plan_modified"
    PLAN_RESOLUTION = "plan_resolution"
    CLOSURE = "closure"
    REVERSED_ON_APPEAL = "reversed_on_appeal"


class ClosureReason(StrEnum):
    LACK_OF_ASSETS = "lack_of_assets"
    EXTINGUISHED_DEBTS = "extinguished_debts"
    PROCEDURE_ENDED = "procedure_ended"  # the court ends a sauvegarde or an RJ (L622-12, L631-16)


# A debtor in RJ or LJ is insolvent; sauvegarde protects it but is not insolvency.
INSOLVENCY = frozenset({ProcedureType.REDRESSEMENT_JUDICIAIRE, ProcedureType.LIQUIDATION_JUDICIAIRE})
# Judgments that open a procedure for this debtor, and so start its creditors' déclaration de créance.
OPENINGS = frozenset({ProcedureEventKind.OPENING, ProcedureEventKind.EXTENSION})
# Judgments after which the procedure is over: creditors get their individual actions back.
ENDINGS = frozenset(
    {ProcedureEventKind.CLOSURE, ProcedureEventKind.PLAN_RESOLUTION, ProcedureEventKind.REVERSED_ON_APPEAL}
)

CREANCE_MONTHS = 2


@lru_cache(maxsize=4096)  # a batch's openings share a few hundred publication days
def creance_deadline(publication_date: date, court_seat: str | None = None) -> Deadline:
    """Code de commerce R622-24 al. 1: the créance is declared within 2 months of the opening's BODACC publication.

    That is the deadline of a creditor living where the court sits; the claims service, which knows each
    insured, adds the 2 months of R622-24 al. 2-3 for a creditor living elsewhere. A deadline ending on a day
    off runs to the next working day at the court's seat (Code de procédure civile art. 642).
    """
    return deadline(add_months(publication_date, CREANCE_MONTHS), place=court_seat)


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
    court_seat: str | None = None
    """Where the court sits: FR (metropolitan France), FR-57/67/68 (Alsace-Moselle) or an overseas territory."""

    @property
    def creance(self) -> Deadline | None:
        """Only an opening (or an extension to this debtor) starts the déclaration de créance deadline."""
        if self.event not in OPENINGS or self.publication_date is None:
            return None
        return creance_deadline(self.publication_date, self.court_seat)

    @property
    def creance_deadline(self) -> date | None:
        creance = self.creance
        return creance.due if creance else None


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
    creance_deadline_legal: date | None = None
    opening_court: str | None = None
    opening_court_seat: str | None = None


def state_of(history: list[ProcedureEvent]) -> ProcedureState:
    """The current procedure; a conversion seen without its opening is flagged, not guessed."""
    procedure: ProcedureType | None = None
    is_open = False
    opening: ProcedureEvent | None = None
    opened_on: date | None = None
    for event in sorted(history, key=lambda item: (item.judgment_date, item.publication_date or item.judgment_date)):
        if event.event in OPENINGS:
            procedure, is_open, opening, opened_on = event.procedure, True, event, event.judgment_date
        elif event.event in (ProcedureEventKind.CONVERSION, ProcedureEventKind.REOPENING):
            if not is_open:
                opened_on = event.judgment_date
            procedure, is_open = event.procedure, True
        elif event.event == ProcedureEventKind.REVERSED_ON_APPEAL:
            # The judgment that opened it is set aside on appeal: the procedure never was.
            procedure, is_open, opening, opened_on = None, False, None, None
        elif event.event in ENDINGS:
            # A closure ends it; so does a plan's resolution that opens nothing new (Code de commerce L626-27 I).
            procedure, is_open = procedure or event.procedure, False
        else:  # a plan adopted or modified: the procedure goes on
            procedure = procedure or event.procedure
            if not is_open:
                is_open, opened_on = True, opened_on or event.judgment_date
    creance = opening.creance if opening else None
    return ProcedureState(
        procedure=procedure,
        open=is_open,
        opened_on=opened_on,
        opening_publication_date=opening.publication_date if opening else None,
        creance_deadline=creance.due if creance else None,
        opening_missing=is_open and opening is None,
        insolvent=is_open and procedure in INSOLVENCY,
        creance_deadline_legal=creance.legal if creance else None,
        opening_court=opening.court if opening else None,
        opening_court_seat=opening.court_seat if opening else None,
    )
