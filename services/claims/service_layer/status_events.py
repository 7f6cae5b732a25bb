"""Every move of a claim from one status to another, published once its transaction commits (partners' webhooks
take `claim.status_changed` from it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from services.claims.adapters.repository import MOVES, ClaimsUnitOfWork
from services.claims.adapters.tables import Claim, TimelineEntry
from services.kit.outbox import Outbox

CLAIM_STATUS_CHANGED = "claim.status_changed.v1"


def published(outbox_of: Callable[[], Outbox]) -> Callable[[ClaimsUnitOfWork], Awaitable[None]]:
    """The hook that writes, before the transaction commits, one event per status move it made."""

    async def hook(uow: ClaimsUnitOfWork) -> None:
        moves: list[TimelineEntry] | None = uow.session.info.pop(MOVES, None)
        outbox = outbox_of()
        if not moves or not outbox.subscriptions.destinations(CLAIM_STATUS_CHANGED):
            return
        payloads = [await _moved(uow, move) for move in moves]
        await outbox.add(uow.session, CLAIM_STATUS_CHANGED, payloads, now=moves[-1].at)

    return hook


async def _moved(uow: ClaimsUnitOfWork, move: TimelineEntry) -> dict[str, Any]:
    claim = await uow.session.get(Claim, move.claim_id)  # in the session already: the move changed it
    assert claim is not None
    return {
        "claim_id": str(claim.id),
        "insured_id": claim.insured_id,
        "policy_id": str(claim.policy_id),
        "debtor_id": str(claim.debtor_id),
        "status_from": move.status_from,
        "status_to": move.status_to,
        "why": move.kind,
        "at": move.at.isoformat(),
    }
