"""Facts that move a claim: payments, extensions, créance filings, withdrawal, procedures, deadlines."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select, type_coerce, update

from services.claims.adapters.repository import ClaimRepository, ClaimsUnitOfWork
from services.claims.adapters.tables import Claim, ClaimInvoice, PaymentReceived, TimelineEntry
from services.claims.domain.errors import ExtensionRefused, OverPayment
from services.claims.domain.invoice import invoice_key
from services.claims.domain.status import ClaimStatus, moved
from services.claims.service_layer.queries import ClaimView, view_of
from services.kit.dates import not_after_today
from services.kit.dependencies import Call, expected_version
from services.kit.errors import InvalidInput
from services.kit.outbox import Outbox
from services.kit.types import ExactDecimal

log = logging.getLogger("credit_claims.claims")

PRE_INDEMNITY = frozenset({ClaimStatus.OPEN, ClaimStatus.INSOLVENCY, ClaimStatus.INDEMNIFIABLE})


@dataclass(frozen=True)
class Actor:
    """Who made a change and from which request or event."""

    name: str
    source: str | None

    @classmethod
    def of(cls, call: Call) -> Actor:
        """The caller of a request, as the timeline records it."""
        return cls(call.principal.client_id, call.source)


def entry(
    claim_id: uuid.UUID,
    *,
    kind: str,
    actor: Actor,
    at: datetime,
    status_from: str | None = None,
    status_to: str | None = None,
    **detail: Any,
) -> TimelineEntry:
    """One line of a claim's timeline: what happened, who, when, from which request or event."""
    return TimelineEntry(
        claim_id=claim_id,
        at=at,
        actor=actor.name,
        kind=kind,
        status_from=status_from,
        status_to=status_to,
        source=actor.source,
        detail=detail,
    )


def record(repo: ClaimRepository, claim: Claim, *, kind: str, actor: Actor, at: datetime, **detail: Any) -> None:
    """A fact on the claim that does not change its status (the claim's ETag changes all the same)."""
    claim.version += 1
    claim.updated_at = at
    repo.add(entry(claim.id, kind=kind, actor=actor, at=at, **detail))


def move(
    repo: ClaimRepository, claim: Claim, target: ClaimStatus, *, kind: str, actor: Actor, at: datetime, **detail: Any
) -> None:
    """Change the status along a legal move, and say so in the timeline."""
    current = ClaimStatus(claim.status)
    claim.status = moved(current, target)
    claim.version += 1
    claim.updated_at = at
    repo.add(entry(claim.id, kind=kind, actor=actor, at=at, status_from=current, status_to=target, **detail))


CLAIM_CLOSED = "claim.closed.v1"


async def release(repo: ClaimRepository, outbox: Outbox, claim: Claim, *, now: datetime) -> None:
    """The claim is over: cover on the debtor is restored, and its invoices may be declared again unless an indemnity
    paid them (then they stay held, by the unique index of held invoices: an invoice is indemnified once)."""
    indemnity = await repo.indemnity(claim.id)
    if indemnity is None or indemnity.amount <= 0:
        await repo.session.execute(update(ClaimInvoice).where(ClaimInvoice.claim_id == claim.id).values(live=False))
    await outbox.add(
        repo.session, CLAIM_CLOSED, [{"claim_id": str(claim.id), "closed_on": now.date().isoformat()}], now=now
    )


async def paid_so_far(repo: ClaimRepository, claim_id: uuid.UUID) -> Decimal:
    total = type_coerce(func.coalesce(func.sum(PaymentReceived.amount), 0), ExactDecimal(2))
    return (await repo.session.execute(select(total).where(PaymentReceived.claim_id == claim_id))).scalar_one()


async def receive_payment(
    uow: ClaimsUnitOfWork,
    outbox: Outbox,
    *,
    claim_id: uuid.UUID,
    amount: Decimal,
    received_on: date,
    call: Call,
) -> ClaimView:
    """A payment from the debtor; paid in full, the claim is settled."""
    principal, actor, now = call.principal, Actor.of(call), call.now
    async with uow:
        repo = uow.claims
        claim = await repo.readable_claim(claim_id, principal)
        await apply_payment(repo, outbox, claim, amount=amount, received_on=received_on, actor=actor, now=now)
        view = await view_of(repo, claim)
        await uow.commit()
    return view


