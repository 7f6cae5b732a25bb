"""Facts that move a claim: payments, extensions, créance filings, withdrawal, procedures, deadlines."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, type_coerce, update

from services.claims.adapters.repository import ClaimRepository
from services.claims.adapters.tables import Claim, ClaimInvoice, PaymentReceived, TimelineEntry
from services.claims.domain.declaration import creance_deadline_for, relief_in_time
from services.claims.domain.errors import (
    ClaimNotFound,
    CreanceDeadlineMissed,
    ExtensionRefused,
    NoCreanceDue,
    OverPayment,
    ReliefTooLate,
)
from services.claims.domain.status import ClaimStatus, moved
from services.kit.auth import Principal
from services.kit.errors import InvalidInput
from services.kit.http import expected_version
from services.kit.outbox import Outbox
from services.kit.types import ExactDecimal
from services.kit.uow import UnitOfWork

log = logging.getLogger("credit_claims.claims")

PRE_INDEMNITY = frozenset({ClaimStatus.OPEN, ClaimStatus.INSOLVENCY, ClaimStatus.INDEMNIFIABLE})


@dataclass(frozen=True)
class Actor:
    """Who made a change and from which request or event."""

    name: str
    source: str | None


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
    """The claim is over: its invoices may be declared again and cover on the debtor is restored."""
    await repo.session.execute(update(ClaimInvoice).where(ClaimInvoice.claim_id == claim.id).values(live=False))
    await outbox.add(
        repo.session, CLAIM_CLOSED, [{"claim_id": str(claim.id), "closed_on": now.date().isoformat()}], now=now
    )


async def visible_claim(
    repo: ClaimRepository, claim_id: uuid.UUID, principal: Principal, *, for_update: bool = True
) -> Claim:
    """The claim if the caller may see it (another insured's claim does not exist for them); locked to change it."""
    claim = await repo.claim(claim_id, for_update=for_update)
    if claim is None or not principal.may_see(claim.insured_id):
        raise ClaimNotFound(f"No claim {claim_id}.")
    return claim


async def paid_so_far(repo: ClaimRepository, claim_id: uuid.UUID) -> Decimal:
    total = type_coerce(func.coalesce(func.sum(PaymentReceived.amount), 0), ExactDecimal(2))
    return (await repo.session.execute(select(total).where(PaymentReceived.claim_id == claim_id))).scalar_one()


async def receive_payment(
    uow: UnitOfWork,
    outbox: Outbox,
    *,
    claim_id: uuid.UUID,
    amount: Decimal,
    received_on: date,
    principal: Principal,
    actor: Actor,
    now: datetime,
) -> Claim:
    """A payment from the debtor; paid in full, the claim is settled."""
    async with uow:
        repo = ClaimRepository(uow.session, dialect=uow.dialect)
        claim = await visible_claim(repo, claim_id, principal)
        await apply_payment(repo, outbox, claim, amount=amount, received_on=received_on, actor=actor, now=now)
        await uow.commit()
    return claim


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
    uow: UnitOfWork,
    *,
    claim_id: uuid.UUID,
    invoice_number: str,
    new_due_date: date,
    if_match: str | None,
    principal: Principal,
    actor: Actor,
    now: datetime,
) -> Claim:
    """A due-date extension granted to the debtor, only within the maximum extension period."""
    async with uow:
        repo = ClaimRepository(uow.session, dialect=uow.dialect)
        claim = await visible_claim(repo, claim_id, principal)
        expected_version(if_match, current=claim.version)
        if ClaimStatus(claim.status) != ClaimStatus.OPEN:
            moved(ClaimStatus(claim.status), ClaimStatus.OPEN)
        invoice = next((item for item in await repo.invoices([claim.id]) if item.number == invoice_number), None)
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
            invoice=invoice_number,
            new_due_date=new_due_date.isoformat(),
        )
        await uow.commit()
    return claim


def _creance_counts(
    repo: ClaimRepository,
    claim: Claim,
    *,
    filed_on: date,
    amount: Decimal,
    court_officer: str,
    actor: Actor,
    at: datetime,
) -> None:
    """A déclaration de créance that counts (in time, or relieved of forclusion) establishes the insolvency loss."""
    claim.creance_filed_on, claim.creance_amount, claim.court_officer = filed_on, amount, court_officer
    move(repo, claim, ClaimStatus.INDEMNIFIABLE, kind="loss_established", actor=actor, at=at, ground="insolvency")


