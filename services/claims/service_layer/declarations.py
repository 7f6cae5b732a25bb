"""Declaring a default: check the cover with policies and debtors, then open the claim or reject it."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from services.claims.adapters import upstreams
from services.claims.adapters.repository import ClaimRepository
from services.claims.adapters.tables import Claim, ClaimInvoice, TimelineEntry
from services.claims.api.schemas import ClaimDeclaration
from services.claims.domain.creance import creditor_territory
from services.claims.domain.declaration import Reason, limit_reasons, opening_for, procedure_facts
from services.claims.domain.errors import DeclarationRejected, InvoiceAlreadyClaimed
from services.claims.domain.status import ClaimStatus
from services.claims.domain.worklist import next_action
from services.claims.service_layer import collection
from services.claims.service_layer.creance import creance_state, deadline_detail
from services.claims.service_layer.lifecycle import Actor, entry, visible_claim
from services.kit.auth import Principal
from services.kit.errors import AlreadyExists
from services.kit.outbox import Outbox
from services.kit.pagination import Page, PageRequest, page_of
from services.kit.uow import UnitOfWork
from services.kit.upstream import Upstream

CLAIM_OPENED = "claim.opened.v1"


@dataclass(frozen=True)
class ClaimView:
    claim: Claim
    invoices: list[ClaimInvoice]


async def declare(
    uow: UnitOfWork,
    outbox: Outbox,
    *,
    policies: Upstream,
    debtors: Upstream,
    data: ClaimDeclaration,
    principal: Principal,
    authorization: str | None,
    request_id: str | None,
    now: datetime,
) -> ClaimView:
    """201 with the open claim, or a rejection (kept, with every reason) raised as 422."""
    declaration_date = now.date()
    # Everything the decision needs is asked first: nothing is written if a service is down.
    context = await upstreams.declaration_context(
        debtors,
        data.debtor_id,
        data.policy_id,
        [invoice.invoice_date for invoice in data.invoices],
        authorization=authorization,
    )
    debtor, limits, procedure = context["debtor"], context["limits"], context["procedure"]
    cover = await upstreams.cover_check(
        policies,
        data.policy_id,
        {
            "debtor_country": debtor["country"],
            "declaration_date": declaration_date.isoformat(),
            "invoices": [invoice.model_dump(mode="json") for invoice in data.invoices],
        },
        authorization=authorization,
    )
    procedure.pop("history", None)
    terms = cover["terms"]
    creditor = creditor_territory(terms["insured_country"], terms.get("insured_postcode"))
    reasons = [Reason(item["code"], item["detail"], item.get("invoice_number")) for item in cover["reasons"]]
    reasons += limit_reasons(limits["limits"], {invoice.number: invoice.invoice_date for invoice in data.invoices})
    facts = procedure_facts(procedure)
    opening = opening_for(facts, creditor=creditor)
    creance = None if reasons else opening.creance
    deadlines = cover["deadlines"]
    async with uow:
        repo = ClaimRepository(uow.session, dialect=uow.dialect)
        taken = await repo.live_invoice_numbers(
            data.policy_id, data.debtor_id, [invoice.number for invoice in data.invoices]
        )
        if taken:
            raise InvoiceAlreadyClaimed(f"Already in a live claim: {', '.join(taken)}.", invoice_numbers=taken)
        status = ClaimStatus.REJECTED if reasons else opening.status
        claim = Claim(
            insured_id=principal.insured_id or "",
            policy_id=data.policy_id,
            debtor_id=data.debtor_id,
            currency=data.invoices[0].currency,
            status=status,
            frozen=opening.frozen and not reasons,
            declaration_date=declaration_date,
            oldest_due_date=date.fromisoformat(deadlines["oldest_due_date"]),
            declaration_deadline=date.fromisoformat(deadlines["declaration_deadline"]),
            max_extension_end=date.fromisoformat(deadlines["max_extension_end"]),
            waiting_period_end=date.fromisoformat(deadlines["waiting_period_end"]),
            creance_deadline=creance.due if creance else None,
            creance_deadline_legal=creance.legal if creance else None,
            court_seat=facts.court_seat if creance else None,
            creditor_territory=creditor,
            terms=terms,
            cover_snapshot=cover,
            limits_snapshot=limits,
            procedure_snapshot=procedure,
            rejection_reasons=[asdict(reason) for reason in reasons],
            created_at=now,
            updated_at=now,
        )
        repo.add(claim)
        await uow.flush()
        invoices = [
            ClaimInvoice(
                claim_id=claim.id,
                policy_id=data.policy_id,
                debtor_id=data.debtor_id,
                number=invoice.number,
                invoice_date=invoice.invoice_date,
                due_date=invoice.due_date,
                amount=invoice.amount,
                vat_amount=invoice.vat_amount,
                live=not reasons,
            )
            for invoice in data.invoices
        ]
        for invoice in invoices:
            repo.add(invoice)
        source = f"request:{request_id}" if request_id else None
        repo.add(
            entry(
                claim.id,
                kind="declared",
                actor=Actor(principal.client_id, source),
                at=now,
                status_to=ClaimStatus.DECLARED,
                invoices=len(invoices),
            )
        )
        repo.add(
            entry(
                claim.id,
                kind="rejected" if reasons else "opened",
                actor=Actor("cover-check", source),
                at=now,
                status_from=ClaimStatus.DECLARED,
                status_to=status,
                reasons=[reason.code for reason in reasons],
                frozen=claim.frozen,
                **deadline_detail(creance),
            )
        )
        if not reasons:
            await outbox.add(
                uow.session,
                CLAIM_OPENED,
                [
                    {
                        "claim_id": str(claim.id),
                        "policy_id": str(claim.policy_id),
                        "debtor_id": str(claim.debtor_id),
                        "opened_on": declaration_date.isoformat(),
                    }
                ],
                now=now,
            )
        try:
            await uow.commit()
        except AlreadyExists as exc:  # the same invoice declared concurrently
            raise InvoiceAlreadyClaimed("An invoice was declared in another claim at the same time.") from exc
    if reasons:
        raise DeclarationRejected(
            f"Not covered: {', '.join(reason.code for reason in reasons)}.",
            headers={"Location": f"/v1/claims/{claim.id}"},
            claim_id=str(claim.id),
            reasons=[asdict(reason) for reason in reasons],
        )
    return ClaimView(claim, invoices)


async def get_claim(uow: UnitOfWork, *, claim_id: uuid.UUID, principal: Principal) -> ClaimView:
    async with uow:
        repo = ClaimRepository(uow.session, dialect=uow.dialect)
        claim = await visible_claim(repo, claim_id, principal, for_update=False)
        return ClaimView(claim, await repo.invoices([claim.id]))


async def list_claims(
    uow: UnitOfWork,
    *,
    principal: Principal,
    page: PageRequest,
    status: ClaimStatus | None,
    debtor_id: uuid.UUID | None,
    policy_id: uuid.UUID | None,
) -> Page[ClaimView]:
    async with uow:
        repo = ClaimRepository(uow.session, dialect=uow.dialect)
        claims = await repo.page(
            insured_id=principal.scope_insured_id,
            status=status.value if status else None,
            debtor_id=debtor_id,
            policy_id=policy_id,
            after=page.after_id(),
            limit=page.limit,
        )
        invoices = await repo.invoices([claim.id for claim in claims]) if claims else []
    views = [ClaimView(claim, [item for item in invoices if item.claim_id == claim.id]) for claim in claims]
    return page_of(views, limit=page.limit, key=lambda view: [str(view.claim.id)])


async def timeline(uow: UnitOfWork, *, claim_id: uuid.UUID, principal: Principal) -> list[TimelineEntry]:
    async with uow:
        repo = ClaimRepository(uow.session, dialect=uow.dialect)
        await visible_claim(repo, claim_id, principal, for_update=False)
        return await repo.timeline(claim_id)


@dataclass(frozen=True)
class WorkItem:
    claim: Claim
    action: str
    due: date | None
    detail: str
    due_legal: date | None = None


async def worklist(
    uow: UnitOfWork,
    *,
    today: date,
    within_days: int,
    status: ClaimStatus | None,
    debtor_id: uuid.UUID | None,
    policy_id: uuid.UUID | None,
    limit: int,
    collection_rules: dict[str, Any],
) -> list[WorkItem]:
    """Claims needing action, nearest deadline first (unknown deadlines first of all), collection steps beside."""
    waiting = {ClaimStatus.OPEN, ClaimStatus.INSOLVENCY, ClaimStatus.INDEMNIFIABLE, ClaimStatus.FORFEITED}
    statuses = [status] if status in waiting else ([] if status else sorted(waiting))
    async with uow:
        query = select(Claim).where(Claim.status.in_(statuses))
        if debtor_id is not None:
            query = query.where(Claim.debtor_id == debtor_id)
        if policy_id is not None:
            query = query.where(Claim.policy_id == policy_id)
        claims = list((await uow.session.execute(query)).scalars())
        repo = ClaimRepository(uow.session, dialect=uow.dialect)
        steps = await collection.next_steps(repo, claims, settings_rules=collection_rules, today=today)
    horizon = today + timedelta(days=within_days)
    items = []
    for claim in claims:
        found = next_action(
            creance=creance_state(claim),
            frozen=claim.frozen,
            missed=claim.creance_missed_on is not None,
            creance_due_legal=claim.creance_deadline_legal,
            waiting_period_end=claim.waiting_period_end,
            indemnifiable_since=claim.updated_at.date(),
            today=today,
            within_days=within_days,
        )
        if found is not None:
            items.append(WorkItem(claim, found.action, found.due, found.detail, found.due_legal))
        step, suspended = steps.get(claim.id, (None, False))
        # Under a procedure the créance is the work, already listed above.
        if step is not None and not suspended and step.due is not None and step.due <= horizon:
            items.append(WorkItem(claim, f"collection:{step.action}", step.due, step.detail, step.due_legal))
    items.sort(key=lambda item: (item.due is not None, item.due or today, str(item.claim.id)))
    return items[:limit]
