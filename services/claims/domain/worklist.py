"""What a claims handler must do next on a claim, and by when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from services.claims.domain.status import ClaimStatus


@dataclass(frozen=True, slots=True)
class Action:
    action: str
    due: date | None
    detail: str


def next_action(
    *,
    status: ClaimStatus,
    frozen: bool,
    creance_deadline: date | None,
    creance_filed_on: date | None,
    waiting_period_end: date,
    indemnifiable_since: date,
    today: date,
    within_days: int,
) -> Action | None:
    """The claim's pending action if it falls due within the horizon (or has no known date and must be looked at)."""
    horizon = today + timedelta(days=within_days)
    if status == ClaimStatus.INSOLVENCY and creance_filed_on is None:
        if creance_deadline is None:
            return Action(
                "creance_deadline_unknown", None, "Procedure seen without its opening judgment: find the deadline."
            )
        if creance_deadline <= horizon:
            return Action("creance_to_file", creance_deadline, "Déclaration de créance not filed yet.")
    if status == ClaimStatus.OPEN and not frozen and waiting_period_end <= horizon:
        return Action(
            "waiting_period_ends", waiting_period_end, "Protracted default: the loss is established at the end."
        )
    if status == ClaimStatus.INDEMNIFIABLE:
        return Action(
            "indemnity_to_pay", indemnifiable_since, "The loss is established; compute and pay the indemnity."
        )
    return None