async def file_creance(
    uow: UnitOfWork,
    *,
    claim_id: uuid.UUID,
    filed_on: date,
    amount: Decimal,
    court_officer: str,
    if_match: str | None,
    principal: Principal,
    actor: Actor,
    now: datetime,
) -> Claim:
    """The déclaration de créance to the court officer; in time, the loss is established."""
    async with uow:
        repo = ClaimRepository(uow.session, dialect=uow.dialect)
        claim = await visible_claim(repo, claim_id, principal)
        expected_version(if_match, current=claim.version)
        if ClaimStatus(claim.status) != ClaimStatus.INSOLVENCY:
            raise NoCreanceDue(f"The claim is {claim.status}.", current_status=claim.status)
        if claim.creance_deadline is not None and filed_on > claim.creance_deadline:
            raise CreanceDeadlineMissed(f"The déclaration de créance was due by {claim.creance_deadline}.")
        record(
            repo,
            claim,
            kind="creance_filed",
            actor=actor,
            at=now,
            filed_on=filed_on.isoformat(),
            amount=f"{amount:.2f}",
            court_officer=court_officer,
        )
        _creance_counts(repo, claim, filed_on=filed_on, amount=amount, court_officer=court_officer, actor=actor, at=now)
        await uow.commit()
    return claim


async def end_claim(
    uow: UnitOfWork,
    outbox: Outbox,
    *,
    claim_id: uuid.UUID,
    target: ClaimStatus,
    reason: str,
    if_match: str | None,
    principal: Principal,
    actor: Actor,
    now: datetime,
) -> Claim:
    """Withdraw or close the claim: its invoices and the cover on the debtor are released."""
    async with uow:
        repo = ClaimRepository(uow.session, dialect=uow.dialect)
        claim = await visible_claim(repo, claim_id, principal)
        expected_version(if_match, current=claim.version)
        move(repo, claim, target, kind=target.value, actor=actor, at=now, reason=reason)
        await release(repo, outbox, claim, now=now)
        await uow.commit()
    return claim


async def apply_procedure(
    repo: ClaimRepository, *, debtor_id: uuid.UUID, state: dict[str, Any], actor: Actor, at: datetime
) -> int:
    """A debtor's procedure changed: RJ/LJ puts its open claims into insolvency; a sauvegarde freezes them."""
    claims = list(
        (
            await repo.session.execute(
                select(Claim).where(
                    Claim.debtor_id == debtor_id, Claim.status.in_([ClaimStatus.OPEN, ClaimStatus.INSOLVENCY])
                )
            )
        ).scalars()
    )
    publication = state.get("opening_publication_date")
    for claim in claims:
        was_frozen = claim.frozen
        claim.procedure_snapshot = dict(state)
        if state.get("open") and state.get("insolvent"):
            deadline = creance_deadline_for(
                date.fromisoformat(publication) if publication else None,
                insured_in_metropolitan_france=claim.insured_in_metropolitan_france,
            )
            claim.frozen = False
            if claim.status == ClaimStatus.OPEN:
                move(
                    repo,
                    claim,
                    ClaimStatus.INSOLVENCY,
                    kind="insolvency",
                    actor=actor,
                    at=at,
                    procedure=state.get("procedure"),
                    creance_deadline=deadline.isoformat() if deadline else None,
                    opening_missing=bool(state.get("opening_missing")),
                )
                claim.creance_deadline = deadline
                if not was_frozen:
                    _collection_suspended(repo, claim, actor=actor, at=at, deadline=deadline)
            else:
                # A conversion keeps the deadline of the opening.
                record(repo, claim, kind="procedure_changed", actor=actor, at=at, procedure=state.get("procedure"))
        elif state.get("open"):
            claim.frozen = True
            record(repo, claim, kind="frozen", actor=actor, at=at, procedure=state.get("procedure"))
            if not was_frozen:
                _collection_suspended(repo, claim, actor=actor, at=at, deadline=None)
        else:
            claim.frozen = False
            record(repo, claim, kind="procedure_closed", actor=actor, at=at, procedure=state.get("procedure"))
    return len(claims)


def _collection_suspended(
    repo: ClaimRepository, claim: Claim, *, actor: Actor, at: datetime, deadline: date | None
) -> None:
    # Code de commerce L622-21: the opening stays every individual action; the créance is declared instead.
    record(
        repo,
        claim,
        kind="collection_suspended",
        actor=actor,
        at=at,
        creance_deadline=deadline.isoformat() if deadline else None,
    )


