"""Deadlines a claim's insured must act on, announced once as they approach (partners' webhooks take
`claim.deadline_approaching` from it): the créance to file, the end of the waiting period, a collection step."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from services.claims.adapters.repository import ClaimsUnitOfWork
from services.claims.adapters.tables import DeadlineNotice, WorkItem
from services.kit.outbox import Outbox

CLAIM_DEADLINE_APPROACHING = "claim.deadline_approaching.v1"
NOTICE_DAYS = 7  # a week ahead: time to file a créance or take a collection step
# The insured's deadlines (paying an indemnity is the insurer's work, not announced).
INSUREDS_ACTIONS = ("creance_to_file", "forclusion_relief_to_ask", "waiting_period_ends")


def _approaching(item: WorkItem, today: date) -> dict[str, str | int | None]:
    assert item.due is not None
    return {
        "claim_id": str(item.claim_id),
        "insured_id": item.insured_id,
        "policy_id": str(item.policy_id),
        "debtor_id": str(item.debtor_id),
        "action": item.action,
        "due": item.due.isoformat(),
        "due_legal": item.due_legal.isoformat() if item.due_legal else None,
        "days_left": (item.due - today).days,
        "detail": item.detail,
    }


async def announce(uow: ClaimsUnitOfWork, outbox: Outbox, *, today: date, now: datetime) -> int:
    """Every dated action due within a week that was not announced yet, announced now; how many."""
    if not outbox.subscriptions.destinations(CLAIM_DEADLINE_APPROACHING):
        return 0
    async with uow:
        items = await uow.claims.deadlines_to_announce(
            first=today, last=today + timedelta(days=NOTICE_DAYS), actions=INSUREDS_ACTIONS
        )
        for item in items:
            assert item.due is not None
            uow.claims.add(DeadlineNotice(claim_id=item.claim_id, action=item.action, due=item.due, announced_at=now))
        await outbox.add(uow.session, CLAIM_DEADLINE_APPROACHING, [_approaching(i, today) for i in items], now=now)
        await uow.commit()
    return len(items)
