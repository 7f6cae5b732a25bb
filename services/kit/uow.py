"""Unit of work: one transaction per command; it rolls back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit import idempotency
from services.kit.db import Database
from services.kit.errors import AlreadyExists
from services.kit.outbox import hold_events, write_held_events
from services.kit.tracing import TransactionSpan

# How each driver says a unique constraint refused a row: PostgreSQL's SQLSTATE, SQLite's message.
UNIQUE_VIOLATION_SQLSTATE = "23505"


def is_unique_violation(error: IntegrityError) -> bool:
    """Whether the database refused a row for a unique constraint (not a missing key or a null)."""
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return sqlstate == UNIQUE_VIOLATION_SQLSTATE or "UNIQUE constraint failed" in str(original)


def unique_violations_are_conflicts(error: IntegrityError) -> Exception:
    """The one place a unique violation becomes a 409: a concurrent create lost, never a 500."""
    if is_unique_violation(error):
        return AlreadyExists("Another request created it at the same time; read it, or retry.")
    return error


class PartNotCommitted(RuntimeError):
    """A unit of work taken `within` another left without committing: the other must roll back."""


class UnitOfWork:
    """`async with uow: ...; await uow.commit()` — leaving without commit rolls back.

    A service's unit of work is a subclass that opens its repositories on the session (`open_repositories`):
    handlers use `uow.<repository>` and never build one.
    """

    session: AsyncSession

    def __init__(self, database: Database, *, write: bool = True) -> None:
        self._factory = database.writers if write else database.readers
        self._before_commit = database.before_commit
        self.dialect = database.dialect
        self._committed = False
        self._tracer = database.tracer
        self._write = write
        self._span: TransactionSpan | None = None
        self._outer: UnitOfWork | None = None

    def within(self, outer: UnitOfWork) -> Self:
        """This unit of work as a part of another's open transaction: its commit only flushes, the other commits
        (or rolls back) every part at once. A part that leaves without committing (an event already taken, say)
        raises `PartNotCommitted`: what it may have written cannot be told apart, so the whole is rolled back."""
        self._outer = outer
        return self

    async def __aenter__(self) -> Self:
        if self._outer is not None:
            self.session = self._outer.session
            self._committed = False
            self.open_repositories()
            return self
        if self._tracer is not None:
            self._span = TransactionSpan(self._tracer, system=self.dialect, write=self._write)
        self.session = self._factory()
        self._committed = False
        if self._write:
            hold_events(self.session)
        self.open_repositories()
        return self

    def open_repositories(self) -> None:
        """Build the service's repositories on the new session (a service's unit of work overrides it)."""

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._outer is not None:
            if exc is None and not self._committed:
                raise PartNotCommitted("A part of a shared transaction left without committing.")
            return
        try:
            if not self._committed:
                # Detach first so that objects already read stay readable after the rollback.
                self.session.expunge_all()
                await self.session.rollback()
        finally:
            await self.session.close()
            if self._span is not None:
                self._span.end(committed=self._committed, error=exc)
                self._span = None

    async def commit(self) -> None:
        self._writes()
        if self._outer is not None:
            await self.flush()
            self._committed = True
            return
        if self._before_commit:
            # What the transaction wrote is flushed first, so that the service's hooks read it.
            await self.flush()
            for hook in self._before_commit:
                await hook(self)
        await write_held_events(self.session)
        await idempotency.mark_effect(self.session)
        try:
            await self.session.commit()
        except IntegrityError as error:
            raise unique_violations_are_conflicts(error) from error
        self._committed = True
        idempotency.effect_committed()

    def _writes(self) -> None:
        if not self._write:
            # On PostgreSQL a reader's statements commit one by one: a write there would escape the unit of work.
            raise RuntimeError("A reader's unit of work does not write: take a writer's.")

    async def flush(self) -> None:
        self._writes()
        try:
            await self.session.flush()
        except IntegrityError as error:
            raise unique_violations_are_conflicts(error) from error
