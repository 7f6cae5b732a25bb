"""SQLite on the event loop's own thread, behind the interface SQLAlchemy's aiosqlite dialect drives.

aiosqlite runs every call (open a cursor, execute, fetch, close) in a thread of its own and hands each answer
back through the event loop: four hops a statement, 160 µs of CPU on the benchmark machine where the statement
itself takes 50 µs. An embedded database file answers in microseconds and, in this suite, never waits on a lock
(each service's writers queue for their one connection in the pool; WAL readers never block), so its calls run
where they are made. What is given up: a long statement (a bulk load) holds the process's other requests while
it runs, as it held their CPU before.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any


class _Cursor:
    """A sqlite3 cursor whose calls are awaitable and done when awaited."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> _Cursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any] | dict[str, Any]]) -> _Cursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def __aiter__(self) -> AsyncIterator[Any]:
        for row in self._cursor:
            yield row

    async def __aenter__(self) -> _Cursor:  # the dialect enters what `cursor()` gives to get the cursor
        return self


class _RunNow:
    """Stands for aiosqlite's queue to its thread, which the dialect uses to set the isolation level."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class InlineConnection:
    """The part of aiosqlite's Connection that SQLAlchemy's dialect uses, run inline."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection  # the dialect's "still open" test
        self._tx = _RunNow()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> _Cursor:
        return _Cursor(self._conn.cursor())

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()


async def connect(database: str, *, busy_seconds: float) -> InlineConnection:
    """A connection to the database file, usable from any thread (the pool may close it from another)."""
    return InlineConnection(sqlite3.connect(database, timeout=busy_seconds, check_same_thread=False, uri=False))
