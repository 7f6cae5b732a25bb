"""Reads and writes of the claims database; no commits here (the unit of work commits)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    tuple_,
    type_coerce,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from services.claims.adapters.tables import (
    HELD,
    LIVE_STATUSES,
    WORK_ORDER,
    Claim,
    ClaimInvoice,
    CollectionAction,
    DeadlineNotice,
    DebtorProcedure,
    Indemnity,
    PaymentReceived,
    Recovery,
    TimelineEntry,
    WorkBasis,
    WorkItem,
)
from services.claims.domain.claim import TimelineLine
from services.claims.domain.errors import ClaimNotFound
from services.claims.domain.status import ClaimStatus
from services.kit.auth import Principal
from services.kit.types import ExactDecimal
from services.kit.uow import UnitOfWork

CHANGED = "claims.changed"
MOVES = "claims.moves"
OPENED = "claims.opened"


def changed_claims(session: AsyncSession) -> set[uuid.UUID]:
    """The claims this transaction changed so far (each wrote a line of its timeline)."""
    changed: set[uuid.UUID] = session.info.setdefault(CHANGED, set())
    return changed


def opened_claims(session: AsyncSession) -> dict[uuid.UUID, Decimal]:
    """The claims this transaction opened, each with the sum of its invoices: nothing of them is stored before it.

    Their worklist rows are worked out from that alone (no collection action, payment or old row to read); a claim
    given anything else in the same transaction leaves the map and is read like any other."""
    opened: dict[uuid.UUID, Decimal] = session.info.setdefault(OPENED, {})
    return opened


def status_moves(session: AsyncSession) -> list[TimelineEntry]:
    """The timeline lines of this transaction that moved a claim from one status to another."""
    moves: list[TimelineEntry] = session.info.setdefault(MOVES, [])
    return moves


def _timeline_entry(line: TimelineLine) -> TimelineEntry:
    return TimelineEntry(
        claim_id=line.claim_id,
        at=line.at,
        actor=line.actor.name,
        kind=line.kind,
        status_from=line.status_from,
        status_to=line.status_to,
        source=line.actor.source,
        detail=line.detail,
    )


class ClaimRepository:
    def __init__(self, session: AsyncSession, *, dialect: str) -> None:
        self.session = session
        self.dialect = dialect

    def add(self, row: Any) -> None:
        if isinstance(row, TimelineLine):
            row = _timeline_entry(row)
        self._note_opened(row)
        self.session.add(row)
        if isinstance(row, TimelineEntry):
            # Every change of a claim writes its timeline: that is where the claim is known to have changed.
            changed_claims(self.session).add(row.claim_id)
            if row.status_from is not None and row.status_to not in (None, row.status_from):
                status_moves(self.session).append(row)

    def _note_opened(self, row: Any) -> None:
        opened = opened_claims(self.session)
        if isinstance(row, Claim):
            if row not in self.session:
                opened[row.id] = Decimal(0)
        elif isinstance(row, ClaimInvoice) and row.claim_id in opened:
            opened[row.claim_id] += row.amount
        elif not isinstance(row, TimelineEntry) and getattr(row, "claim_id", None) in opened:
            del opened[row.claim_id]

    def _stored(self, claim_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
        """Those of these claims that were stored before this transaction."""
        opened = self.session.info.get(OPENED, {})
        return [claim_id for claim_id in claim_ids if claim_id not in opened]

    async def claim(self, claim_id: uuid.UUID, *, for_update: bool = False) -> Claim | None:
        statement = select(Claim).where(Claim.id == claim_id)
        if for_update and self.dialect == "postgresql":
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def debtor_procedure(self, debtor_id: uuid.UUID) -> DebtorProcedure | None:
        """The debtor's procedure as the last event applied said it."""
        statement = select(DebtorProcedure).where(DebtorProcedure.debtor_id == debtor_id)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def readable_claim(self, claim_id: uuid.UUID, principal: Principal, *, for_update: bool = True) -> Claim:
        """The claim if the caller may see it, locked to change it; another insured's claim does not exist for them."""
        return principal.readable(
            await self.claim(claim_id, for_update=for_update), ClaimNotFound(f"No claim {claim_id}.")
        )

    async def live_claims_of_debtor(self, debtor_id: uuid.UUID, *, statuses: Iterable[str]) -> list[Claim]:
        """The debtor's claims in these statuses, locked in id order (as every transaction locking several claims
        does, so that two never wait on each other): a change made meanwhile is read, never overwritten."""
        statement = (
            select(Claim).where(Claim.debtor_id == debtor_id, Claim.status.in_(sorted(statuses))).order_by(Claim.id)
        )
        if self.dialect == "postgresql":
            statement = statement.with_for_update()
        return list((await self.session.execute(statement.execution_options(populate_existing=True))).scalars())

    @staticmethod
    def due_on(on: date) -> tuple[Any, Any, Any]:
        """What a sweep as of a day selects: claims whose waiting period ended (open, not frozen), whose créance
        deadline passed unfiled in an RJ/LJ (late), and those where the miss is only recorded (missed)."""
        # The relief's deadline, once granted, replaces the opening's.
        due = func.coalesce(Claim.relief_deadline, Claim.creance_deadline)
        unfiled = and_(Claim.creance_filed_on.is_(None), due < on)
        waiting = and_(Claim.status == ClaimStatus.OPEN, Claim.frozen.is_(False), Claim.waiting_period_end < on)
        late = and_(Claim.status == ClaimStatus.INSOLVENCY, unfiled)
        missed = and_(
            or_(Claim.status == ClaimStatus.OPEN, Claim.status == ClaimStatus.FORFEITED),
            Claim.creance_missed_on.is_(None),
            unfiled,
        )
        return waiting, late, missed

    async def lock_claims(self, *conditions: Any) -> list[uuid.UUID]:
        """The ids of the claims meeting any of these conditions, locked in id order."""
        statement = select(Claim.id).where(or_(*conditions)).order_by(Claim.id)
        if self.dialect == "postgresql":
            statement = statement.with_for_update()
        return list((await self.session.execute(statement)).scalars())

    async def claims_meeting(self, condition: Any) -> list[tuple[uuid.UUID, str, datetime]]:
        """(id, status, last change) of the claims meeting a condition, in id order."""
        statement = select(Claim.id, Claim.status, Claim.updated_at).where(condition).order_by(Claim.id)
        return [(claim_id, status, at) for claim_id, status, at in await self.session.execute(statement)]

    async def guarded_update(self, claim_id: uuid.UUID, condition: Any, *, now: datetime, **values: Any) -> bool:
        """Change the claim only if it still meets the condition it was selected by; whether it did."""
        statement = (
            update(Claim)
            .where(Claim.id == claim_id, condition)
            .values(version=Claim.version + 1, updated_at=now, **values)
        )
        result: Any = await self.session.execute(statement)
        return bool(result.rowcount == 1)

    async def live_claim_of(self, policy_id: uuid.UUID, debtor_id: uuid.UUID) -> uuid.UUID | None:
        """The claim live on this buyer under this policy, if any (there is at most one)."""
        live: uuid.UUID | None = (await self.session.execute(live_claim_query(policy_id, debtor_id))).scalar()
        return live

    async def earlier_cover(
        self, policy_id: uuid.UUID, debtor_id: uuid.UUID, *, besides: uuid.UUID
    ) -> list[tuple[date, Decimal]]:
        """What the paid indemnities of other claims on this buyer covered, by the day each claim was declared."""
        statement = (
            select(Claim.declaration_date, Indemnity.eligible_loss)
            .join(Claim, Claim.id == Indemnity.claim_id)
            .where(Claim.policy_id == policy_id, Claim.debtor_id == debtor_id, Claim.id != besides)
            .where(Indemnity.amount > 0)
        )
        return [(declared, covered) for declared, covered in await self.session.execute(statement)]

    async def recovered_so_far(self, claim_id: uuid.UUID) -> tuple[Decimal, Decimal]:
        """(the insurer's share, the whole) of what was recovered on the claim."""
        totals = select(
            type_coerce(func.coalesce(func.sum(Recovery.insurer_share), 0), ExactDecimal(2)),
            type_coerce(func.coalesce(func.sum(Recovery.amount), 0), ExactDecimal(2)),
        ).where(Recovery.claim_id == claim_id)
        insurer, whole = (await self.session.execute(totals)).one()
        return insurer, whole

    async def paid_so_far(self, claim_id: uuid.UUID) -> Decimal:
        """What the debtor paid on the claim before any indemnity."""
        total = type_coerce(func.coalesce(func.sum(PaymentReceived.amount), 0), ExactDecimal(2))
        paid: Decimal = (
            await self.session.execute(select(total).where(PaymentReceived.claim_id == claim_id))
        ).scalar_one()
        return paid

    async def release_invoices(self, claim_id: uuid.UUID) -> None:
        """The claim's invoices are no longer held: they may be declared again."""
        await self.session.execute(update(ClaimInvoice).where(ClaimInvoice.claim_id == claim_id).values(live=False))

    async def invoices(self, claim_ids: Sequence[uuid.UUID]) -> list[ClaimInvoice]:
        statement = (
            select(ClaimInvoice)
            .where(ClaimInvoice.claim_id.in_(claim_ids))
            .order_by(ClaimInvoice.due_date, ClaimInvoice.invoice_date, ClaimInvoice.number)
        )
        return list((await self.session.execute(statement)).scalars())

    async def held_invoice_numbers(self, insured_id: str, debtor_id: uuid.UUID, keys: Sequence[str]) -> list[str]:
        """The numbers, as held, of the insured's invoices on the buyer with these keys that a claim holds."""
        statement = held_invoices_query(insured_id, debtor_id, keys)
        return sorted(number for (number,) in await self.session.execute(statement))

    async def page(
        self,
        *,
        seen_by: Principal,
        status: str | None,
        debtor_id: uuid.UUID | None,
        policy_id: uuid.UUID | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> list[Claim]:
        """A page of the claims this caller may see (an insured, its own), in id order."""
        statement = select(Claim).order_by(Claim.id).limit(limit + 1)
        for column, value in (
            (Claim.insured_id, seen_by.scope_insured_id),
            (Claim.status, status),
            (Claim.debtor_id, debtor_id),
            (Claim.policy_id, policy_id),
        ):
            if value is not None:
                statement = statement.where(column == value)
        if after is not None:
            statement = statement.where(Claim.id > after)
        return list((await self.session.execute(statement)).scalars())

    async def indemnity(self, claim_id: uuid.UUID) -> Indemnity | None:
        statement = select(Indemnity).where(Indemnity.claim_id == claim_id)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def timeline(self, claim_id: uuid.UUID) -> list[TimelineEntry]:
        statement = (
            select(TimelineEntry).where(TimelineEntry.claim_id == claim_id).order_by(TimelineEntry.at, TimelineEntry.id)
        )
        return list((await self.session.execute(statement)).scalars())

    async def collection_actions(self, claim_ids: Sequence[uuid.UUID]) -> list[CollectionAction]:
        """The collection actions of these claims in the order they were recorded."""
        stored = self._stored(claim_ids)
        if not stored:
            return []
        statement = select(CollectionAction).where(CollectionAction.claim_id.in_(stored)).order_by(CollectionAction.id)
        return list((await self.session.execute(statement)).scalars())

    async def unpaid_by_claim(self, claim_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Decimal]:
        """What each claim's debtor still owes: its invoices less the payments received (one statement)."""

        def total(table: Any) -> Any:
            summed = select(func.coalesce(func.sum(table.amount), 0)).where(table.claim_id == Claim.id)
            return type_coerce(summed.scalar_subquery(), ExactDecimal(2))

        opened = self.session.info.get(OPENED, {})
        unpaid = {claim_id: opened[claim_id] for claim_id in claim_ids if claim_id in opened}
        stored = self._stored(claim_ids)
        if stored:
            statement = select(Claim.id, total(ClaimInvoice), total(PaymentReceived)).where(Claim.id.in_(stored))
            unpaid |= {claim_id: owed - paid for claim_id, owed, paid in await self.session.execute(statement)}
        return unpaid

    async def claims_as_stored(self, claim_ids: Sequence[uuid.UUID]) -> list[Claim]:
        """These claims as the transaction has written them so far: those it holds as they are, the others read.

        (Changes go through the ORM, whose UPDATE statements keep the objects it holds in step.)"""
        held = {claim_id: self.session.identity_map.get(identity_key(Claim, claim_id)) for claim_id in claim_ids}
        claims = [claim for claim in held.values() if isinstance(claim, Claim)]
        missing = [claim_id for claim_id, claim in held.items() if claim is None]
        if missing:
            claims += list((await self.session.execute(select(Claim).where(Claim.id.in_(missing)))).scalars())
        return claims

    async def indemnifiable_since(self, claim_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, date]:
        """The day each claim last became indemnifiable, from its timeline: the day a sweep ran as of, if one did."""
        statement = (
            select(TimelineEntry.claim_id, TimelineEntry.at, TimelineEntry.detail)
            .where(TimelineEntry.claim_id.in_(claim_ids), TimelineEntry.status_to == "indemnifiable")
            .order_by(TimelineEntry.at)
        )
        since: dict[uuid.UUID, date] = {}
        for claim_id, at, detail in await self.session.execute(statement):
            as_of = detail.get("as_of") if isinstance(detail, dict) else None
            since[claim_id] = date.fromisoformat(as_of) if isinstance(as_of, str) else at.date()
        return since

    async def replace_work_items(self, claim_ids: Sequence[uuid.UUID], rows: list[dict[str, Any]]) -> None:
        stored = self._stored(claim_ids)
        if stored:
            await self.session.execute(delete(WorkItem).where(WorkItem.claim_id.in_(stored)))
        if rows:
            await self.session.execute(insert(WorkItem), rows)

    async def work_basis(self, name: str) -> WorkBasis | None:
        return await self.session.get(WorkBasis, name)

    async def work_out_again(self) -> None:
        """Every claim's rows are to be worked out again (at the next catch-up)."""
        worked = Claim.work_as_of.is_not(None)
        await self.lock_claims(worked)
        await self.session.execute(update(Claim).where(worked).values(work_as_of=None))

    async def any_behind(self, today: date) -> bool:
        return (await self.session.execute(select(Claim.id).where(_behind(today)).limit(1))).first() is not None

    async def behind(self, today: date, *, after: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
        """Claims whose worklist rows do not hold today, by id, locked. A claim another transaction holds is waited
        for, then left out if that transaction brought its rows up to date: a read that catches up never answers
        before a catch-up running beside it has committed."""
        statement = select(Claim.id).where(_behind(today)).order_by(Claim.id).limit(limit)
        if after is not None:
            statement = statement.where(Claim.id > after)
        if self.dialect == "postgresql":
            statement = statement.with_for_update()
        return list((await self.session.execute(statement)).scalars())

    async def work_page(
        self,
        *,
        due_by: date,
        status: str | None,
        debtor_id: uuid.UUID | None,
        policy_id: uuid.UUID | None,
        insured_id: str | None = None,
        action: str | None = None,
        after: tuple[date, uuid.UUID, str] | None,
        limit: int,
    ) -> list[WorkItem]:
        """Worklist rows due by a day (or of unknown date), in deadline order from a row on: one index range."""
        order = [getattr(WorkItem, column) for column in WORK_ORDER]
        statement = select(WorkItem).where(WorkItem.sort_due <= due_by)
        for column, wanted in (
            (WorkItem.status, status),
            (WorkItem.debtor_id, debtor_id),
            (WorkItem.policy_id, policy_id),
            (WorkItem.insured_id, insured_id),
            (WorkItem.action, action),
        ):
            if wanted is not None:
                statement = statement.where(column == wanted)
        if after is not None:
            start = tuple_(*(literal(value, column.type) for value, column in zip(after, order, strict=True)))
            statement = statement.where(tuple_(*order) > start)
        statement = statement.order_by(*order).limit(limit)
        return list((await self.session.execute(statement)).scalars())

    async def deadlines_to_announce(self, *, first: date, last: date, actions: Sequence[str]) -> list[WorkItem]:
        """The worklist's dated actions of these kinds (and every collection step) falling due between these days,
        not announced yet."""
        announced = select(DeadlineNotice.claim_id).where(
            DeadlineNotice.claim_id == WorkItem.claim_id,
            DeadlineNotice.action == WorkItem.action,
            DeadlineNotice.due == WorkItem.due,
        )
        statement = (
            select(WorkItem)
            .where(WorkItem.due.is_not(None), WorkItem.due >= first, WorkItem.due <= last, ~announced.exists())
            .where(or_(WorkItem.action.in_(actions), WorkItem.kind == "collection"))
            .order_by(WorkItem.due, WorkItem.claim_id, WorkItem.kind)
        )
        return list((await self.session.execute(statement)).scalars())


def live_claim_query(policy_id: uuid.UUID, debtor_id: uuid.UUID) -> Select[tuple[uuid.UUID]]:
    """The live claim on a buyer under a policy, found by the one-live-claim-per-buyer index."""
    return select(Claim.id).where(Claim.policy_id == policy_id, Claim.debtor_id == debtor_id, text(LIVE_STATUSES))


def held_invoices_query(insured_id: str, debtor_id: uuid.UUID, keys: Sequence[str]) -> Select[tuple[str]]:
    """The insured's invoices on the buyer with these keys that a claim holds, found by the held-invoices index."""
    return select(ClaimInvoice.number).where(
        ClaimInvoice.insured_id == insured_id,
        ClaimInvoice.debtor_id == debtor_id,
        ClaimInvoice.number_key.in_(keys),
        text(HELD),
    )


def _behind(today: date) -> ColumnElement[bool]:
    """Claims whose rows do not hold today: never worked out, worked out for a later day, or a period ended."""
    return or_(Claim.work_as_of.is_(None), Claim.work_as_of > today, Claim.work_recheck_on <= today)


class ClaimsUnitOfWork(UnitOfWork):
    """One transaction of the claims service, and the repository that reads and writes through it."""

    claims: ClaimRepository

    def open_repositories(self) -> None:
        self.claims = ClaimRepository(self.session, dialect=self.dialect)
