"""Pooled PostgreSQL connections: one closed by the server while idle is replaced, not handed to a request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.kit import db
from tests.support import BACKEND, POSTGRES_URL, Databases

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="SQLite is embedded: no server closes its connections")


async def _close_server_side(database: str) -> int:
    """What a server restart or an idle-session timeout does: every backend on the database ended."""
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        return int(
            await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1", database
            )
        )
    finally:
        await admin.close()


@pytest.fixture
async def engine(databases: Databases, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AsyncEngine]:
    """A service's engine on a database of its own, one connection, pinged after 0.2 s idle."""
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.2)
    made = db.create_engine(databases.empty("pool"), pool_size=1, max_overflow=0)
    yield made
    await made.dispose()


async def test_a_connection_closed_while_idle_in_the_pool_is_replaced(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT 1")) == 1
    assert await _close_server_side(engine.url.database or "") == 1
    await asyncio.sleep(0.3)
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT 2")) == 2


async def test_only_a_connection_that_waited_in_the_pool_is_pinged(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[object] = []
    real_ping = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    for _ in range(5):  # a connection in steady use: each request takes it a moment after the last gave it back
        async with engine.connect() as conn:
            await conn.scalar(text("SELECT 1"))
    assert pings == []
    await asyncio.sleep(0.3)
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT 1")) == 1
    assert len(pings) == 1


async def test_a_connection_the_server_closed_a_moment_ago_is_replaced_unpinged(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT 1")) == 1
    assert await _close_server_side(engine.url.database or "") == 1
    await asyncio.sleep(0.05)  # the driver hears the socket close; far less than the idle ping's 0.2 s
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT 2")) == 2
