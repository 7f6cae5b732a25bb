"""Started as `make run` starts it, each service brings its own empty database to head before it is ready."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from deploy.local import DEV_CLIENTS, SERVICES, Suite
from services.kit.db import async_url
from services.kit.schema_version import migration_head, version_table
from tests.shared.ports import free_ports
from tests.support import Databases, in_thread

pytestmark = pytest.mark.e2e


def revision(url: str, service: str) -> str | None:
    async def read() -> str | None:
        engine = create_async_engine(async_url(url))
        try:
            async with engine.connect() as conn:
                return (await conn.execute(text(f"SELECT version_num FROM {version_table(service)}"))).scalar()
        finally:
            await engine.dispose()

    return in_thread(read)


def test_services_migrate_their_empty_databases_then_serve_and_a_restart_changes_nothing(
    databases: Databases, tmp_path: Path
) -> None:
    urls = {service: databases.empty(f"mos_{service}") for service in SERVICES}
    suite = Suite(
        ports=free_ports((*SERVICES, "gateway")),
        database_urls=urls,
        keys_dir=tmp_path / "keys",
        clients_file=DEV_CLIENTS,
        log_dir=tmp_path,
        migrate_on_start=True,
    )
    for attempt in ("first start", "restart"):
        suite.start()
        try:
            suite.wait_ready(timeout=30)
            ready = httpx.get(f"{suite.url('gateway')}/readyz", timeout=5).json()
            assert ready["services"] == dict.fromkeys(SERVICES, "ready"), attempt
        finally:
            suite.stop()
        for service in SERVICES:
            assert revision(urls[service], service) == migration_head(service), (attempt, service)
