"""Declaring a default: check the cover with policies and debtors, then open the claim or reject it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.claims.adapters import upstreams
from services.claims.adapters.repository import ClaimRepository, ClaimsUnitOfWork
from services.claims.adapters.tables import Claim, ClaimInvoice
from services.claims.domain.claim import Actor, timeline_line
from services.claims.domain.creance import creditor_territory, deadline_detail
from services.claims.domain.declaration import Reason, limit_reasons, opening_for, procedure_facts
from services.claims.domain.errors import (
    ClaimAlreadyOpen,
    ClaimNotOpenToInvoices,
    DeclarationRejected,
    ExtensionRefused,
    InvoiceAlreadyClaimed,
    InvoicesNotCovered,
)
from services.claims.domain.invoice import invoice_key
from services.claims.domain.status import PRE_INDEMNITY, ClaimStatus
from services.claims.service_layer.queries import ClaimView, view_of
from services.kit.dates import Deadline
from services.kit.dependencies import Call
from services.kit.errors import AlreadyExists, InvalidInput
from services.kit.outbox import Outbox
from services.kit.upstream import Upstream

CLAIM_OPENED = "claim.opened.v1"
CLAIM_REJECTED = "claim.rejected.v1"


@dataclass(frozen=True, slots=True)
class DeclaredInvoice:
    """An unpaid invoice as the insured declares it."""

    number: str
    invoice_date: date
    due_date: date
    amount: Decimal
    vat_amount: Decimal
    currency: str

    def as_json(self) -> dict[str, Any]:
        """The invoice as the policies service's cover check reads it."""
        return {
            "number": self.number,
            "invoice_date": self.invoice_date.isoformat(),
            "due_date": self.due_date.isoformat(),
            "amount": str(self.amount),
            "vat_amount": str(self.vat_amount),
            "currency": self.currency,
        }


@dataclass(frozen=True, slots=True)
class DeclareDefault:
    """A default declared today on one buyer under one policy."""

    policy_id: uuid.UUID
    debtor_id: uuid.UUID
    invoices: tuple[DeclaredInvoice, ...]


async def declare(
    uow: ClaimsUnitOfWork,
    outbox: Outbox,
    *,
    policies: Upstream,
    debtors: Upstream,
    data: DeclareDefault,
    authorization: str | None,
    call: Call,
) -> ClaimView:
    """201 with the open claim, or a rejection (kept, with every reason) raised as 422."""
    principal, now = call.principal, call.now
    # Everything the decision needs is asked first: nothing is written if a service is down.
    on = now.date()
    checked = await _cover(
        policies, debtors, data.policy_id, data.debtor_id, data.invoices, authorization=authorization, on=on
    )
    reasons = checked.reasons
    claim = _new_claim(data, checked, insured_id=principal.insured_id or "", now=now)
    try:
        invoices = await _record_declaration(
            uow, outbox, claim, data.invoices, reasons=reasons, actor=Actor.of(call), now=now
        )
    except AlreadyExists:  # a claim on this buyer, or one of these invoices, was declared at the same time
        await _declared_meanwhile(uow, data.policy_id, data.debtor_id)
    if reasons:
        raise DeclarationRejected(
            f"Not covered: {', '.join(reason.code for reason in reasons)}.",
            headers={"Location": f"/v1/claims/{claim.id}"},
            claim_id=str(claim.id),
            reasons=[asdict(reason) for reason in reasons],
        )
    return ClaimView(claim, invoices)


@dataclass(frozen=True)
class _Checked:
    cover: upstreams.CoverAnswer
    limits: upstreams.LimitsAnswer
    procedure: upstreams.ProcedureAnswer
    reasons: list[Reason]

    def snapshots(self) -> dict[str, dict[str, Any]]:
        """What the claim keeps of the answers, as they were sent (the procedure without its history)."""
        return {
            "cover_snapshot": self.cover.model_dump(mode="json"),
            "limits_snapshot": self.limits.model_dump(mode="json"),
            "procedure_snapshot": self.procedure.model_dump(mode="json", exclude={"history"}),
        }


def _new_claim(data: DeclareDefault, checked: _Checked, *, insured_id: str, now: datetime) -> Claim:
    """The claim a declaration opens (or keeps, rejected, with every reason), as of its day."""
    reasons, snapshots, deadlines = checked.reasons, checked.snapshots(), checked.cover.deadlines
    terms = snapshots["cover_snapshot"]["terms"]
    creditor = creditor_territory(checked.cover.terms.insured_country, terms.get("insured_postcode"))
    facts = procedure_facts(snapshots["procedure_snapshot"])
    opening = opening_for(facts, creditor=creditor)
    creance = None if reasons else opening.creance
    status = ClaimStatus.REJECTED if reasons else opening.status
    return Claim(
        insured_id=insured_id,
        policy_id=data.policy_id,
        debtor_id=data.debtor_id,
        currency=data.invoices[0].currency,
        status=status,
        frozen=opening.frozen and not reasons,
        declaration_date=now.date(),
        oldest_due_date=deadlines.oldest_due_date,
        declaration_deadline=deadlines.declaration_deadline,
        max_extension_end=deadlines.max_extension_end,
        waiting_period_end=deadlines.waiting_period_end,
        creance_deadline=creance.due if creance else None,
        creance_deadline_legal=creance.legal if creance else None,
        court_seat=facts.court_seat if creance else None,
        creditor_territory=creditor,
        terms=terms,
        **snapshots,
        rejection_reasons=[asdict(reason) for reason in reasons],
        created_at=now,
        updated_at=now,
    )


