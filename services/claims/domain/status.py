"""The claim lifecycle (DESIGN §6): only these moves are legal."""

from __future__ import annotations

from enum import StrEnum

from services.kit.errors import Conflict


class ClaimStatus(StrEnum):
    DECLARED = "declared"
    REJECTED = "rejected"
    OPEN = "open"
    SETTLED = "settled"
    WITHDRAWN = "withdrawn"
    INSOLVENCY = "insolvency"
    INDEMNIFIABLE = "indemnifiable"
    FORFEITED = "forfeited"
    INDEMNIFIED = "indemnified"
    CLOSED = "closed"


MOVES: dict[ClaimStatus, frozenset[ClaimStatus]] = {
    ClaimStatus.DECLARED: frozenset({ClaimStatus.REJECTED, ClaimStatus.OPEN}),
    ClaimStatus.OPEN: frozenset(
        {ClaimStatus.SETTLED, ClaimStatus.WITHDRAWN, ClaimStatus.INSOLVENCY, ClaimStatus.INDEMNIFIABLE}
    ),
    # Back to open only when the judgment that opened the procedure is set aside on appeal.
    ClaimStatus.INSOLVENCY: frozenset(
        {ClaimStatus.INDEMNIFIABLE, ClaimStatus.FORFEITED, ClaimStatus.SETTLED, ClaimStatus.WITHDRAWN, ClaimStatus.OPEN}
    ),
    ClaimStatus.INDEMNIFIABLE: frozenset({ClaimStatus.INDEMNIFIED, ClaimStatus.WITHDRAWN, ClaimStatus.SETTLED}),
    # A relevé de forclusion granted by the court revives a forfeited claim.
    ClaimStatus.FORFEITED: frozenset({ClaimStatus.INDEMNIFIABLE, ClaimStatus.CLOSED}),
    ClaimStatus.INDEMNIFIED: frozenset({ClaimStatus.CLOSED}),
    ClaimStatus.REJECTED: frozenset(),
    ClaimStatus.SETTLED: frozenset(),
    ClaimStatus.WITHDRAWN: frozenset(),
    ClaimStatus.CLOSED: frozenset(),
}

# The claim is live: its invoices cannot be declared in another claim, and cover stays stopped.
ACTIVE = frozenset(
    {
        ClaimStatus.OPEN,
        ClaimStatus.INSOLVENCY,
        ClaimStatus.INDEMNIFIABLE,
        ClaimStatus.INDEMNIFIED,
        ClaimStatus.FORFEITED,
    }
)


# Before the indemnity: the claim still takes invoices, payments and collection steps.
PRE_INDEMNITY = frozenset({ClaimStatus.OPEN, ClaimStatus.INSOLVENCY, ClaimStatus.INDEMNIFIABLE})


class IllegalTransition(Conflict):
    code = "ILLEGAL_CLAIM_TRANSITION"
    title = "The claim cannot make this move from its current status"


def moved(current: ClaimStatus, target: ClaimStatus) -> ClaimStatus:
    """The target status, if the lifecycle allows it from the current one."""
    if target not in MOVES[current]:
        raise IllegalTransition(
            f"A {current} claim cannot become {target}.", current_status=current.value, requested_status=target.value
        )
    return target