async def apply_payment(
    repo: ClaimRepository,
    outbox: Outbox,
    claim: Claim,
    *,
    amount: Decimal,
    received_on: date,
    actor: Actor,
    now: datetime,
    **detail: Any,
) -> None:
    """A payment from the debtor reduces the claim; paid in full, the claim is settled."""
    not_after_today(received_on, today=now.date(), field="received_on")
    if ClaimStatus(claim.status) not in PRE_INDEMNITY:
        moved(ClaimStatus(claim.status), ClaimStatus.SETTLED)  # raises with the current status
    owing = (await repo.unpaid_by_claim([claim.id]))[claim.id]
    if amount > owing:
        raise OverPayment(f"{owing} is unpaid on this claim.", unpaid=f"{owing:.2f}")
    repo.add(
        PaymentReceived(
            claim_id=claim.id, amount=amount, received_on=received_on, recorded_at=now, recorded_by=actor.name
        )
    )
    record(
        repo,
        claim,
        kind="payment_received",
        actor=actor,
        at=now,
        amount=f"{amount:.2f}",
        received_on=received_on.isoformat(),
        unpaid_after=f"{owing - amount:.2f}",
        **detail,
    )
    if amount == owing:
        move(repo, claim, ClaimStatus.SETTLED, kind="settled", actor=actor, at=now)
        await release(repo, outbox, claim, now=now)


async def extend_due_date(
    uow: ClaimsUnitOfWork,
    *,
    claim_id: uuid.UUID,
    invoice_number: str,
    new_due_date: date,
    call: Call,
) -> ClaimView:
    """A due-date extension granted to the debtor, only within the maximum extension period."""
    principal, actor, now, if_match = call.principal, Actor.of(call), call.now, call.if_match
    async with uow:
        repo = uow.claims
        claim = await repo.readable_claim(claim_id, principal)
        expected_version(if_match, current=claim.version)
        if ClaimStatus(claim.status) != ClaimStatus.OPEN:
            moved(ClaimStatus(claim.status), ClaimStatus.OPEN)
        key = invoice_key(invoice_number)
        invoice = next((item for item in await repo.invoices([claim.id]) if item.number_key == key), None)
        if invoice is None:
            raise InvalidInput(f"Invoice {invoice_number} is not in this claim.", code="UNKNOWN_INVOICE")
        if new_due_date <= invoice.due_date:
            raise InvalidInput("The new due date must be after the original one.", code="EXTENSION_NOT_LATER")
        if new_due_date > claim.max_extension_end:
            raise ExtensionRefused(f"The maximum extension period ends on {claim.max_extension_end}.")
        invoice.extended_due_date = new_due_date
        record(
            repo,
            claim,
            kind="due_date_extended",
            actor=actor,
            at=now,
            invoice=invoice.number,
            new_due_date=new_due_date.isoformat(),
        )
        view = await view_of(repo, claim)
        await uow.commit()
    return view


async def end_claim(
    uow: ClaimsUnitOfWork,
    outbox: Outbox,
    *,
    claim_id: uuid.UUID,
    target: ClaimStatus,
    reason: str,
    call: Call,
) -> ClaimView:
    """Withdraw or close the claim: its invoices and the cover on the debtor are released."""
    principal, actor, now, if_match = call.principal, Actor.of(call), call.now, call.if_match
    async with uow:
        repo = uow.claims
        claim = await repo.readable_claim(claim_id, principal)
        expected_version(if_match, current=claim.version)
        move(repo, claim, target, kind=target.value, actor=actor, at=now, reason=reason)
        await release(repo, outbox, claim, now=now)
        view = await view_of(repo, claim)
        await uow.commit()
    return view


@dataclass
class SweepReport:
    on: date
    indemnifiable: int = 0
    forfeited: int = 0
    creance_missed: int = 0


async def sweep(uow: ClaimsUnitOfWork, *, on: date, actor: Actor, now: datetime) -> SweepReport:
    """Deadlines as of `on` (never after today): waiting period over → indemnifiable; créance not filed in time →
    forfeited in an RJ or LJ, recorded as missed under a sauvegarde or after a relief.

    Each move is a guarded update (WHERE the claim is as it was read), so two sweeps at once move a claim once.
    """
    not_after_today(on, today=now.date(), field="on")
    # The relief's deadline, once granted, replaces the opening's.
    due = func.coalesce(Claim.relief_deadline, Claim.creance_deadline)
    unfiled = and_(Claim.creance_filed_on.is_(None), due < on)
    waiting = and_(Claim.status == ClaimStatus.OPEN, Claim.frozen.is_(False), Claim.waiting_period_end < on)
    late = and_(Claim.status == ClaimStatus.INSOLVENCY, unfiled)
    missed = and_(
        or_(Claim.status == ClaimStatus.OPEN, Claim.status == ClaimStatus.FORFEITED),
        Claim.creance_missed_on.is_(None),
        unfiled,
    )
    stamp = {"actor": actor, "now": now, "on": on}
    async with uow:
        # Every claim the sweep may move is locked first, in id order, as any transaction locking several claims.
        await uow.claims.lock_claims(or_(waiting, late, missed))
        established = await _move_all(
            uow.claims, waiting, Move(ClaimStatus.OPEN, ClaimStatus.INDEMNIFIABLE, "loss_established"), **stamp
        )
        forfeited = await _move_all(
            uow.claims, late, Move(ClaimStatus.INSOLVENCY, ClaimStatus.FORFEITED, "forfeited"), **stamp
        )
        misses = await _record_misses(uow.claims, missed, **stamp)
        await uow.commit()
    return SweepReport(on=on, indemnifiable=established, forfeited=forfeited, creance_missed=misses)


