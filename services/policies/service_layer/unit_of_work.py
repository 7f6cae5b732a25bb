"""The policies service's unit of work: one transaction, and the repository that reads and writes through it."""

from __future__ import annotations

from services.kit.uow import UnitOfWork
from services.policies.adapters.repository import PolicyRepository


class PoliciesUnitOfWork(UnitOfWork):
    policies: PolicyRepository

    def open_repositories(self) -> None:
        self.policies = PolicyRepository(self.session, dialect=self.dialect)