async def _cover(
    policies: Upstream,
    debtors: Upstream,
    policy_id: uuid.UUID,
    debtor_id: uuid.UUID,
    invoices: Sequence[DeclaredInvoice],
    *,
    authorization: str | None,
    on: date,
) -> _Checked:
    """The cover check of these invoices on this buyer, with the limits in force on their dates and its procedure."""
    context = await upstreams.declaration_context(
        debtors, debtor_id, policy_id, [invoice.invoice_date for invoice in invoices], authorization=authorization
    )
    cover = await upstreams.cover_check(
        policies,
        policy_id,
        {
            "debtor_country": context.debtor.country,
            "declaration_date": on.isoformat(),
            "invoices": [invoice.as_json() for invoice in invoices],
        },
        authorization=authorization,
    )
    reasons = [Reason(item.code, item.detail, item.invoice_number) for item in cover.reasons]
    dates = {invoice.number: invoice.invoice_date for invoice in invoices}
    reasons += limit_reasons(context.limits.in_force(), dates)
    return _Checked(cover, context.limits, context.procedure, reasons)


async def _no_live_claim(repo: ClaimRepository, policy_id: uuid.UUID, debtor_id: uuid.UUID) -> None:
    # One live claim per buyer and policy: its limit caps the insurer's whole risk on that buyer.
    live = await repo.live_claim_of(policy_id, debtor_id)
    if live is not None:
        raise ClaimAlreadyOpen(
            f"Claim {live} is live on this buyer: add the invoices to it.",
            headers={"Location": f"/v1/claims/{live}"},
            claim_id=str(live),
        )


async def _declared_meanwhile(uow: ClaimsUnitOfWork, policy_id: uuid.UUID, debtor_id: uuid.UUID) -> None:
    """A concurrent declaration won: say which claim is live, or that an invoice was taken."""
    async with uow:
        await _no_live_claim(uow.claims, policy_id, debtor_id)
    raise InvoiceAlreadyClaimed("An invoice was declared in another claim at the same time.")


async def add_invoices(
    uow: ClaimsUnitOfWork,
    *,
    policies: Upstream,
    debtors: Upstream,
    claim_id: uuid.UUID,
    invoices: Sequence[DeclaredInvoice],
    authorization: str | None,
    call: Call,
) -> ClaimView:
    """More unpaid invoices on the claim's buyer, cover-checked as a declaration is, before the indemnity only."""
    principal, actor, now = call.principal, Actor.of(call), call.now
    async with uow:
        claim = await uow.claims.readable_claim(claim_id, principal, for_update=False)
        policy_id, debtor_id, status, currency = claim.policy_id, claim.debtor_id, claim.status, claim.currency
    if ClaimStatus(status) not in PRE_INDEMNITY:
        raise ClaimNotOpenToInvoices(f"The claim is {status}.", current_status=status)
    if any(invoice.currency != currency for invoice in invoices):
        raise InvalidInput(f"The claim is in {currency}.", code="CURRENCY_MISMATCH")
    checked = await _cover(
        policies, debtors, policy_id, debtor_id, invoices, authorization=authorization, on=now.date()
    )
    if checked.reasons:
        raise InvoicesNotCovered(
            f"Not covered: {', '.join(reason.code for reason in checked.reasons)}.",
            reasons=[asdict(reason) for reason in checked.reasons],
        )
    async with uow:
        repo = uow.claims
        claim = await repo.readable_claim(claim_id, principal)
        if ClaimStatus(claim.status) not in PRE_INDEMNITY:  # paid while the cover was checked
            raise ClaimNotOpenToInvoices(f"The claim is {claim.status}.", current_status=claim.status)
        await _none_held(repo, claim, [invoice.number for invoice in invoices])
        _extensions_still_within(await repo.invoices([claim.id]), checked.cover.deadlines.max_extension_end)
        for invoice in invoices:
            repo.add(_invoice_row(claim, invoice, live=True))
        known = {item["on"] for item in claim.limits_snapshot.get("limits", [])}
        added = [item for item in checked.snapshots()["limits_snapshot"]["limits"] if item["on"] not in known]
        claim.limits_snapshot = {**claim.limits_snapshot, "limits": [*claim.limits_snapshot.get("limits", []), *added]}
        moved = _run_from_the_oldest(claim, checked.cover.deadlines)
        repo.add(
            claim.record(
                kind="invoices_added", actor=actor, at=now, invoices=[invoice.number for invoice in invoices], **moved
            )
        )
        try:
            await uow.flush()
            view = await view_of(repo, claim)
            await uow.commit()
        except AlreadyExists as exc:
            raise InvoiceAlreadyClaimed("An invoice was declared in another claim at the same time.") from exc
    return view