@dataclass(frozen=True, slots=True)
class Move:
    source: ClaimStatus
    target: ClaimStatus
    kind: str


async def _move_all(repo: ClaimRepository, condition: Any, move: Move, *, actor: Actor, now: datetime, on: date) -> int:
    """Move every claim meeting the condition, each only if it still does; how many moved."""
    if move.target == ClaimStatus.INDEMNIFIABLE:
        values: dict[str, Any] = {"loss_ground": "protracted_default"}
        detail: dict[str, Any] = {"ground": "protracted_default"}
    else:
        values, detail = {"creance_missed_on": on}, {"code": "CREANCE_DEADLINE_MISSED"}
    count = 0
    for claim_id, _, changed_at in await repo.claims_meeting(condition):
        if await repo.guarded_update(claim_id, condition, now=now, status=move.target, **values):
            as_of = _as_of(on, changed_at, move.target)
            repo.add(
                entry(
                    claim_id,
                    kind=move.kind,
                    actor=actor,
                    at=now,
                    status_from=move.source,
                    status_to=move.target,
                    as_of=as_of,
                    **detail,
                )
            )
            count += 1
    return count


async def _record_misses(repo: ClaimRepository, missed: Any, *, actor: Actor, now: datetime, on: date) -> int:
    """A créance deadline passed unfiled where the claim does not move: the miss is on record for a later RJ or LJ."""
    count = 0
    for claim_id, status, _ in await repo.claims_meeting(missed):
        if await repo.guarded_update(claim_id, missed, now=now, creance_missed_on=on):
            detail = {"as_of": on.isoformat(), "code": "CREANCE_DEADLINE_MISSED", "status": status}
            repo.add(entry(claim_id, kind="creance_deadline_missed", actor=actor, at=now, **detail))
            count += 1
    return count


def _as_of(on: date, changed_at: datetime, target: ClaimStatus) -> str:
    """The day a move is established: a loss never before the claim's last change (it may have been frozen then)."""
    if target == ClaimStatus.INDEMNIFIABLE:
        return max(on, changed_at.date()).isoformat()
    return on.isoformat()


async def sweep_days_passed(app: Any, previous: date, today: date) -> dict[str, int]:
    """The scheduled sweep once for each day the sandbox clock skipped, each as of its own day."""
    totals = {"days_swept": 0, "indemnifiable": 0, "forfeited": 0, "creance_missed": 0}
    day = previous + timedelta(days=1)
    while day <= today:
        at = datetime.combine(day, time.min, tzinfo=UTC)
        report = await sweep(ClaimsUnitOfWork(app.state.db), on=day, actor=Actor("scheduler", "sandbox-clock"), now=at)
        totals["days_swept"] += 1
        for name in ("indemnifiable", "forfeited", "creance_missed"):
            totals[name] += getattr(report, name)
        day += timedelta(days=1)
    return totals


def scheduled_sweep(every_seconds: float) -> Callable[[Any], Awaitable[None]]:
    """The background job: sweep the deadlines as of today, every so often, for as long as the app runs."""

    async def job(app: Any) -> None:
        while True:
            await asyncio.sleep(every_seconds)
            try:
                async with app.state.clock_lock:  # not halfway through a sandbox move
                    now = app.state.clock.now()
                    report = await sweep(
                        ClaimsUnitOfWork(app.state.db), on=now.date(), actor=Actor("scheduler", None), now=now
                    )
                log.info(
                    "deadline sweep %s: %s indemnifiable, %s forfeited, %s créances missed",
                    report.on,
                    report.indemnifiable,
                    report.forfeited,
                    report.creance_missed,
                )
            except Exception:  # the next run tries again
                log.exception("deadline sweep failed")

    return job
