"""Declared exposure: the insured's outstanding amount on a debtor, and the accumulation per debtor."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from services.debtors.adapters.policies import PolicyBook, PolicyFacts
from services.debtors.adapters.repository import DebtorsUnitOfWork
from services.debtors.adapters.tables import Exposure
from services.debtors.domain.errors import CurrencyMismatch, DebtorNotFound, ExposureOutdated
from services.debtors.service_layer.commands import ExposureStatement
from services.kit.auth import Principal
from services.kit.dates import not_after_today
from services.kit.errors import AlreadyExists


async def declare_exposure(
    uow: DebtorsUnitOfWork,
    policies: PolicyBook,
    *,
    policy_id: uuid.UUID,
    debtor_id: uuid.UUID,
    data: ExposureStatement,
    principal: Principal,
    authorization: str | None,
    now: datetime,
) -> tuple[Exposure, bool]:
    """Set (not add) the outstanding amount as of a day, never after today nor before the one on record: the same
    PUT twice leaves the same state. (exposure, created)."""
    not_after_today(data.as_of_date, today=now.date(), field="as_of_date")
    policy = await policies.facts(policy_id, principal=principal, authorization=authorization)
    if data.currency != policy.currency:
        raise CurrencyMismatch(f"The policy is in {policy.currency}.")
    try:
        return await _set_exposure(uow, policy, debtor_id=debtor_id, data=data, principal=principal, now=now)
    except AlreadyExists:  # the first PUT on this pair, made twice at once: the other created it, this one updates
        return await _set_exposure(uow, policy, debtor_id=debtor_id, data=data, principal=principal, now=now)


async def _set_exposure(
    uow: DebtorsUnitOfWork,
    policy: PolicyFacts,
    *,
    debtor_id: uuid.UUID,
    data: ExposureStatement,
    principal: Principal,
    now: datetime,
) -> tuple[Exposure, bool]:
    async with uow:
        repo = uow.debtors
        if await repo.debtor(debtor_id) is None:
            raise DebtorNotFound(f"No debtor {debtor_id}.")
        exposure = await repo.exposure(policy.policy_id, debtor_id)
        if exposure is not None and data.as_of_date < exposure.as_of_date:
            raise ExposureOutdated(
                f"The exposure on record is as of {exposure.as_of_date}, after {data.as_of_date}.",
                as_of_date=exposure.as_of_date.isoformat(),
            )
        created = exposure is None
        if exposure is None:
            exposure = Exposure(policy_id=policy.policy_id, debtor_id=debtor_id, insured_id=policy.insured_id)
            repo.add(exposure)
        exposure.amount = data.amount
        exposure.currency = data.currency
        exposure.as_of_date = data.as_of_date
        exposure.updated_at = now
        exposure.updated_by = principal.client_id
        await uow.commit()
    return exposure, created


async def debtor_exposure(
    uow: DebtorsUnitOfWork, *, debtor_id: uuid.UUID, principal: Principal
) -> tuple[list[Exposure], dict[str, Decimal]]:
    """An insured sees its own lines; the back office sees every policy's (the insurer's accumulation)."""
    async with uow:
        repo = uow.debtors
        if await repo.debtor(debtor_id) is None:
            raise DebtorNotFound(f"No debtor {debtor_id}.")
        lines = await repo.exposures_of(debtor_id, seen_by=principal)
    totals: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for line in lines:
        totals[line.currency] += line.amount
    return lines, dict(sorted(totals.items()))