DEADLINES = ("oldest_due_date", "declaration_deadline", "max_extension_end", "waiting_period_end")


def _extensions_still_within(held: Sequence[ClaimInvoice], end: date) -> None:
    """An older invoice brings the maximum extension period's end forward: an extension granted past it refuses it."""
    beyond = [invoice for invoice in held if invoice.extended_due_date is not None and invoice.extended_due_date > end]
    if beyond:
        extended = ", ".join(f"{invoice.number} to {invoice.extended_due_date}" for invoice in beyond)
        raise ExtensionRefused(
            f"Counted from this invoice's due date the maximum extension period ends on {end}; "
            f"already extended past it: {extended}."
        )


def _run_from_the_oldest(claim: Claim, deadlines: upstreams.DeadlinesAnswer) -> dict[str, str]:
    """The claim's deadlines run from its oldest unpaid invoice, an added one too: those that move, as they now are."""
    moved = {}
    for name in DEADLINES:
        day: date = getattr(deadlines, name)
        if day < getattr(claim, name):
            setattr(claim, name, day)
            moved[name] = day.isoformat()
    return moved


def _invoice_row(claim: Claim, invoice: DeclaredInvoice, *, live: bool) -> ClaimInvoice:
    return ClaimInvoice(
        claim_id=claim.id,
        policy_id=claim.policy_id,
        insured_id=claim.insured_id,
        debtor_id=claim.debtor_id,
        number=invoice.number,
        number_key=invoice_key(invoice.number),
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        amount=invoice.amount,
        vat_amount=invoice.vat_amount,
        live=live,
    )


async def _record_declaration(
    uow: ClaimsUnitOfWork,
    outbox: Outbox,
    claim: Claim,
    declared: Sequence[DeclaredInvoice],
    *,
    reasons: list[Reason],
    actor: Actor,
    now: datetime,
) -> list[ClaimInvoice]:
    """The claim, opened or rejected, its invoices and its first timeline lines, in one transaction."""
    async with uow:
        repo = uow.claims
        await _no_live_claim(repo, claim.policy_id, claim.debtor_id)
        await _none_held(repo, claim, [item.number for item in declared])
        repo.add(claim)
        invoices = [_invoice_row(claim, invoice, live=not reasons) for invoice in declared]
        for invoice in invoices:
            repo.add(invoice)
        repo.add(
            timeline_line(
                claim.id, kind="declared", actor=actor, at=now, status_to=ClaimStatus.DECLARED, invoices=len(invoices)
            )
        )
        repo.add(
            timeline_line(
                claim.id,
                kind="rejected" if reasons else "opened",
                actor=Actor("cover-check", actor.source),
                at=now,
                status_from=ClaimStatus.DECLARED,
                status_to=ClaimStatus(claim.status),
                reasons=[reason.code for reason in reasons],
                frozen=claim.frozen,
                **deadline_detail(_deadline_of(claim)),
            )
        )
        about = {
            "claim_id": str(claim.id),
            "insured_id": claim.insured_id,
            "policy_id": str(claim.policy_id),
            "debtor_id": str(claim.debtor_id),
        }
        if reasons:
            rejected = {**about, "reasons": [{"code": reason.code, "detail": reason.detail} for reason in reasons]}
            await outbox.add(uow.session, CLAIM_REJECTED, [rejected], now=now)
        else:
            opened = {**about, "opened_on": claim.declaration_date.isoformat()}
            await outbox.add(uow.session, CLAIM_OPENED, [opened], now=now)
        await uow.commit()
    return invoices


def _deadline_of(claim: Claim) -> Deadline | None:
    if claim.creance_deadline is None:
        return None
    return Deadline(legal=claim.creance_deadline_legal or claim.creance_deadline, due=claim.creance_deadline)


async def _none_held(repo: ClaimRepository, claim: Claim, numbers: list[str]) -> None:
    """Refuse invoices a live claim of the insured holds under any policy, or an indemnity paid, however their
    numbers are written (the unique index settles a race)."""
    taken = await repo.held_invoice_numbers(claim.insured_id, claim.debtor_id, [invoice_key(n) for n in numbers])
    if taken:
        raise InvoiceAlreadyClaimed(
            f"Already in a live claim, or indemnified: {', '.join(taken)}.", invoice_numbers=taken
        )
