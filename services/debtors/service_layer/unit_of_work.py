"""The debtors service's unit of work: one transaction, and the repository that reads and writes through it."""

from __future__ import annotations

from services.debtors.adapters.repository import Repository
from services.kit.uow import UnitOfWork


class DebtorsUnitOfWork(UnitOfWork):
    debtors: Repository

    def open_repositories(self) -> None:
        self.debtors = Repository(self.session, dialect=self.dialect)
