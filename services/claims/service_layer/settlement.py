"""The indemnity, paid exactly once; recoveries shared; closure."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from services.claims.adapters import upstreams
from services.claims.adapters.repository import ClaimRepository, ClaimsUnitOfWork
from services.claims.adapters.tables import Claim, Indemnity, Recovery
from services.claims.domain.claim import Actor
from services.claims.domain.collection.errors import CollectionDutiesUnmet, IndemnityHeldByDispute
from services.claims.domain.collection.next_step import assess_duties
from services.claims.domain.collection.track import fold
from services.claims.domain.errors import NotIndemnified
from services.claims.domain.indemnity import (
    Breakdown,
    Invoice,
    LimitOnDate,
    Reserved,
    Terms,
    check_recovery,
    indemnity_for,
    recovery_split,
    settlement_of,
)
from services.claims.domain.status import ClaimStatus, moved
from services.claims.service_layer.collection import action_of, duty_terms, hold_of, rules_for
from services.kit.dates import not_after_today
from services.kit.dependencies import Call
from services.kit.outbox import Outbox
from services.kit.upstream import Upstream

CLAIM_INDEMNIFIED = "claim.indemnified.v1"
CLAIM_RECOVERY_SHARED = "claim.recovery_shared.v1"


def _limits(claim: Claim) -> dict[date, LimitOnDate]:
    """The limits in force on each invoice date, as the debtors service answered at declaration."""
    return {
        date.fromisoformat(item["on"]): LimitOnDate(Decimal(item["amount"]), cover_stopped=item["stopped"] is not None)
        for item in claim.limits_snapshot["limits"]
    }


def _terms(claim: Claim) -> Terms:
    terms = claim.terms
    return Terms(
        percentage_of_cover=Decimal(terms["percentage_of_cover"]),
        claim_threshold=Decimal(terms["claim_threshold"]),
        deductible=Decimal(terms["deductible"]),
        vat_covered=bool(terms["vat_covered"]),
    )


async def _duties(repo: ClaimRepository, claim: Claim, *, settings_rules: dict[str, Any], today: date) -> str:
    """What holds an indemnity back: a dispute (409), unmet collection duties (422); else how the duties stand."""
    rules = rules_for(claim, settings_rules)
    track = fold([action_of(row) for row in await repo.collection_actions([claim.id])], rules=rules)
    hold = hold_of(claim, track, rules=rules, today=today)
    if hold is not None and hold.reason == "dispute":
        raise IndemnityHeldByDispute(hold.detail, current_status=claim.status)
    if hold is not None:
        raise CollectionDutiesUnmet(hold.detail, unmet_duties=list(hold.unmet))
    required, moot = duty_terms(claim)
    return assess_duties(track, required=required, moot=moot).detail


async def _computed(
    repo: ClaimRepository, claim: Claim, *, settings_rules: dict[str, Any], today: date
) -> tuple[str, list[Invoice], Breakdown]:
    """What an indemnity of this claim comes to before the policy's maximum liability: (duties, invoices, breakdown);
    refused as payment would be (status, dispute, unmet duties)."""
    moved(ClaimStatus(claim.status), ClaimStatus.INDEMNIFIED)
    duties = await _duties(repo, claim, settings_rules=settings_rules, today=today)
    invoices = [
        Invoice(item.number, item.invoice_date, item.due_date, item.amount, item.vat_amount)
        for item in await repo.invoices([claim.id])
    ]
    breakdown = indemnity_for(
        invoices=invoices,
        paid=await repo.paid_so_far(claim.id),
        limits=_limits(claim),
        terms=_terms(claim),
        earlier_cover=await repo.earlier_cover(claim.policy_id, claim.debtor_id, besides=claim.id),
    )
    return duties, invoices, breakdown


@dataclass(frozen=True)
class IndemnityPreview:
    """The indemnity a payment would compute now, before the policy's maximum liability (reserved at payment)."""

    claim_id: uuid.UUID
    currency: str
    eligible_loss: Decimal
    before_maximum_liability: Decimal
    breakdown: list[dict[str, Any]]


async def preview_indemnity(
    uow: ClaimsUnitOfWork, *, claim_id: uuid.UUID, settings_rules: dict[str, Any], call: Call
) -> IndemnityPreview:
    """The indemnity as a payment would compute it now, line by line; nothing is written or reserved."""
    async with uow:
        claim = await uow.claims.readable_claim(claim_id, call.principal, for_update=False)
        duties, _, breakdown = await _computed(uow.claims, claim, settings_rules=settings_rules, today=call.now.date())
    settled = settlement_of(breakdown, duties=duties, reserved=None)
    return IndemnityPreview(
        claim_id=claim.id,
        currency=claim.currency,
        eligible_loss=breakdown.eligible_loss,
        before_maximum_liability=breakdown.indemnity_before_liability,
        breakdown=[asdict(line) | {"amount": f"{line.amount:.2f}"} for line in settled.lines],
    )


