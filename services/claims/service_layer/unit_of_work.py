"""The claims service's unit of work: one transaction, and the repository that reads and writes through it."""

from __future__ import annotations

from services.claims.adapters.repository import ClaimRepository
from services.kit.uow import UnitOfWork


class ClaimsUnitOfWork(UnitOfWork):
    claims: ClaimRepository

    def open_repositories(self) -> None:
        self.claims = ClaimRepository(self.session, dialect=self.dialect)
