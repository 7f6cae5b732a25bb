"""Facts that move a claim: payments, extensions, créance filings, withdrawal, procedures, deadlines."""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.claims.adapters.repository import ClaimRepository, ClaimsUnitOfWork
from services.claims.adapters.tables import Claim, PaymentReceived
from services.claims.domain.claim import Actor
from services.claims.domain.errors import ExtensionRefused, OverPayment
from services.claims.domain.invoice import invoice_key
from services.claims.domain.status import PRE_INDEMNITY, ClaimStatus, moved
from services.claims.service_layer.queries import ClaimView, view_of
from services.kit.dates import not_after_today
from services.kit.dependencies import Call, expected_version
from services.kit.errors import InvalidInput
from services.kit.outbox import Outbox

log = logging.getLogger("credit_claims.claims")

CLAIM_CLOSED = "claim.closed.v1"


async def release(repo: ClaimRepository, outbox: Outbox, claim: Claim, *, now: datetime) -> None:
    """The claim is over: cover on the debtor is restored, and its invoices may be declared again unless an indemnity
    paid them (then they stay held, by the unique index of held invoices: an invoice is indemnified once)."""
    indemnity = await repo.indemnity(claim.id)
    if indemnity is None or indemnity.amount <= 0:
        await repo.release_invoices(claim.id)
    await outbox.add(
        repo.session, CLAIM_CLOSED, [{"claim_id": str(claim.id), "closed_on": now.date().isoformat()}], now=now
    )


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
    repo.add(
        claim.record(
            kind="payment_received",
            actor=actor,
            at=now,
            amount=f"{amount:.2f}",
            received_on=received_on.isoformat(),
            unpaid_after=f"{owing - amount:.2f}",
            **detail,
        )
    )
    if amount == owing:
        repo.add(claim.move(ClaimStatus.SETTLED, kind="settled", actor=actor, at=now))
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
        repo.add(
            claim.record(
                kind="due_date_extended",
                actor=actor,
                at=now,
                invoice=invoice.number,
                new_due_date=new_due_date.isoformat(),
            )
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
        repo.add(claim.move(target, kind=target.value, actor=actor, at=now, reason=reason))
        await release(repo, outbox, claim, now=now)
        view = await view_of(repo, claim)
        await uow.commit()
    return view
