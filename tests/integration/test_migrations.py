"""Each service's Alembic history: upgrades from empty, downgrades to base, and matches the models."""

from __future__ import annotations

import asyncio

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from services.kit.db import async_url
from services.kit.schema_version import alembic_config
from tests.support import Databases, in_thread

SERVICES = ("policies", "debtors", "claims", "webhooks")


def tables_of(url: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_async_engine(async_url(url))
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        await engine.dispose()
        return names

    return in_thread(lambda: asyncio.run(read()))


@pytest.mark.parametrize("service", SERVICES)
def test_history_has_a_single_head(service: str) -> None:
    script = ScriptDirectory.from_config(alembic_config(service, "sqlite://"))
    assert len(script.get_heads()) == 1


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_round_trip_and_show_no_drift(service: str, databases: Databases) -> None:
    url = databases.empty(f"mig_{service}")
    config = alembic_config(service, url)
    in_thread(lambda: command.upgrade(config, "head"))
    assert f"alembic_version_{service}" in tables_of(url)
    in_thread(lambda: command.check(config))  # raises when the models and the migrations differ
    in_thread(lambda: command.downgrade(config, "base"))
    assert tables_of(url) == {f"alembic_version_{service}"}
    in_thread(lambda: command.upgrade(config, "head"))
    in_thread(lambda: command.check(config))


def test_each_environment_creates_only_its_own_service_tables(databases: Databases) -> None:
    expected = {
        "policies": {"policies", "liability_reservations"},
        "debtors": {"debtors", "credit_limits", "credit_limit_requests", "credit_limit_versions", "exposures"},
        "claims": {"debtor_procedures"},
    }
    for service, own in expected.items():
        url = databases.empty(f"mig_own_{service}")
        in_thread(lambda service=service, url=url: command.upgrade(alembic_config(service, url), "head"))
        tables = tables_of(url)
        assert own <= tables and f"alembic_version_{service}" in tables
        others = set().union(*(tables for name, tables in expected.items() if name != service))
        assert not (tables & others)
