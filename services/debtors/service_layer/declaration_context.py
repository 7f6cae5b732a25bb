"""What a claim declaration reads of a debtor: the debtor, the limits in force, the procedure, in one read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from services.debtors.adapters.policies import PolicyBook
from services.debtors.adapters.repository import DebtorsUnitOfWork
from services.debtors.adapters.tables import Debtor, ProcedureEventRow
from services.debtors.domain.errors import DebtorNotFound
from services.debtors.domain.limits import LimitInForce
from services.debtors.domain.procedures import ProcedureState, state_of
from services.debtors.service_layer.credit_limits import limits_on
from services.debtors.service_layer.procedures import event_of
from services.kit.auth import Principal


@dataclass(frozen=True)
class DeclarationContext:
    debtor: Debtor
    currency: str
    limits: list[LimitInForce]
    procedure: ProcedureState
    history: list[ProcedureEventRow]


async def declaration_context(
    uow: DebtorsUnitOfWork,
    policies: PolicyBook,
    *,
    debtor_id: uuid.UUID,
    policy_id: uuid.UUID,
    dates: Sequence[date],
    principal: Principal,
    authorization: str | None,
) -> DeclarationContext:
    """The same answers as the debtor, limits-in-force and procedure reads, from one transaction."""
    policy = await policies.facts(policy_id, principal=principal, authorization=authorization)
    async with uow:
        repo = uow.debtors
        debtor = await repo.debtor(debtor_id)
        if debtor is None:
            raise DebtorNotFound(f"No debtor {debtor_id}.")
        history = await repo.history(debtor_id)
        procedure = state_of([event_of(row) for row in history])
        limits = await limits_on(
            repo, policy, debtor_id=debtor_id, dates=dates, procedure_opened_on=procedure.opened_on
        )
    return DeclarationContext(debtor, policy.currency, limits, procedure, history)
