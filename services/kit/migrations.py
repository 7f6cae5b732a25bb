"""The body of every service's Alembic env.py: async, its own metadata and version table."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import context
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel.sql.sqltypes import AutoString

from services.kit.db import async_url, is_sqlite
from services.kit.types import ExactDecimal, UTCDateTime


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Migrations name the stored type, so they never import application code.
    if type_ == "type" and isinstance(obj, ExactDecimal):
        return "sa.BigInteger()"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _compare_type(context: Any, inspected: Any, metadata: Any, inspected_type: Any, metadata_type: Any) -> bool | None:
    """True when the stored type differs; our decorated types compare by what they store."""
    if isinstance(metadata_type, ExactDecimal):
        return not isinstance(inspected_type, sa.BigInteger)
    if isinstance(metadata_type, UTCDateTime):
        return not isinstance(inspected_type, sa.DateTime)
    return None


def run(*, metadata: MetaData, version_table: str, default_url: Callable[[], str]) -> None:
    """Run the current Alembic command for one service."""
    config = context.config
    url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url") or default_url()
    url = async_url(url)
    options: dict[str, Any] = {
        "target_metadata": metadata,
        "version_table": version_table,
        "render_as_batch": is_sqlite(url),
        "render_item": _render_item,
        "compare_type": _compare_type,
        "compare_server_default": True,
        # Only this service's tables: another service's tables (e.g. when several
        # share a database in a test) are not drift and must never be dropped.
        "include_name": lambda name, type_, _parent: type_ != "table" or name in metadata.tables,
    }
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    async def online() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
            await connection.commit()
        await engine.dispose()

    asyncio.run(online())
