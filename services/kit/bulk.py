"""Many rows in one statement at the driver: for batches (BODACC ingestion and its events).

SQLAlchemy's executemany builds each row's parameters one by one, which is most of a large batch's cost;
here each column's own bind processor is taken once and applied in a tight loop, so what is stored is
exactly what the ORM would have stored. On PostgreSQL a batch travels as one array per column (one
statement, one round trip) instead of one parameter per value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

IN_LIST = 2000  # bound parameters per IN list on SQLite: well under its limit


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
    """INSERT the rows in one statement; with `skip_conflicts_on`, a row clashing on those columns is skipped."""
    if not rows:
        return
    names, values = driver_rows(table, conn.dialect, rows)
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in names)
    conflicts = ""
    if skip_conflicts_on:
        conflicts = f" ON CONFLICT ({', '.join(quote(name) for name in skip_conflicts_on)}) DO NOTHING"
    if conn.dialect.name == "postgresql":
        arrays = ", ".join(
            f"${position}::{table.c[name].type.compile(dialect=conn.dialect)}[]"
            for position, name in enumerate(names, start=1)
        )
        statement = f"INSERT INTO {quote(table.name)} ({columns}) SELECT * FROM unnest({arrays}){conflicts}"
        await conn.exec_driver_sql(statement, tuple(list(column) for column in zip(*values, strict=True)))
        return
    marks = ", ".join("?" * len(names))
    await conn.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks}){conflicts}", values)


def one_of(column: Column[Any], values: Sequence[Any], *, dialect: str) -> list[ColumnElement[bool]]:
    """Conditions that together match `column` against many values: one array on PostgreSQL, IN lists on SQLite."""
    if not values:
        return []
    if dialect == "postgresql":
        return [column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))]
    return [column.in_(values[start : start + IN_LIST]) for start in range(0, len(values), IN_LIST)]


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