@dataclass
class SweepReport:
    on: date
    indemnifiable: int = 0
    forfeited: int = 0


async def sweep(uow: UnitOfWork, *, on: date, actor: Actor, now: datetime) -> SweepReport:
    """Deadlines as of `on`: waiting period over → indemnifiable; créance not filed in time → forfeited.

    Each move is a guarded update (WHERE status = the old status), so two sweeps at once move a claim once.
    """
    report = SweepReport(on=on)
    async with uow:
        repo = ClaimRepository(uow.session, dialect=uow.dialect)
        waiting = select(Claim.id).where(
            Claim.status == ClaimStatus.OPEN, Claim.frozen.is_(False), Claim.waiting_period_end < on
        )
        late = select(Claim.id).where(
            Claim.status == ClaimStatus.INSOLVENCY, Claim.creance_filed_on.is_(None), Claim.creance_deadline < on
        )
        for query, source, target, kind, attribute in (
            (waiting, ClaimStatus.OPEN, ClaimStatus.INDEMNIFIABLE, "loss_established", "indemnifiable"),
            (late, ClaimStatus.INSOLVENCY, ClaimStatus.FORFEITED, "forfeited", "forfeited"),
        ):
            for (claim_id,) in list(await uow.session.execute(query)):
                result = await uow.session.execute(
                    update(Claim)
                    .where(Claim.id == claim_id, Claim.status == source)
                    .values(status=target, version=Claim.version + 1, updated_at=now)
                )
                if result.rowcount != 1:
                    continue
                detail = (
                    {"ground": "protracted_default"}
                    if target == ClaimStatus.INDEMNIFIABLE
                    else {"code": "CREANCE_DEADLINE_MISSED"}
                )
                repo.add(
                    entry(
                        claim_id,
                        kind=kind,
                        actor=actor,
                        at=now,
                        status_from=source,
                        status_to=target,
                        as_of=on.isoformat(),
                        **detail,
                    )
                )
                setattr(report, attribute, getattr(report, attribute) + 1)
        await uow.commit()
    return report


def scheduled_sweep(every_seconds: float) -> Callable[[Any], Awaitable[None]]:
    """The background job: sweep the deadlines as of today, every so often, for as long as the app runs."""

    async def job(app: Any) -> None:
        while True:
            await asyncio.sleep(every_seconds)
            try:
                clock = app.state.clock
                report = await sweep(
                    UnitOfWork(app.state.db), on=clock.today(), actor=Actor("scheduler", None), now=clock.now()
                )
                log.info(
                    "deadline sweep %s: %s indemnifiable, %s forfeited",
                    report.on,
                    report.indemnifiable,
                    report.forfeited,
                )
            except Exception:  # the next run tries again
                log.exception("deadline sweep failed")

    return job


async def record_relief(
    uow: UnitOfWork,
    *,
    claim_id: uuid.UUID,
    requested_on: date,
    granted_on: date,
    filed_on: date,
    amount: Decimal,
    court_officer: str,
    if_match: str | None,
    principal: Principal,
    actor: Actor,
    now: datetime,
) -> Claim:
    """The court lifted the forclusion: the late déclaration de créance counts and the loss is established."""
    async with uow:
        repo = ClaimRepository(uow.session, dialect=uow.dialect)
        claim = await visible_claim(repo, claim_id, principal)
        expected_version(if_match, current=claim.version)
        moved(ClaimStatus(claim.status), ClaimStatus.INDEMNIFIABLE)
        publication = claim.procedure_snapshot.get("opening_publication_date")
        if not relief_in_time(
            requested_on=requested_on, opening_publication_date=date.fromisoformat(publication) if publication else None
        ):
            raise ReliefTooLate(f"Asked on {requested_on}; the opening was published on {publication}.")
        claim.forclusion_relief_on = granted_on
        record(
            repo,
            claim,
            kind="forclusion_relief",
            actor=actor,
            at=now,
            requested_on=requested_on.isoformat(),
            granted_on=granted_on.isoformat(),
            creance_filed_on=filed_on.isoformat(),
            amount=f"{amount:.2f}",
        )
        _creance_counts(repo, claim, filed_on=filed_on, amount=amount, court_officer=court_officer, actor=actor, at=now)
        await uow.commit()
    return claim
