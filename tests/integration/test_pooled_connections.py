"""Pooled PostgreSQL connections: one closed by the server while idle is replaced, not handed to a request."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import text

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


async def test_a_connection_closed_while_idle_in_the_pool_is_replaced(
    databases: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.2)
    url = databases.empty("pool")
    engine = db.create_engine(url, pool_size=2)
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
        assert await _close_server_side(engine.url.database or "") == 1
        await asyncio.sleep(0.3)
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT 2")) == 2
    finally:
        await engine.dispose()


async def test_only_a_connection_that_waited_in_the_pool_is_pinged(
    databases: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.2)
    engine = db.create_engine(databases.empty("pool"), pool_size=1, max_overflow=0)
    pings: list[object] = []
    real_ping = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    try:
        for _ in range(5):  # a connection in steady use: each request takes it a moment after the last gave it back
            async with engine.connect() as conn:
                await conn.scalar(text("SELECT 1"))
        assert pings == []
        await asyncio.sleep(0.3)
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
        assert len(pings) == 1
    finally:
        await engine.dispose()
