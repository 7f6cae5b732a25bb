"""Policies commands and queries: one command, one transaction."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from services.kit.auth import Principal
from services.kit.dependencies import expected_version
from services.kit.errors import AlreadyExists
from services.kit.pagination import Page, PageRequest, page_of
from services.policies.adapters.repository import PoliciesUnitOfWork
from services.policies.adapters.tables import LiabilityReservation, Policy
from services.policies.domain.cover import CoverDecision, CoverTerms, cover_decision
from services.policies.domain.errors import (
    CurrencyMismatch,
    PolicyNotFound,
    PolicyNumberTaken,
    ReservationDiffers,
    TermsLocked,
)
from services.policies.domain.liability import remaining_liability, reservable_amount
from services.policies.domain.policy import PolicyStatus, changed_status, check_period, insurance_year
from services.policies.service_layer.commands import CoverQuestion, NewPolicy, PolicyChanges, Reservation


async def create_policy(uow: PoliciesUnitOfWork, *, data: NewPolicy, actor: Principal, now: datetime) -> Policy:
    check_period(data.start_date, data.end_date)
    async with uow:
        repo = uow.policies
        if await repo.by_number(data.number) is not None:
            raise PolicyNumberTaken(f"Policy number {data.number} is taken.")
        policy = Policy(
            number=data.number,
            insured_id=data.insured_id,
            insured_name=data.insured_name,
            insured_country=data.insured_country,
            insured_postcode=data.insured_postcode,
            currency=data.currency,
            start_date=data.start_date,
            end_date=data.end_date,
            **data.terms,
            collection=data.collection,
            status=PolicyStatus.DRAFT,
            created_at=now,
            created_by=actor.client_id,
            updated_at=now,
            updated_by=actor.client_id,
        )
        repo.add(policy)
        try:
            await uow.commit()
        except AlreadyExists as exc:  # the same number created concurrently
            raise PolicyNumberTaken(f"Policy number {data.number} is taken.") from exc
    return policy


async def get_policy(uow: PoliciesUnitOfWork, *, policy_id: uuid.UUID, principal: Principal) -> Policy:
    async with uow:
        return await uow.policies.readable(policy_id, principal)


async def list_policies(
    uow: PoliciesUnitOfWork,
    *,
    principal: Principal,
    page: PageRequest,
    insured_id: str | None,
    status: PolicyStatus | None,
    number: str | None,
) -> Page[Policy]:
    async with uow:
        rows = await uow.policies.page(
            seen_by=principal,
            insured_id=insured_id,
            status=status.value if status else None,
            number=number,
            after=page.after_id(),
            limit=page.limit,
        )
    return page_of(rows, limit=page.limit, key=lambda policy: [str(policy.id)])


async def update_policy(
    uow: PoliciesUnitOfWork,
    *,
    policy_id: uuid.UUID,
    changes: PolicyChanges,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> Policy:
    async with uow:
        policy = await uow.policies.readable(policy_id, actor, for_update=True)
        expected_version(if_match, current=policy.version)
        status = changes.status
        if changes.beyond_status and policy.status != PolicyStatus.DRAFT:
            raise TermsLocked(
                f"The policy is {policy.status}; only its status can change.", current_status=policy.status
            )
        for field, value in (changes.terms or {}).items():
            if field == "covered_countries":
                value = sorted(set(value))
            elif field == "collection":  # merged, as a JSON merge patch would
                value = {**policy.collection, **value}
            setattr(policy, field, value)
        for field, value in changes.fields.items():
            setattr(policy, field, value)
        check_period(policy.start_date, policy.end_date)
        if status is not None:
            policy.status = changed_status(PolicyStatus(policy.status), PolicyStatus(status))
        # The row is locked (PostgreSQL) or the database write-locked (SQLite) since
        # the read, so the version compared above is still current here.
        policy.version += 1
        policy.updated_at = now
        policy.updated_by = actor.client_id
        await uow.commit()
    return policy


def _cover_terms(policy: Policy) -> CoverTerms:
    return CoverTerms(
        status=PolicyStatus(policy.status),
        start_date=policy.start_date,
        end_date=policy.end_date,
        currency=policy.currency,
        covered_countries=frozenset(policy.covered_countries),
        max_credit_period_days=policy.max_credit_period_days,
        max_extension_days=policy.max_extension_days,
        notification_deadline_days=policy.notification_deadline_days,
        waiting_period_days=policy.waiting_period_days,
    )


async def check_cover(
    uow: PoliciesUnitOfWork, *, policy_id: uuid.UUID, request: CoverQuestion, principal: Principal, today: date
) -> tuple[Policy, date, CoverDecision]:
    async with uow:
        policy = await uow.policies.readable(policy_id, principal)
    declaration_date = request.declaration_date or today
    decision = cover_decision(
        _cover_terms(policy),
        debtor_country=request.debtor_country,
        invoices=list(request.invoices),
        declaration_date=declaration_date,
    )
    return policy, declaration_date, decision


async def reserve_liability(
    uow: PoliciesUnitOfWork, *, policy_id: uuid.UUID, request: Reservation, by: str, now: datetime
) -> tuple[LiabilityReservation, bool]:
    """Reserve up to the requested amount for one claim; (reservation, created). Idempotent by claim id."""
    async with uow:
        repo = uow.policies
        # The policy row lock serialises reservations of one policy on PostgreSQL;
        # SQLite writers are serialised by BEGIN IMMEDIATE.
        policy = await repo.get(policy_id, for_update=True)
        if policy is None:
            raise PolicyNotFound(f"No policy {policy_id}.")
        existing = await repo.reservation(policy.id, request.claim_id)
        if existing is not None:
            if existing.requested != request.amount or existing.currency != request.currency:
                raise ReservationDiffers(
                    f"Claim {request.claim_id} already reserved {existing.reserved} of {existing.requested} requested."
                )
            return existing, False
        if request.currency != policy.currency:
            raise CurrencyMismatch(f"The policy is in {policy.currency}.")
        year_start, year_end = insurance_year(
            start=policy.start_date, end=policy.end_date, on=request.attributable_date
        )
        consumed = await repo.consumed(policy.id, year_start)
        reservation = LiabilityReservation(
            policy_id=policy.id,
            claim_id=request.claim_id,
            year_start=year_start,
            year_end=year_end,
            currency=policy.currency,
            requested=request.amount,
            reserved=reservable_amount(requested=request.amount, max_liability=policy.max_liability, consumed=consumed),
            created_at=now,
            created_by=by,
        )
        repo.add(reservation)
        await uow.commit()
    return reservation, True


async def liability_of(
    uow: PoliciesUnitOfWork, *, policy_id: uuid.UUID, on: date, principal: Principal
) -> dict[str, object]:
    async with uow:
        repo = uow.policies
        policy = await repo.readable(policy_id, principal)
        year_start, year_end = insurance_year(start=policy.start_date, end=policy.end_date, on=on)
        consumed = await repo.consumed(policy.id, year_start)
        count = await repo.reservations_count(policy.id, year_start)
    return {
        "policy_id": policy.id,
        "currency": policy.currency,
        "year_start": year_start,
        "year_end": year_end,
        "max_liability": policy.max_liability,
        "consumed": consumed,
        "remaining": remaining_liability(max_liability=policy.max_liability, consumed=consumed),
        "reservations": count,
    }
