"""Reads and writes of policies and reservations; no commits here (the unit of work commits)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.auth import Principal
from services.kit.types import ExactDecimal
from services.kit.uow import UnitOfWork
from services.policies.adapters.tables import LiabilityReservation, Policy
from services.policies.domain.errors import PolicyNotFound


class PolicyRepository:
    def __init__(self, session: AsyncSession, *, dialect: str) -> None:
        self.session = session
        self.dialect = dialect

    async def get(self, policy_id: uuid.UUID, *, for_update: bool = False) -> Policy | None:
        statement = select(Policy).where(Policy.id == policy_id)
        if for_update and self.dialect == "postgresql":
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def readable(self, policy_id: uuid.UUID, principal: Principal, *, for_update: bool = False) -> Policy:
        """The policy if the caller may see it; another insured's policy does not exist for them."""
        policy = await self.get(policy_id, for_update=for_update)
        return principal.readable(policy, PolicyNotFound(f"No policy {policy_id}."))

    async def by_number(self, number: str) -> Policy | None:
        return (await self.session.execute(select(Policy).where(Policy.number == number))).scalar_one_or_none()

    async def page(
        self,
        *,
        seen_by: Principal,
        insured_id: str | None,
        status: str | None,
        number: str | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> list[Policy]:
        """A page of the policies this caller may see (an insured, its own: another's id finds none), in id order."""
        scope = seen_by.scope_insured_id
        if scope is not None and insured_id not in (None, scope):
            return []
        insured_id = scope or insured_id
        statement = select(Policy).order_by(Policy.id).limit(limit + 1)
        if insured_id is not None:
            statement = statement.where(Policy.insured_id == insured_id)
        if status is not None:
            statement = statement.where(Policy.status == status)
        if number is not None:
            statement = statement.where(Policy.number == number)
        if after is not None:
            statement = statement.where(Policy.id > after)
        return list((await self.session.execute(statement)).scalars())

    def add(self, row: Policy | LiabilityReservation) -> None:
        self.session.add(row)

    async def reservation(self, policy_id: uuid.UUID, claim_id: str) -> LiabilityReservation | None:
        statement = select(LiabilityReservation).where(
            LiabilityReservation.policy_id == policy_id, LiabilityReservation.claim_id == claim_id
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def consumed(self, policy_id: uuid.UUID, year_start: date) -> Decimal:
        total = type_coerce(func.coalesce(func.sum(LiabilityReservation.reserved), 0), ExactDecimal(2))
        statement = select(total).where(
            LiabilityReservation.policy_id == policy_id, LiabilityReservation.year_start == year_start
        )
        return (await self.session.execute(statement)).scalar_one()

    async def reservations_count(self, policy_id: uuid.UUID, year_start: date) -> int:
        statement = select(func.count()).where(
            LiabilityReservation.policy_id == policy_id, LiabilityReservation.year_start == year_start
        )
        return int((await self.session.execute(statement)).scalar_one())


class PoliciesUnitOfWork(UnitOfWork):
    """One transaction of the policies service, and the repository that reads and writes through it."""

    policies: PolicyRepository

    def open_repositories(self) -> None:
        self.policies = PolicyRepository(self.session, dialect=self.dialect)
