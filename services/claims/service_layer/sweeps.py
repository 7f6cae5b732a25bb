"""The deadlines swept as of a day: waiting periods ended, créance deadlines missed; on a schedule, or for each day
the sandbox clock skipped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from services.claims.adapters.repository import ClaimRepository, ClaimsUnitOfWork
from services.claims.domain.claim import Actor, timeline_line
from services.claims.domain.status import ClaimStatus
from services.claims.service_layer import deadline_notices
from services.kit.dates import not_after_today

log = logging.getLogger("credit_claims.claims")


@dataclass
class SweepReport:
    on: date
    indemnifiable: int = 0
    forfeited: int = 0
    creance_missed: int = 0


async def sweep(uow: ClaimsUnitOfWork, *, on: date, actor: Actor, now: datetime) -> SweepReport:
    """Deadlines as of `on` (never after today): waiting period over → indemnifiable; créance not filed in time →
    forfeited in an RJ or LJ, recorded as missed under a sauvegarde or after a relief.

    Each move is a guarded update (WHERE the claim is as it was read), so two sweeps at once move a claim once.
    """
    not_after_today(on, today=now.date(), field="on")
    waiting, late, missed = ClaimRepository.due_on(on)
    stamp = {"actor": actor, "now": now, "on": on}
    async with uow:
        # Every claim the sweep may move is locked first, in id order, as any transaction locking several claims.
        await uow.claims.lock_claims(waiting, late, missed)
        established = await _move_all(
            uow.claims, waiting, Move(ClaimStatus.OPEN, ClaimStatus.INDEMNIFIABLE, "loss_established"), **stamp
        )
        forfeited = await _move_all(
            uow.claims, late, Move(ClaimStatus.INSOLVENCY, ClaimStatus.FORFEITED, "forfeited"), **stamp
        )
        misses = await _record_misses(uow.claims, missed, **stamp)
        await uow.commit()
    return SweepReport(on=on, indemnifiable=established, forfeited=forfeited, creance_missed=misses)


@dataclass(frozen=True, slots=True)
class Move:
    source: ClaimStatus
    target: ClaimStatus
    kind: str


async def _move_all(repo: ClaimRepository, condition: Any, move: Move, *, actor: Actor, now: datetime, on: date) -> int:
    """Move every claim meeting the condition, each only if it still does; how many moved."""
    if move.target == ClaimStatus.INDEMNIFIABLE:
        values: dict[str, Any] = {"loss_ground": "protracted_default"}
        detail: dict[str, Any] = {"ground": "protracted_default"}
    else:
        values, detail = {"creance_missed_on": on}, {"code": "CREANCE_DEADLINE_MISSED"}
    count = 0
    for claim_id, _, changed_at in await repo.claims_meeting(condition):
        if await repo.guarded_update(claim_id, condition, now=now, status=move.target, **values):
            as_of = _as_of(on, changed_at, move.target)
            repo.add(
                timeline_line(
                    claim_id,
                    kind=move.kind,
                    actor=actor,
                    at=now,
                    status_from=move.source,
                    status_to=move.target,
                    as_of=as_of,
                    **detail,
                )
            )
            count += 1
    return count


async def _record_misses(repo: ClaimRepository, missed: Any, *, actor: Actor, now: datetime, on: date) -> int:
    """A créance deadline passed unfiled where the claim does not move: the miss is on record for a later RJ or LJ."""
    count = 0
    for claim_id, status, _ in await repo.claims_meeting(missed):
        if await repo.guarded_update(claim_id, missed, now=now, creance_missed_on=on):
            detail = {"as_of": on.isoformat(), "code": "CREANCE_DEADLINE_MISSED", "status": status}
            repo.add(timeline_line(claim_id, kind="creance_deadline_missed", actor=actor, at=now, **detail))
            count += 1
    return count


def _as_of(on: date, changed_at: datetime, target: ClaimStatus) -> str:
    """The day a move is established: a loss never before the claim's last change (it may have been frozen then)."""
    if target == ClaimStatus.INDEMNIFIABLE:
        return max(on, changed_at.date()).isoformat()
    return on.isoformat()


async def sweep_days_passed(app: Any, previous: date, today: date) -> dict[str, int]:
    """The scheduled sweep once for each day the sandbox clock skipped, each as of its own day."""
    totals = {"days_swept": 0, "indemnifiable": 0, "forfeited": 0, "creance_missed": 0}
    day = previous + timedelta(days=1)
    while day <= today:
        at = datetime.combine(day, time.min, tzinfo=UTC)
        report = await sweep(ClaimsUnitOfWork(app.state.db), on=day, actor=Actor("scheduler", "sandbox-clock"), now=at)
        totals["days_swept"] += 1
        for name in ("indemnifiable", "forfeited", "creance_missed"):
            totals[name] += getattr(report, name)
        day += timedelta(days=1)
    # The rows of the worklist now hold the new today: the deadlines of the coming week are announced.
    await deadline_notices.announce(
        ClaimsUnitOfWork(app.state.db), app.state.outbox, today=today, now=app.state.clock.now()
    )
    return totals


def scheduled_sweep(every_seconds: float) -> Callable[[Any], Awaitable[None]]:
    """The background job: sweep the deadlines as of today, every so often, for as long as the app runs."""

    async def job(app: Any) -> None:
        while True:
            await asyncio.sleep(every_seconds)
            try:
                async with app.state.clock_lock:  # not halfway through a sandbox move
                    now = app.state.clock.now()
                    report = await sweep(
                        ClaimsUnitOfWork(app.state.db), on=now.date(), actor=Actor("scheduler", None), now=now
                    )
                    await deadline_notices.announce(
                        ClaimsUnitOfWork(app.state.db), app.state.outbox, today=now.date(), now=now
                    )
                log.info(
                    "deadline sweep %s: %s indemnifiable, %s forfeited, %s créances missed",
                    report.on,
                    report.indemnifiable,
                    report.forfeited,
                    report.creance_missed,
                )
            except Exception:  # the next run tries again
                log.exception("deadline sweep failed")
                app.state.metrics.job_ran("deadline_sweep", succeeded=False)
            else:
                app.state.metrics.job_ran("deadline_sweep", succeeded=True)

    return job
