"""Reads and writes of the debtors database; no commits here (the unit of work commits)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.debtors.adapters.tables import (
    CoverStop,
    CreditLimit,
    CreditLimitRequest,
    CreditLimitVersion,
    Debtor,
    Exposure,
    ProcedureEventRow,
)
from services.debtors.domain.errors import CreditLimitNotFound
from services.debtors.domain.limits import RequestStatus
from services.debtors.domain.procedures import ClosureReason, ProcedureEvent, ProcedureEventKind, ProcedureType
from services.kit.auth import Principal
from services.kit.bulk import insert_many, one_of
from services.kit.statements import insert_unless_present
from services.kit.types import new_id
from services.kit.uow import UnitOfWork

INGESTION_LOCK = 0x0B0DACC  # the debtors database's one advisory lock: BODACC ingestions, one at a time


class Repository:
    def __init__(self, session: AsyncSession, *, dialect: str) -> None:
        self.session = session
        self.dialect = dialect

    def add(self, row: Any) -> None:
        self.session.add(row)

    async def _one(self, statement: Any) -> Any:
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def _all(self, statement: Any) -> list[Any]:
        return list((await self.session.execute(statement)).scalars())

    def _locked(self, statement: Any) -> Any:
        return statement.with_for_update() if self.dialect == "postgresql" else statement

    # debtors

    async def debtor(self, debtor_id: uuid.UUID) -> Debtor | None:
        return await self._one(select(Debtor).where(Debtor.id == debtor_id))

    async def debtor_by_national_id(self, country: str, national_id: str) -> Debtor | None:
        return await self._one(select(Debtor).where(Debtor.country == country, Debtor.national_id == national_id))

    async def debtors_page(
        self,
        *,
        siren: str | None,
        vat_number: str | None,
        name_prefix: str | None,
        country: str | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> list[Debtor]:
        statement = select(Debtor).order_by(Debtor.id).limit(limit + 1)
        if siren:
            statement = statement.where(Debtor.siren == siren)
        if vat_number:
            statement = statement.where(Debtor.vat_number == vat_number)
        if name_prefix:
            escaped = name_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            statement = statement.where(Debtor.name_key.like(f"{escaped}%", escape="\\"))
        if country:
            statement = statement.where(Debtor.country == country)
        if after is not None:
            statement = statement.where(Debtor.id > after)
        return await self._all(statement)

    async def debtor_ids_by_siren(self, sirens: Sequence[str]) -> dict[str, uuid.UUID]:
        if not sirens:
            return {}
        matching = one_of(Debtor.siren, sorted(set(sirens)), dialect=self.dialect)
        rows = await self.session.execute(select(Debtor.siren, Debtor.id).where(matching))
        return {siren: debtor_id for siren, debtor_id in rows}

    # credit limits

    async def credit_limit(self, limit_id: uuid.UUID, *, for_update: bool = False) -> CreditLimit | None:
        statement = select(CreditLimit).where(CreditLimit.id == limit_id)
        return await self._one(self._locked(statement) if for_update else statement)

    async def readable_credit_limit(
        self, limit_id: uuid.UUID, principal: Principal, *, for_update: bool = False
    ) -> CreditLimit:
        """The credit limit if the caller may see it; another insured's limit does not exist for them."""
        line = await self.credit_limit(limit_id, for_update=for_update)
        return principal.readable(line, CreditLimitNotFound(f"No credit limit {limit_id}."))

    async def credit_limit_of(
        self, policy_id: uuid.UUID, debtor_id: uuid.UUID, *, for_update: bool = False
    ) -> CreditLimit | None:
        statement = select(CreditLimit).where(CreditLimit.policy_id == policy_id, CreditLimit.debtor_id == debtor_id)
        return await self._one(self._locked(statement) if for_update else statement)

    async def credit_limits_page(
        self,
        *,
        seen_by: Principal,
        policy_id: uuid.UUID | None,
        debtor_id: uuid.UUID | None,
        pending: bool | None = None,
        after: uuid.UUID | None,
        limit: int,
    ) -> list[CreditLimit]:
        """A page of the credit limits this caller may see (an insured, its own), in id order; `pending`: only those
        with (or without) a request waiting for a decision."""
        statement = select(CreditLimit).order_by(CreditLimit.id).limit(limit + 1)
        if seen_by.scope_insured_id is not None:
            statement = statement.where(CreditLimit.insured_id == seen_by.scope_insured_id)
        if policy_id is not None:
            statement = statement.where(CreditLimit.policy_id == policy_id)
        if debtor_id is not None:
            statement = statement.where(CreditLimit.debtor_id == debtor_id)
        if pending is not None:
            waiting = select(CreditLimitRequest.id).where(
                CreditLimitRequest.credit_limit_id == CreditLimit.id, CreditLimitRequest.status == RequestStatus.PENDING
            )
            statement = statement.where(waiting.exists() if pending else ~waiting.exists())
        if after is not None:
            statement = statement.where(CreditLimit.id > after)
        return await self._all(statement)

    async def requests_of(self, limit_ids: Sequence[uuid.UUID]) -> list[CreditLimitRequest]:
        statement = (
            select(CreditLimitRequest)
            .where(CreditLimitRequest.credit_limit_id.in_(limit_ids))
            .order_by(CreditLimitRequest.requested_at, CreditLimitRequest.id)
        )
        return await self._all(statement)

    async def pending_request(self, limit_id: uuid.UUID) -> CreditLimitRequest | None:
        statement = select(CreditLimitRequest).where(
            CreditLimitRequest.credit_limit_id == limit_id, CreditLimitRequest.status == "pending"
        )
        return await self._one(statement)

    async def versions_of(self, limit_ids: Sequence[uuid.UUID]) -> list[CreditLimitVersion]:
        statement = (
            select(CreditLimitVersion)
            .where(CreditLimitVersion.credit_limit_id.in_(limit_ids))
            .order_by(CreditLimitVersion.effective_date, CreditLimitVersion.recorded_at)
        )
        return await self._all(statement)

    async def cover_stops(self, policy_id: uuid.UUID, debtor_id: uuid.UUID) -> list[tuple[date, date | None]]:
        """When cover stopped for each claim on the debtor under the policy, and when it came back (if it did)."""
        statement = select(CoverStop.stopped_on, CoverStop.restored_on).where(
            CoverStop.policy_id == policy_id, CoverStop.debtor_id == debtor_id
        )
        return [(stopped, restored) for stopped, restored in await self.session.execute(statement)]

    async def cover_stop(self, claim_id: str) -> CoverStop | None:
        return await self._one(select(CoverStop).where(CoverStop.claim_id == claim_id))

    async def stop_cover(self, *, policy_id: uuid.UUID, debtor_id: uuid.UUID, claim_id: str, on: date) -> None:
        """Cover stops on the buyer under the policy from the day the claim opened (once per claim)."""
        row = {"id": new_id(), "policy_id": policy_id, "debtor_id": debtor_id, "claim_id": claim_id, "stopped_on": on}
        await insert_unless_present(self.session, CoverStop.__table__, row, key=["claim_id"])  # type: ignore[arg-type]

    # exposure

    async def exposure(self, policy_id: uuid.UUID, debtor_id: uuid.UUID) -> Exposure | None:
        return await self._one(
            self._locked(select(Exposure).where(Exposure.policy_id == policy_id, Exposure.debtor_id == debtor_id))
        )

    async def exposures_of(self, debtor_id: uuid.UUID, *, seen_by: Principal) -> list[Exposure]:
        """The exposures on a debtor this caller may see (an insured, its own lines)."""
        statement = select(Exposure).where(Exposure.debtor_id == debtor_id).order_by(Exposure.policy_id)
        if seen_by.scope_insured_id is not None:
            statement = statement.where(Exposure.insured_id == seen_by.scope_insured_id)
        return await self._all(statement)

    # procedures

    async def history(self, debtor_id: uuid.UUID) -> list[ProcedureEventRow]:
        statement = (
            select(ProcedureEventRow)
            .where(ProcedureEventRow.debtor_id == debtor_id)
            .order_by(ProcedureEventRow.judgment_date, ProcedureEventRow.recorded_at)
        )
        return await self._all(statement)

    async def histories(self, debtor_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[ProcedureEvent]]:
        """Procedure histories of many debtors, read as plain events (no ORM objects: ingestion is batched)."""
        t = ProcedureEventRow.__table__
        columns = (
            t.c.debtor_id,
            t.c.procedure,
            t.c.event,
            t.c.judgment_date,
            t.c.publication_date,
            t.c.court,
            t.c.closure_reason,
            t.c.simplified,
            t.c.court_seat,
        )
        found: dict[uuid.UUID, list[ProcedureEvent]] = {debtor_id: [] for debtor_id in debtor_ids}
        if not debtor_ids:
            return found
        rows = await self.session.execute(
            select(*columns).where(one_of(t.c.debtor_id, debtor_ids, dialect=self.dialect))
        )
        for debtor_id, procedure, event, judged, published, court, closure, simplified, seat in rows:
            found[debtor_id].append(
                ProcedureEvent(
                    procedure=ProcedureType(procedure),
                    event=ProcedureEventKind(event),
                    judgment_date=judged,
                    publication_date=published,
                    court=court,
                    closure_reason=ClosureReason(closure) if closure else None,
                    simplified=simplified,
                    court_seat=seat,
                )
            )
        return found

    async def known_announcements(self, announcement_ids: Sequence[str]) -> set[str]:
        if not announcement_ids:
            return set()
        matching = one_of(ProcedureEventRow.announcement_id, announcement_ids, dialect=self.dialect)
        return {
            value for (value,) in await self.session.execute(select(ProcedureEventRow.announcement_id).where(matching))
        }

    async def take_ingestion_turn(self) -> None:
        """Wait for any other BODACC ingestion to commit first (another replica's included), so that what this one
        reads as already recorded is the truth and an announcement is published once. SQLite writers already
        take turns."""
        if self.dialect == "postgresql":
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INGESTION_LOCK})

    async def insert_events(self, rows: list[dict[str, Any]]) -> None:
        """Batched insert; an announcement already recorded (a concurrent ingestion) is skipped."""
        connection = await self.session.connection()
        await insert_many(connection, ProcedureEventRow.__table__, rows, skip_conflicts_on=["announcement_id"])

    async def insert_event(self, row: dict[str, Any]) -> None:
        await self.session.execute(insert(ProcedureEventRow.__table__), [row])

    async def link_pending_events(self, siren: str, debtor_id: uuid.UUID) -> None:
        await self.session.execute(
            update(ProcedureEventRow)
            .where(and_(ProcedureEventRow.siren == siren, ProcedureEventRow.debtor_id.is_(None)))
            .values(debtor_id=debtor_id)
        )


class DebtorsUnitOfWork(UnitOfWork):
    """One transaction of the debtors service, and the repository that reads and writes through it."""

    debtors: Repository

    def open_repositories(self) -> None:
        self.debtors = Repository(self.session, dialect=self.dialect)
