"""Batched statements (kit.bulk) store what the ORM stores, skip rows already there, and match many values."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, text

from services.debtors.adapters.tables import ProcedureEventRow
from services.kit.bulk import insert_many, one_of
from services.kit.types import new_id

EVENTS = ProcedureEventRow.__table__


def event_row(index: int, *, now: datetime) -> dict[str, Any]:
    return {
        "id": new_id(),
        "announcement_id": f"BULK-{index:05d}",
        "siren": None,
        "debtor_id": None,
        "source": "bodacc",
        "procedure": "sauvegarde",
        "event": "opening",
        "judgment_date": date(2026, 3, 4),
        "publication_date": None if index % 2 else date(2026, 3, 12),
        "court": "Tribunal de commerce de Lyon",
        "closure_reason": None,
        "simplified": index % 3 == 0,
        "creance_deadline": None,
        "recorded_at": now,
        "recorded_by": "bulk",
    }


async def test_rows_are_read_back_as_written_and_a_clash_is_skipped(debtors_app: Any) -> None:
    db = debtors_app.state.db
    now = datetime(2026, 3, 20, 9, 30, tzinfo=UTC)
    rows = [event_row(index, now=now) for index in range(3)]
    async with db.writers() as session:
        await insert_many(await session.connection(), EVENTS, rows, skip_conflicts_on=["announcement_id"])
        await session.commit()
    # The same announcements again, under new ids, beside one new announcement: only the new one is stored.
    again = [event_row(index, now=now) for index in range(4)]
    async with db.writers() as session:
        await insert_many(await session.connection(), EVENTS, again, skip_conflicts_on=["announcement_id"])
        await session.commit()
    async with db.readers() as session:
        stored = (await session.execute(select(ProcedureEventRow).order_by(ProcedureEventRow.announcement_id))).all()
    assert [row.id for (row,) in stored] == [row["id"] for row in rows] + [again[3]["id"]]
    first = stored[0][0]
    assert (first.judgment_date, first.publication_date, first.simplified, first.recorded_at) == (
        date(2026, 3, 4),
        date(2026, 3, 12),
        True,
        now,
    )
    assert (stored[1][0].publication_date, stored[1][0].simplified) == (None, False)


async def test_one_of_matches_thousands_of_values(debtors_app: Any) -> None:
    db = debtors_app.state.db
    now = datetime(2026, 3, 20, 9, 30, tzinfo=UTC)
    rows = [event_row(index, now=now) for index in range(2005)]
    async with db.writers() as session:
        await insert_many(await session.connection(), EVENTS, rows)
        await session.commit()
    wanted = [row["id"] for row in rows[::2]] + [uuid.uuid4()]
    async with db.readers() as session:
        statement = select(func.count()).select_from(EVENTS).where(one_of(EVENTS.c.id, wanted, dialect=db.dialect))
        found = (await session.execute(statement)).scalar_one()
        nothing = select(func.count()).select_from(EVENTS).where(one_of(EVENTS.c.id, [], dialect=db.dialect))
        assert (await session.execute(nothing)).scalar_one() == 0
    assert found == len(rows[::2])


async def test_values_are_stored_exactly_as_the_orm_stores_them(debtors_app: Any) -> None:
    """Same text in the database, not only the same value read back: SQLite compares dates and instants as text."""
    db = debtors_app.state.db
    on_the_second = datetime(2026, 3, 20, 9, 30, tzinfo=UTC)
    by_orm, in_bulk = event_row(0, now=on_the_second), event_row(6, now=on_the_second)
    async with db.writers() as session:
        session.add(ProcedureEventRow(**by_orm))
        await session.flush()
        await insert_many(await session.connection(), EVENTS, [in_bulk])
        await session.commit()
    columns = "id, judgment_date, publication_date, simplified, recorded_at"
    async with db.readers() as session:
        raw = (await session.execute(text(f"SELECT {columns} FROM procedure_events ORDER BY announcement_id"))).all()
    assert len(raw) == 2
    for stored_by_orm, stored_in_bulk in zip(raw[0][1:], raw[1][1:], strict=True):
        assert (type(stored_by_orm), stored_by_orm) == (type(stored_in_bulk), stored_in_bulk)
    assert type(raw[0][0]) is type(raw[1][0]) and len(str(raw[0][0])) == len(str(raw[1][0]))
