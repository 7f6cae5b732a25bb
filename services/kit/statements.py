"""Statements the services share: an insert that does nothing when its row is already there."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import CursorResult, Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_unless_present(
    session: AsyncSession, table: Table, values: dict[str, Any], *, key: Sequence[str]
) -> bool:
    """Insert the row unless one with the same unique key is there; whether it was inserted, in one statement.

    A row inserted concurrently by another transaction counts as there: this one waits for that one's end."""
    insert_into = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert_into(table).values(**values).on_conflict_do_nothing(index_elements=[table.c[name] for name in key])
    )
    result: CursorResult[Any] = await session.execute(statement)  # type: ignore[assignment]
    return result.rowcount == 1