async def pay_indemnity(
    uow: ClaimsUnitOfWork,
    outbox: Outbox,
    *,
    policies: Upstream,
    claim_id: uuid.UUID,
    settings_rules: dict[str, Any],
    internal_token: str | None,
    call: Call,
) -> tuple[Indemnity, bool]:
    """Compute and pay once: (indemnity, created). Repeated or concurrent calls get the same payment."""
    principal, actor, now = call.principal, Actor.of(call), call.now
    async with uow:
        repo = uow.claims
        # The claim row is locked (PostgreSQL) or the database write-locked (SQLite) until commit,
        # so a second call waits here and then finds the indemnity paid.
        claim = await repo.readable_claim(claim_id, principal)
        existing = await repo.indemnity(claim.id)
        if existing is not None:
            return existing, False
        duties, invoices, breakdown = await _computed(repo, claim, settings_rules=settings_rules, today=now.date())
        reserved = await _reserve(policies, claim, breakdown, invoices=invoices, internal_token=internal_token)
        settled = settlement_of(breakdown, duties=duties, reserved=reserved)
        indemnity = Indemnity(
            claim_id=claim.id,
            currency=claim.currency,
            eligible_loss=breakdown.eligible_loss,
            before_maximum_liability=breakdown.indemnity_before_liability,
            amount=settled.amount,
            breakdown=[asdict(line) | {"amount": f"{line.amount:.2f}"} for line in settled.lines],
            paid_at=now,
            paid_by=actor.name,
        )
        repo.add(indemnity)
        paid = {"amount": f"{settled.amount:.2f}", "eligible_loss": f"{breakdown.eligible_loss:.2f}"}
        repo.add(claim.move(ClaimStatus.INDEMNIFIED, kind="indemnified", actor=actor, at=now, **paid))
        await outbox.add(uow.session, CLAIM_INDEMNIFIED, [_indemnified(claim, paid["amount"])], now=now)
        await uow.commit()
    return indemnity, True


async def _reserve(
    policies: Upstream, claim: Claim, breakdown: Breakdown, *, invoices: list[Invoice], internal_token: str | None
) -> Reserved | None:
    """The policy's maximum liability reserved for the indemnity (none for an indemnity of 0.00)."""
    amount = breakdown.indemnity_before_liability
    if amount <= 0:
        return None
    reservation = await upstreams.reserve_liability(
        policies,
        claim.policy_id,
        claim_id=claim.id,
        amount=f"{amount:.2f}",
        currency=claim.currency,
        attributable_date=min(item.invoice_date for item in invoices),
        internal_token=internal_token,
    )
    return Reserved(reservation.reserved, reservation.year_start)


def _indemnified(claim: Claim, amount: str) -> dict[str, str]:
    return {
        "claim_id": str(claim.id),
        "insured_id": claim.insured_id,
        "policy_id": str(claim.policy_id),
        "debtor_id": str(claim.debtor_id),
        "amount": amount,
        "currency": claim.currency,
    }


def _shared(claim: Claim, recovery: Recovery) -> dict[str, str]:
    """The recovery_shared event: what partners learn of a recovery and its split."""
    return {
        **_indemnified(claim, f"{recovery.amount:.2f}"),
        "insurer_share": f"{recovery.insurer_share:.2f}",
        "insured_share": f"{recovery.insured_share:.2f}",
        "received_on": recovery.received_on.isoformat(),
    }


async def _split(repo: ClaimRepository, claim: Claim, *, amount: Decimal, received_on: date) -> tuple[Decimal, Decimal]:
    """(insurer, insured) shares of a recovery on this claim, checked against the indemnity and what is owed."""
    indemnity = await repo.indemnity(claim.id)
    if indemnity is None:
        raise NotIndemnified(f"The claim is {claim.status}.", current_status=claim.status)
    insurer_so_far, recovered = await repo.recovered_so_far(claim.id)
    check_recovery(
        amount=amount,
        owed=(await repo.unpaid_by_claim([claim.id]))[claim.id],
        recovered=recovered,
        received_on=received_on,
        indemnified_on=indemnity.paid_at.date(),
    )
    return recovery_split(
        amount=amount,
        indemnity=indemnity.amount,
        eligible_loss=indemnity.eligible_loss,
        insurer_so_far=insurer_so_far,
    )


async def preview_recovery(
    uow: ClaimsUnitOfWork, *, claim_id: uuid.UUID, amount: Decimal, received_on: date, call: Call
) -> tuple[str, Decimal, Decimal]:
    """(currency, insurer, insured): how a recovery would be shared if recorded now; nothing is written."""
    not_after_today(received_on, today=call.now.date(), field="received_on")
    async with uow:
        claim = await uow.claims.readable_claim(claim_id, call.principal, for_update=False)
        insurer, insured = await _split(uow.claims, claim, amount=amount, received_on=received_on)
    return claim.currency, insurer, insured


async def record_recovery(
    uow: ClaimsUnitOfWork,
    outbox: Outbox,
    *,
    claim_id: uuid.UUID,
    amount: Decimal,
    received_on: date,
    origin: str,
    call: Call,
) -> Recovery:
    """A recovery after the indemnity: insurer share = indemnity ÷ eligible loss, the rest to the insured."""
    principal, actor, now = call.principal, Actor.of(call), call.now
    not_after_today(received_on, today=now.date(), field="received_on")
    async with uow:
        repo = uow.claims
        claim = await repo.readable_claim(claim_id, principal)
        # The claim row is locked since it was read: concurrent recoveries are checked one after the other.
        insurer, insured = await _split(repo, claim, amount=amount, received_on=received_on)
        recovery = Recovery(
            claim_id=claim.id,
            amount=amount,
            insurer_share=insurer,
            insured_share=insured,
            received_on=received_on,
            origin=origin,
            recorded_at=now,
            recorded_by=actor.name,
        )
        repo.add(recovery)
        repo.add(
            claim.record(
                kind="recovery",
                actor=actor,
                at=now,
                amount=f"{amount:.2f}",
                insurer_share=f"{insurer:.2f}",
                insured_share=f"{insured:.2f}",
                origin=origin,
            )
        )
        await outbox.add(uow.session, CLAIM_RECOVERY_SHARED, [_shared(claim, recovery)], now=now)
        await uow.commit()
    return recovery
