"""What a claims handler must do next on a claim, and by when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.claims.domain.collection.next_step import IndemnityHold
from services.claims.domain.creance import Creance, relief_action_deadline
from services.claims.domain.status import ClaimStatus

HELD = {"dispute": "dispute_to_resolve", "collection_duties": "collection_duties_to_meet"}


@dataclass(frozen=True, slots=True)
class Action:
    action: str
    due: date | None
    detail: str
    due_legal: date | None = None  # the period's legal end, where a day off moved `due` later


def claim_action(
    *,
    creance: Creance,
    frozen: bool,
    missed: bool,
    creance_due_legal: date | None,
    waiting_period_end: date,
    indemnifiable_since: date,
    indemnity_held: IndemnityHold | None = None,
) -> Action | None:
    """The claim's own pending action, whatever its date (its créance's first); None when nothing is pending.

    It does not depend on the day: the passing of time changes it only through the claim (a sweep's move)."""
    status = creance.status
    creance_action = _creance_action(creance, missed=missed, due_legal=creance_due_legal)
    if creance_action is not None:
        return creance_action
    if status == ClaimStatus.OPEN and not frozen:
        return Action(
            "waiting_period_ends", waiting_period_end, "Protracted default: the loss is established at the end."
        )
    if status == ClaimStatus.INDEMNIFIABLE and indemnity_held is not None:
        # Paying would be refused: what holds it back is the work, waiting since the loss was established.
        action = HELD[indemnity_held.reason]
        return Action(action, indemnifiable_since, indemnity_held.detail)
    if status == ClaimStatus.INDEMNIFIABLE:
        return Action(
            "indemnity_to_pay", indemnifiable_since, "The loss is established; compute and pay the indemnity."
        )
    return None


def _creance_action(creance: Creance, *, missed: bool, due_legal: date | None) -> Action | None:
    """The créance to file under any procedure (Code de commerce L622-24), or its forclusion to have relieved."""
    if creance.filed_on is not None:
        return None
    status, due = creance.status, creance.due
    if status == ClaimStatus.INSOLVENCY and due is None:
        return Action(
            "creance_deadline_unknown", None, "Procedure seen without its opening judgment: find the deadline."
        )
    called_for = status == ClaimStatus.INSOLVENCY or (status == ClaimStatus.OPEN and creance.procedure_open)
    relieved = creance.relief_deadline is not None and status in {ClaimStatus.OPEN, ClaimStatus.FORFEITED}
    if due is not None and not missed and (called_for or relieved):
        detail = "Déclaration de créance not filed yet."
        if creance.relief_deadline is not None:
            detail = "Relieved of forclusion: file the déclaration de créance by the new deadline (L622-24)."
        return Action("creance_to_file", due, detail, due_legal if not creance.relief_deadline else None)
    if missed and creance.relief_deadline is None and creance.opening_publication_date is not None:
        # L622-26: the créance is forclose, unless the court relieves it; asked within 6 months of publication.
        limit = relief_action_deadline(creance.opening_publication_date, court_seat=creance.court_seat)
        return Action(
            "forclusion_relief_to_ask",
            limit.due,
            "The créance deadline passed unfiled: ask the juge-commissaire for a relevé de forclusion.",
            limit.legal if limit.moved else None,
        )
    return None
