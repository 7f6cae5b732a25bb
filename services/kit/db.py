"""Async engines and sessions: SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
from opentelemetry.trace import Tracer
from sqlalchemy import MetaData, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from services.kit import sqlite_inline

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata() -> MetaData:
    """A service's own metadata, with explicit constraint names."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def async_url(url: str) -> str:
    """Accept plain postgresql:// and sqlite:// URLs and pick the async drivers."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling is turned off so that we can
        # issue BEGIN IMMEDIATE for writers (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A writer takes the write lock up front: a deferred transaction that
        # reads then writes would fail with SQLITE_BUSY under WAL instead of waiting.
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def json_text(value: Any) -> str:
    """JSON columns' text (event payloads, stored answers): orjson, a fifth of the standard encoder's time."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def create_engine(
    url: str, *, pool_size: int = 10, echo: bool = False, timeout: float = 10.0, max_overflow: int | None = None
) -> AsyncEngine:
    url = async_url(url)
    overflow = pool_size if max_overflow is None else max_overflow
    if is_sqlite(url):
        # Connections are kept like PostgreSQL's: the driver's default of five opened a new connection (a thread
        # and four PRAGMAs) for every request beyond the fifth at once.
        engine = create_async_engine(
            url,
            echo=echo,
            pool_size=pool_size,
            max_overflow=overflow,
            pool_timeout=timeout,
            async_creator=functools.partial(sqlite_inline.connect, make_url(url).database or "", busy_seconds=30),
            json_serializer=json_text,
        )
        _tune_sqlite(engine)
        return engine
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=overflow,
        pool_timeout=timeout,
        # A server that stops answering fails the request after `timeout` instead of holding it forever.
        connect_args={"timeout": timeout, "command_timeout": timeout},
        json_serializer=json_text,
    )
    _ping_when_idle(engine)
    return engine


# A pooled connection idle this long is pinged before use: the server may have closed it meanwhile.
IDLE_PING_SECONDS = 1.0


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Check a pooled connection before use: one the server closed is replaced, the request never sees it.

    The driver knows at no cost when the server closed the socket (a restart, an idle-session timeout); a
    connection that has waited in the pool a second or more is also pinged, for what the driver cannot know
    (a peer gone silent). SQLAlchemy's pre-ping was a round trip on every checkout: a seventh of a declaration's
    CPU over the services. A failed check discards the connection and the pool opens another.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _taken(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the server closed the pooled connection")
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("the pooled connection did not answer its ping") from exc


# Work a service does in every writing transaction just before it commits, given the unit of work.
BeforeCommit = Callable[[Any], Awaitable[None]]


class Database:
    """One engine, with a session factory for writers and one for readers."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        echo: bool = False,
        timeout: float = 10.0,
        before_commit: Sequence[BeforeCommit] = (),
        tracer: Tracer | None = None,
    ) -> None:
        self.url = async_url(url)
        self.tracer = tracer
        """Each unit of work is a span when tracing is on."""
        self.before_commit = tuple(before_commit)
        self.engine = create_engine(self.url, pool_size=pool_size, echo=echo, timeout=timeout)
        self.writer_engine = self.engine
        if is_sqlite(self.url):
            # SQLite takes one writer at a time. Writers share one connection and wait their turn in the pool
            # (an asyncio queue) rather than in SQLite's busy handler, which sleeps up to 100 ms between tries:
            # under load that sleeping was the whole tail of the latency (p99 4 s with p50 0.3 s).
            self.writer_engine = create_engine(self.url, pool_size=1, max_overflow=0, echo=echo, timeout=timeout)
        writer_bind = (
            self.writer_engine.execution_options(sqlite_immediate=True) if is_sqlite(self.url) else self.engine
        )
        self.writers = async_sessionmaker(writer_bind, expire_on_commit=False, autoflush=False)
        # PostgreSQL's readers run each statement on its own: under READ COMMITTED a read-only transaction's
        # statements each see what was committed when they began anyway, and its BEGIN and ROLLBACK were two round
        # trips per read. SQLite's readers keep their transaction: there it is one snapshot for all their reads.
        reader_bind = (
            self.engine if is_sqlite(self.url) else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self.readers = async_sessionmaker(reader_bind, expire_on_commit=False, autoflush=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.writer_engine is not self.engine:
            await self.writer_engine.dispose()
