"""What the claims service answers about claims: a claim with its invoices, a page of them, a timeline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.claims.adapters.repository import ClaimRepository, ClaimsUnitOfWork
from services.claims.adapters.tables import Claim, ClaimInvoice, Indemnity, TimelineEntry
from services.claims.domain.errors import NotIndemnified
from services.claims.domain.status import ClaimStatus
from services.kit.auth import Principal
from services.kit.pagination import Page, PageRequest, page_of


@dataclass(frozen=True)
class ClaimView:
    """A claim as the API shows it: the claim and its invoices."""

    claim: Claim
    invoices: list[ClaimInvoice]


async def view_of(repo: ClaimRepository, claim: Claim) -> ClaimView:
    """The claim as it stands in this transaction, with its invoices."""
    return ClaimView(claim, await repo.invoices([claim.id]))


async def get_claim(uow: ClaimsUnitOfWork, *, claim_id: uuid.UUID, principal: Principal) -> ClaimView:
    async with uow:
        repo = uow.claims
        return await view_of(repo, await repo.readable_claim(claim_id, principal, for_update=False))


async def list_claims(
    uow: ClaimsUnitOfWork,
    *,
    principal: Principal,
    page: PageRequest,
    status: ClaimStatus | None,
    debtor_id: uuid.UUID | None,
    policy_id: uuid.UUID | None,
) -> Page[ClaimView]:
    async with uow:
        repo = uow.claims
        claims = await repo.page(
            seen_by=principal,
            status=status.value if status else None,
            debtor_id=debtor_id,
            policy_id=policy_id,
            after=page.after_id(),
            limit=page.limit,
        )
        invoices = await repo.invoices([claim.id for claim in claims]) if claims else []
    views = [ClaimView(claim, [item for item in invoices if item.claim_id == claim.id]) for claim in claims]
    return page_of(views, limit=page.limit, key=lambda view: [str(view.claim.id)])


async def timeline(uow: ClaimsUnitOfWork, *, claim_id: uuid.UUID, principal: Principal) -> list[TimelineEntry]:
    async with uow:
        repo = uow.claims
        await repo.readable_claim(claim_id, principal, for_update=False)
        return await repo.timeline(claim_id)


async def indemnity_of(uow: ClaimsUnitOfWork, *, claim_id: uuid.UUID, principal: Principal) -> Indemnity:
    """The claim's indemnity, once paid (409 before)."""
    async with uow:
        repo = uow.claims
        claim = await repo.readable_claim(claim_id, principal, for_update=False)
        found = await repo.indemnity(claim.id)
    if found is None:
        raise NotIndemnified(f"The claim is {claim.status}.")
    return found
