"""Collective procedures: manual events, BODACC ingestion, and the events they send."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.debtors.adapters.repository import DebtorsUnitOfWork, Repository
from services.debtors.adapters.tables import ProcedureEventRow
from services.debtors.domain.bodacc import Announcement, Ignored, read_record
from services.debtors.domain.errors import DebtorNotFound
from services.debtors.domain.procedures import (
    ClosureReason,
    ProcedureEvent,
    ProcedureEventKind,
    ProcedureState,
    ProcedureType,
    state_of,
)
from services.kit.auth import Principal
from services.kit.bulk import alongside
from services.kit.dates import not_after_today
from services.kit.outbox import Outbox
from services.kit.types import new_id

PROCEDURE_CHANGED = "debtor.procedure_changed.v1"
MAX_IGNORED_DETAILS = 100


def event_of(row: ProcedureEventRow) -> ProcedureEvent:
    return ProcedureEvent(
        procedure=ProcedureType(row.procedure),
        event=ProcedureEventKind(row.event),
        judgment_date=row.judgment_date,
        publication_date=row.publication_date,
        court=row.court,
        closure_reason=ClosureReason(row.closure_reason) if row.closure_reason else None,
        simplified=row.simplified,
        court_seat=row.court_seat,
    )


def _row(
    event: ProcedureEvent,
    *,
    debtor_id: uuid.UUID | None,
    siren: str | None,
    announcement_id: str | None,
    source: str,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    creance = event.creance
    return {
        "id": new_id(),
        "announcement_id": announcement_id,
        "siren": siren,
        "debtor_id": debtor_id,
        "source": source,
        "procedure": event.procedure.value,
        "event": event.event.value,
        "judgment_date": event.judgment_date,
        "publication_date": event.publication_date,
        "court": event.court[:200] if event.court else None,
        "court_seat": event.court_seat,
        "closure_reason": event.closure_reason.value if event.closure_reason else None,
        "simplified": event.simplified,
        "creance_deadline": creance.due if creance else None,
        "creance_deadline_legal": creance.legal if creance else None,
        "recorded_at": now,
        "recorded_by": actor,
    }


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def procedure_changed(
    debtor_id: uuid.UUID, siren: str | None, row: dict[str, Any], state: ProcedureState
) -> dict[str, Any]:
    """The event claims consume: what happened, and where the debtor now stands."""
    return {
        "debtor_id": str(debtor_id),
        "siren": siren,
        "recorded_by": row["recorded_by"],  # for the claims' timeline; partners' webhooks do not carry it
        "procedure_event": {
            "id": str(row["id"]),
            "announcement_id": row["announcement_id"],
            "procedure": row["procedure"],
            "event": row["event"],
            "judgment_date": _iso(row["judgment_date"]),
            "publication_date": _iso(row["publication_date"]),
            "creance_deadline": _iso(row["creance_deadline"]),
            "creance_deadline_legal": _iso(row["creance_deadline_legal"]),
            "court": row["court"],
            "court_seat": row["court_seat"],
        },
        "state": {
            "procedure": state.procedure.value if state.procedure else None,
            "open": state.open,
            "insolvent": state.insolvent,
            "opened_on": _iso(state.opened_on),
            "opening_publication_date": _iso(state.opening_publication_date),
            "creance_deadline": _iso(state.creance_deadline),
            "creance_deadline_legal": _iso(state.creance_deadline_legal),
            "opening_missing": state.opening_missing,
            "opening_court": state.opening_court,
            "opening_court_seat": state.opening_court_seat,
        },
    }


def procedure_changes(
    rows: Sequence[dict[str, Any]],
    *,
    histories: dict[uuid.UUID, list[ProcedureEvent]],
    sirens: dict[uuid.UUID, str | None],
) -> list[dict[str, Any]]:
    """One procedure_changed event per new event of a registered debtor, with the state its history leads to."""
    linked = [row for row in rows if row["debtor_id"] is not None]
    states = {debtor_id: state_of(histories[debtor_id]) for debtor_id in {row["debtor_id"] for row in linked}}
    return [
        procedure_changed(row["debtor_id"], sirens.get(row["debtor_id"]), row, states[row["debtor_id"]])
        for row in linked
    ]


async def _announce(
    outbox: Outbox,
    repo: Repository,
    rows: Sequence[dict[str, Any]],
    *,
    histories: dict[uuid.UUID, list[ProcedureEvent]],
    sirens: dict[uuid.UUID, str | None],
    now: datetime,
) -> None:
    payloads = procedure_changes(rows, histories=histories, sirens=sirens)
    if payloads:
        await outbox.add(repo.session, PROCEDURE_CHANGED, payloads, now=now)


async def record_event(
    uow: DebtorsUnitOfWork,
    outbox: Outbox,
    *,
    debtor_id: uuid.UUID,
    event: ProcedureEvent,
    actor: Principal,
    now: datetime,
) -> tuple[ProcedureState, list[ProcedureEventRow]]:
    """A judgment entered by a claims handler; a judgment is a fact, never dated after today."""
    not_after_today(event.judgment_date, today=now.date(), field="judgment_date")
    if event.publication_date is not None:
        not_after_today(event.publication_date, today=now.date(), field="publication_date")
    async with uow:
        repo = uow.debtors
        debtor = await repo.debtor(debtor_id)
        if debtor is None:
            raise DebtorNotFound(f"No debtor {debtor_id}.")
        row = _row(
            event,
            debtor_id=debtor.id,
            siren=debtor.siren,
            announcement_id=None,
            source="manual",
            actor=actor.client_id,
            now=now,
        )
        await repo.insert_event(row)
        histories = await repo.histories([debtor.id])
        await _announce(outbox, repo, [row], histories=histories, sirens={debtor.id: debtor.siren}, now=now)
        history = await repo.history(debtor.id)
        await uow.commit()
    return state_of([event_of(item) for item in history]), history


@dataclass
class IngestionReport:
    received: int = 0
    recorded: int = 0
    duplicates: int = 0
    unknown_debtor: int = 0
    ignored: int = 0
    ignored_details: list[Ignored] = field(default_factory=list)


async def ingest(
    uow: DebtorsUnitOfWork, outbox: Outbox, *, records: Sequence[Any], actor: Principal, now: datetime
) -> IngestionReport:
    """BODACC records, as published, in one transaction of batched statements. Re-ingesting changes nothing."""
    report = IngestionReport(received=len(records))
    fresh: dict[str, Announcement] = {}
    for record in records:
        read = read_record(record, today=now.date()) if isinstance(record, dict) else Ignored(None, "not a JSON object")
        if isinstance(read, Ignored):
            report.ignored += 1
            if len(report.ignored_details) < MAX_IGNORED_DETAILS:
                report.ignored_details.append(read)
        elif read.announcement_id in fresh:
            report.duplicates += 1
        else:
            fresh[read.announcement_id] = read
    async with uow:
        repo = uow.debtors
        await repo.take_ingestion_turn()
        known = await repo.known_announcements(list(fresh))
        report.duplicates += len(known)
        new = [announcement for key, announcement in fresh.items() if key not in known]
        debtor_ids = await repo.debtor_ids_by_siren([announcement.siren for announcement in new])
        rows = [
            _row(
                announcement.event,
                debtor_id=debtor_ids.get(announcement.siren),
                siren=announcement.siren,
                announcement_id=announcement.announcement_id,
                source="bodacc",
                actor=actor.client_id,
                now=now,
            )
            for announcement in new
        ]
        if rows:
            # Histories are read before the insert and the batch's own events added from memory, not read back.
            histories = await repo.histories(sorted({row["debtor_id"] for row in rows if row["debtor_id"]}))
            for row, announcement in zip(rows, new, strict=True):
                if row["debtor_id"] is not None:
                    histories[row["debtor_id"]].append(announcement.event)
            sirens = {debtor_id: siren for siren, debtor_id in debtor_ids.items()}
            _, payloads = await alongside(
                repo.insert_events(rows),
                lambda: procedure_changes(rows, histories=histories, sirens=sirens),
                dialect=uow.dialect,
            )
            if payloads:
                await outbox.add(repo.session, PROCEDURE_CHANGED, payloads, now=now)
        await uow.commit()
    report.recorded = len(rows)
    report.unknown_debtor = sum(1 for row in rows if row["debtor_id"] is None)
    return report


async def procedure_of(
    uow: DebtorsUnitOfWork, *, debtor_id: uuid.UUID
) -> tuple[ProcedureState, list[ProcedureEventRow]]:
    async with uow:
        repo = uow.debtors
        if await repo.debtor(debtor_id) is None:
            raise DebtorNotFound(f"No debtor {debtor_id}.")
        history = await repo.history(debtor_id)
    return state_of([event_of(item) for item in history]), history


async def link_announcements(
    repo: Repository, outbox: Outbox, *, debtor_id: uuid.UUID, siren: str, now: datetime
) -> None:
    """Announcements kept for this SIREN now apply to the new debtor (and are announced)."""
    await repo.link_pending_events(siren, debtor_id)
    history = await repo.history(debtor_id)
    if not history:
        return
    rows = [{column: getattr(item, column) for column in ProcedureEventRow.model_fields} for item in history]
    histories = {debtor_id: [event_of(item) for item in history]}
    await _announce(outbox, repo, rows, histories=histories, sirens={debtor_id: siren}, now=now)
