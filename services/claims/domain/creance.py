"""The déclaration de créance: its deadline by court and creditor, forclusion, and the relevé de forclusion."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.claims.domain.errors import (
    CreanceAlreadyFiled,
    CreanceDeadlineMissed,
    FilingBeforeOpening,
    NoCreanceDue,
    ReliefNotApplicable,
    ReliefTooLate,
)
from services.claims.domain.status import ClaimStatus
from services.kit.dates import Deadline, add_months, deadline

METROPOLITAN_FRANCE = "FR"
OVERSEAS = frozenset({"GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "WF", "PF", "NC"})
CREANCE_MONTHS = 2  # Code de commerce R622-24 al. 1
DISTANCE_MONTHS = 2  # R622-24 al. 2-3
RELIEF_ACTION_MONTHS = 6  # L622-26 al. 3

# French postal codes of the overseas departments and collectivities (Saint-Barthélemy and Saint-Martin use
# Guadeloupe's 971 with their own codes).
_OVERSEAS_POSTCODES = (
    ("97133", "BL"),
    ("97150", "MF"),
    ("971", "GP"),
    ("972", "MQ"),
    ("973", "GF"),
    ("974", "RE"),
    ("975", "PM"),
    ("976", "YT"),
    ("986", "WF"),
    ("987", "PF"),
    ("988", "NC"),
)


def creditor_territory(country: str, postcode: str | None = None) -> str:
    """Where a creditor lives: FR for metropolitan France, an overseas territory's code, or its country's."""
    if country == METROPOLITAN_FRANCE and postcode:
        digits = "".join(postcode.split())
        return next((territory for prefix, territory in _OVERSEAS_POSTCODES if digits.startswith(prefix)), country)
    return country


def seat_territory(court_seat: str | None) -> str:
    """The territory of a court's seat; a seat not known is taken for metropolitan France."""
    if court_seat in OVERSEAS:
        return court_seat
    return METROPOLITAN_FRANCE


def creance_months(*, court_seat: str | None, creditor: str) -> int:
    """Code de commerce R622-24: 2 months, and 2 more for a creditor not living where the court sits."""
    # A metropolitan court: outside metropolitan France (overseas included); an overseas court: outside its
    # department or collectivity (metropolitan France included).
    far = creditor != seat_territory(court_seat)
    return CREANCE_MONTHS + (DISTANCE_MONTHS if far else 0)


def creance_deadline(publication_date: date, *, court_seat: str | None, creditor: str) -> Deadline:
    """R622-24: counted from the BODACC publication of the opening; a day off moves it on (CPC art. 642)."""
    months = creance_months(court_seat=court_seat, creditor=creditor)
    return deadline(add_months(publication_date, months), place=court_seat)


def relief_action_deadline(publication_date: date, *, court_seat: str | None) -> Deadline:
    """L622-26 al. 3: a relevé de forclusion is asked within 6 months of the opening's publication."""
    return deadline(add_months(publication_date, RELIEF_ACTION_MONTHS), place=court_seat)


def relief_filing_deadline(notified_on: date, *, court_seat: str | None, creditor: str) -> Deadline:
    """L622-24 al. 1: once relieved, the créance is declared within half the period, from the relief's notification."""
    months = creance_months(court_seat=court_seat, creditor=creditor) // 2
    return deadline(add_months(notified_on, months), place=court_seat)


@dataclass(frozen=True, slots=True)
class Creance:
    """What a claim knows of its déclaration de créance."""

    status: ClaimStatus
    procedure_open: bool
    deadline: date | None
    filed_on: date | None
    relief_deadline: date | None
    opening_publication_date: date | None
    court_seat: str | None
    opened_on: date | None = None
    missed_on: date | None = None  # the day a sweep found the deadline passed unfiled (cleared by a relief)

    @property
    def due(self) -> date | None:
        """The day the créance must be filed by: the relief's new deadline once relieved."""
        return self.relief_deadline or self.deadline


# A créance is declared under any collective procedure, sauvegarde included (Code de commerce L622-24).
FILING_STATUSES = frozenset({ClaimStatus.OPEN, ClaimStatus.INSOLVENCY, ClaimStatus.FORFEITED})


def check_filing(creance: Creance, *, filed_on: date) -> None:
    """Refuse a filing no procedure calls for, a second one, one dated before the opening, or one after its
    deadline — once the miss is on record, only a relevé de forclusion reopens it (L622-24, L622-26)."""
    if creance.filed_on is not None:
        raise CreanceAlreadyFiled(f"The créance was filed on {creance.filed_on}.")
    forclose = creance.status == ClaimStatus.FORFEITED or creance.missed_on is not None
    if forclose and creance.relief_deadline is None:
        raise CreanceDeadlineMissed(
            f"The créance was due by {creance.deadline}; only a relevé de forclusion lets it be filed now.",
            due=creance.deadline.isoformat() if creance.deadline else None,
        )
    called_for = creance.status in {ClaimStatus.INSOLVENCY, ClaimStatus.FORFEITED} or (
        creance.status == ClaimStatus.OPEN and creance.procedure_open and creance.deadline is not None
    )
    if not called_for:
        raise NoCreanceDue(f"The claim is {creance.status}.", current_status=creance.status.value)
    if creance.opened_on is not None and filed_on < creance.opened_on:
        raise FilingBeforeOpening(
            f"The procedure opened on {creance.opened_on}.", opened_on=creance.opened_on.isoformat()
        )
    due = creance.due
    if due is not None and filed_on > due:
        kind = "after the relevé de forclusion" if creance.relief_deadline else "from the opening's publication"
        raise CreanceDeadlineMissed(f"The déclaration de créance was due by {due} ({kind}).", due=due.isoformat())


def check_relief(creance: Creance, *, requested_on: date) -> Deadline:
    """A relevé de forclusion is for a créance whose deadline passed unfiled, asked in time (L622-26)."""
    if creance.status not in FILING_STATUSES or creance.deadline is None or creance.filed_on is not None:
        raise ReliefNotApplicable("Only a créance whose deadline passed without a filing is relieved of forclusion.")
    if creance.relief_deadline is not None:
        raise ReliefNotApplicable(
            f"A relevé de forclusion was already granted (new deadline {creance.relief_deadline})."
        )
    if requested_on <= creance.deadline:
        raise ReliefNotApplicable(f"The créance was still due until {creance.deadline}: there was no forclusion.")
    if creance.opening_publication_date is None:
        raise ReliefTooLate("The opening's publication is not known: the 6 months cannot be counted.")
    limit = relief_action_deadline(creance.opening_publication_date, court_seat=creance.court_seat)
    if requested_on > limit.due:
        raise ReliefTooLate(
            f"Asked on {requested_on}; the opening was published on {creance.opening_publication_date}, "
            f"so by {limit.due}.",
            due=limit.due.isoformat(),
        )
    return limit


def deadline_detail(deadline: Deadline | None, *, name: str = "creance_deadline") -> dict[str, str | None]:
    """A deadline for the timeline: the day it is due, and its legal day where a day off moved it."""
    if deadline is None:
        return {name: None}
    moved = {f"{name}_legal": deadline.legal.isoformat()} if deadline.moved else {}
    return {name: deadline.due.isoformat(), **moved}
