"""Test support: databases built by the real migrations, ASGI lifespans, tokens."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from alembic import command
from sqlalchemy.engine import make_url
from starlette.types import ASGIApp

from services.kit.auth import Principal, Role, TokenIssuer
from services.kit.clock import Clock, FixedClock
from services.kit.schema_version import alembic_config
from tests.dropping import drop_later

BACKEND = os.environ.get("TEST_DB", "sqlite")
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
T = TypeVar("T")


def in_thread(function: Callable[[], Coroutine[Any, Any, T]] | Callable[[], T]) -> T:
    """Run blocking or loop-owning work (Alembic's env.py runs its own loop) off the test's loop."""

    def call() -> T:
        result = function()
        if asyncio.iscoroutine(result):
            return asyncio.run(result)
        return result  # type: ignore[return-value]

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def migrate(service: str, url: str, revision: str = "head") -> None:
    in_thread(lambda: command.upgrade(alembic_config(service, url), revision))


class Databases:
    """Fresh databases per test, copied from a template migrated once per service."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.run_id = uuid.uuid4().hex[:8]
        self.templates: dict[str, str] = {}
        self.created: list[str] = []
        self.count = 0
        self.naming = threading.Lock()
        # On PostgreSQL each service's next database is copied from its template while the test runs (a copy
        # waits about 0.13 s on the server: a fifth of the integration tests' time), one copy at a time.
        self.copier = ThreadPoolExecutor(max_workers=1, thread_name_prefix="database-copier")
        self.ahead: dict[str, Future[str]] = {}

    def _name(self, label: str) -> str:
        with self.naming:
            self.count += 1
            return f"cct_{self.run_id}_{label}_{self.count}"

    def empty(self, label: str) -> str:
        """A new empty database (no migration run)."""
        name = self._name(label)
        if BACKEND == "sqlite":
            return f"sqlite+aiosqlite:///{self.workdir / (name + '.db')}"
        self._admin(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self._url(name)

    def template(self, service: str) -> str:
        if service not in self.templates:
            url = self.empty(f"tpl_{service}")
            migrate(service, url)
            self.templates[service] = url
        return self.templates[service]

    def fresh(self, service: str) -> str:
        """A database at head for this service."""
        template = self.template(service)
        if BACKEND == "sqlite":
            source = Path(make_url(template).database or "")
            target = self.workdir / (self._name(service) + ".db")
            shutil.copyfile(source, target)
            return f"sqlite+aiosqlite:///{target}"
        made = self.ahead.pop(service, None) or self.copier.submit(self._copy, template, self._name(service))
        self.ahead[service] = self.copier.submit(self._copy, template, self._name(service))
        return self._url(made.result())

    def _copy(self, template: str, name: str) -> str:
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(template).database}"')
        with self.naming:
            self.created.append(name)
        return name

    def drop_all(self) -> None:
        """The run's databases, dropped by a process of their own once the run has ended (see tests.dropping)."""
        self.copier.shutdown(wait=True)
        drop_later(POSTGRES_URL, list(reversed(self.created)))
        self.created.clear()

    def _url(self, name: str) -> str:
        return make_url(POSTGRES_URL).set(drivername="postgresql+asyncpg", database=name).render_as_string(False)

    def _admin(self, sql: str) -> None:
        async def execute() -> None:
            conn = await asyncpg.connect(POSTGRES_URL)
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        in_thread(execute)


@asynccontextmanager
async def running(app: ASGIApp) -> AsyncIterator[ASGIApp]:
    """Drive an ASGI app's lifespan (start-up before, shut-down after)."""
    to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def receive() -> dict[str, Any]:
        return await to_app.get()

    async def send(message: dict[str, Any]) -> None:
        await from_app.put(message)

    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send))
    await to_app.put({"type": "lifespan.startup"})
    started = await from_app.get()
    if started["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"start-up failed: {started}")
    try:
        yield app
    finally:
        await to_app.put({"type": "lifespan.shutdown"})
        await from_app.get()
        await task


def at(clock: FixedClock, day: str) -> None:
    """Move the test clock to 09:00 UTC on a day: facts can only be recorded once their day has come."""
    clock.set(datetime.fromisoformat(f"{day}T09:00:00").replace(tzinfo=UTC))


class Tokens:
    """Signs tokens as the gateway would, for any role."""

    def __init__(self, private_pem: str, clock: Clock) -> None:
        self.issuer = TokenIssuer(
            private_pem, issuer="credit-claims", audience="credit-claims", ttl=timedelta(minutes=15)
        )
        self.clock = clock

    def token(self, *roles: Role, insured_id: str | None = None, client_id: str = "test-client") -> str:
        principal = Principal(client_id=client_id, roles=frozenset(roles), insured_id=insured_id)
        return self.issuer.issue(principal, now=self.clock.now())

    def headers(self, *roles: Role, insured_id: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*roles, insured_id=insured_id)}"}

    def underwriter(self) -> dict[str, str]:
        return self.headers(Role.UNDERWRITER)

    def handler(self) -> dict[str, str]:
        return self.headers(Role.CLAIMS_HANDLER)

    def insured(self, insured_id: str = "INS-ACME") -> dict[str, str]:
        return self.headers(Role.INSURED, insured_id=insured_id)
