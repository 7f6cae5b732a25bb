"""Many rows in one statement at the driver: for batches (BODACC ingestion and its events).

SQLAlchemy's executemany builds each row's parameters one by one, which is most of a large batch's cost;
here each column's own bind processor is taken once and applied in a tight loop, so what is stored is
exactly what the ORM would have stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection


def driver_rows(
    table: Table, dialect: Dialect, rows: Sequence[dict[str, Any]]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The column names of the rows (all alike) and each row's values as the driver takes them."""
    names = list(rows[0])
    processors = [_remembering(table.c[name].type.bind_processor(dialect)) for name in names]
    return names, [
        tuple(process(value) for process, value in zip(processors, row.values(), strict=True)) for row in rows
    ]


async def insert_many(
    conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]], *, skip_conflicts_on: Sequence[str] = ()
) -> None:
    """INSERT the rows in one executemany; with `skip_conflicts_on`, a row clashing on those columns is skipped."""
    if not rows:
        return
    names, values = driver_rows(table, conn.dialect, rows)
    quote = conn.dialect.identifier_preparer.quote
    # The suite's two drivers: aiosqlite takes ?, asyncpg $1, $2, ...
    marks = [f"${position}" for position in range(1, len(names) + 1)]
    if conn.dialect.paramstyle == "qmark":
        marks = ["?"] * len(names)
    statement = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in names)}) VALUES ({', '.join(marks)})"
    )
    if skip_conflicts_on:
        statement += f" ON CONFLICT ({', '.join(quote(name) for name in skip_conflicts_on)}) DO NOTHING"
    await conn.exec_driver_sql(statement, values)


def _remembering(process: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """The processor, answering without work for the same value as the row before (a batch's timestamps)."""
    if process is None:
        return lambda value: value
    last: list[Any] = [object(), None]

    def remembered(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, process(value)
        return last[1]

    return remembered
