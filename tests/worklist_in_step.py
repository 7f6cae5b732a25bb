"""The worklist's stored rows against a working out from scratch: a change that left them behind is a defect."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.claims.adapters.repository import ClaimsUnitOfWork
from services.claims.adapters.tables import Claim, WorkItem
from services.claims.service_layer import collection, worklist

COLUMNS = ("claim_id", "kind", "action", "due", "due_legal", "detail", "sort_due", "status", "insured_id")


async def assert_worklist_in_step(app: Any) -> None:
    """Once caught up as a read would, every claim's rows are what its state gives today.

    The app's settings are adopted first, as at its start: a test may have run another app on the database."""
    today = app.state.clock.today()
    rules = app.state.settings.collection
    await worklist.adopt(ClaimsUnitOfWork(app.state.db), worklist.Basis(app.state.clock, rules))
    await worklist.catch_up(ClaimsUnitOfWork(app.state.db), today=today, rules=rules)
    async with ClaimsUnitOfWork(app.state.db, write=False) as uow:
        claims = list((await uow.session.execute(select(Claim))).scalars())
        stored = list((await uow.session.execute(select(WorkItem))).scalars())
        waiting = [claim for claim in claims if claim.status in worklist.WAITING]
        repo = uow.claims
        steps = await collection.next_steps(repo, waiting, settings_rules=rules, today=today)
        since = await repo.indemnifiable_since([claim.id for claim in waiting])
    expected = sorted(
        tuple(row[column] for column in COLUMNS)
        for claim in waiting
        for row in worklist.rows_of(claim, steps[claim.id], indemnifiable_since=since.get(claim.id))
    )
    actual = sorted(tuple(getattr(row, column) for column in COLUMNS) for row in stored)
    assert actual == expected, "the worklist's rows fell behind a change of their claim"
