"""Unit of work: one transaction per command; it rolls back unless committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit import idempotency
from services.kit.db import Database


class UnitOfWork:
    """`async with uow: ...; await uow.commit()` — leaving without commit rolls back."""

    session: AsyncSession

    def __init__(self, database: Database, *, write: bool = True) -> None:
        self._factory = database.writers if write else database.readers
        self.dialect = database.dialect
        self._committed = False

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._factory()
        self._committed = False
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if not self._committed:
                # Detach first so that objects already read stay readable after the rollback.
                self.session.expunge_all()
                await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        await idempotency.mark_effect(self.session)
        await self.session.commit()
        self._committed = True
        idempotency.effect_committed()

    async def flush(self) -> None:
        await self.session.flush()
