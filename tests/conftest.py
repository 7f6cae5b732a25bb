"""Fixtures shared by every test: clock, keys, tokens, databases and in-process apps."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from services.claims.config import ClaimsSettings
from services.claims.main import create_app as create_claims_app
from services.debtors.config import DebtorsSettings
from services.debtors.main import create_app as create_debtors_app
from services.kit.auth import generate_key_pair
from services.kit.clock import FixedClock
from services.policies.config import PoliciesSettings
from services.policies.main import create_app as create_policies_app
from services.webhooks.config import WebhooksSettings
from services.webhooks.main import create_app as create_webhooks_app
from tests.support import Databases, Tokens, running
from tests.worklist_in_step import assert_worklist_in_step

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
INTERNAL_TOKEN = "test-internal-token"


@pytest.fixture(scope="session")
def key_pair() -> tuple[str, str]:
    return generate_key_pair()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    factory = Databases(tmp_path_factory.mktemp("databases"))
    yield factory
    factory.drop_all()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def tokens(key_pair: tuple[str, str], clock: FixedClock) -> Tokens:
    return Tokens(key_pair[0], clock)


@pytest.fixture
def policies_settings(databases: Databases, key_pair: tuple[str, str]) -> PoliciesSettings:
    return PoliciesSettings(
        database_url=databases.fresh("policies"), jwt_public_key=key_pair[1], internal_token=INTERNAL_TOKEN
    )


@pytest.fixture
async def policies_app(policies_settings: PoliciesSettings, clock: FixedClock) -> AsyncIterator[object]:
    async with running(create_policies_app(policies_settings, clock)) as app:
        yield app


@pytest.fixture
async def policies(policies_app: object) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the policies service, in process."""
    transport = httpx.ASGITransport(app=policies_app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://policies") as client:
        yield client


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parents[1]


@pytest.fixture
def debtors_settings(databases: Databases, key_pair: tuple[str, str]) -> DebtorsSettings:
    return DebtorsSettings(
        database_url=databases.fresh("debtors"),
        jwt_public_key=key_pair[1],
        internal_token=INTERNAL_TOKEN,
        subscribers={"debtor.procedure_changed.v1": ["http://claims/internal/events"]},
        relay_enabled=False,
    )


@pytest.fixture
async def debtors_app(
    debtors_settings: DebtorsSettings, clock: FixedClock, policies_app: object
) -> AsyncIterator[object]:
    transports = {"policies": httpx.ASGITransport(app=policies_app)}  # type: ignore[arg-type]
    async with running(create_debtors_app(debtors_settings, clock, transports)) as app:
        yield app


@pytest.fixture
async def debtors(debtors_app: object) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the debtors service, in process (its policies calls go to the in-process policies app)."""
    transport = httpx.ASGITransport(app=debtors_app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://debtors") as client:
        yield client


@pytest.fixture
def claims_settings(databases: Databases, key_pair: tuple[str, str]) -> ClaimsSettings:
    return ClaimsSettings(
        database_url=databases.fresh("claims"),
        jwt_public_key=key_pair[1],
        internal_token=INTERNAL_TOKEN,
        relay_enabled=False,
        subscribers={
            "claim.opened.v1": ["http://debtors/internal/events"],
            "claim.closed.v1": ["http://debtors/internal/events"],
        },
    )


@pytest.fixture
async def claims_app(claims_settings: ClaimsSettings, clock: FixedClock) -> AsyncIterator[object]:
    async with running(create_claims_app(claims_settings, clock)) as app:
        yield app


@pytest.fixture
async def claims_service(
    claims_settings: ClaimsSettings, clock: FixedClock, policies_app: object, debtors_app: object
) -> AsyncIterator[httpx.AsyncClient]:
    """The claims service in process, calling the in-process policies and debtors apps."""
    transports = {
        "policies": httpx.ASGITransport(app=policies_app),  # type: ignore[arg-type]
        "debtors": httpx.ASGITransport(app=debtors_app),  # type: ignore[arg-type]
    }
    async with running(create_claims_app(claims_settings, clock, transports)) as app:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://claims") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client
        await assert_worklist_in_step(app)


@pytest.fixture
def webhooks_settings(databases: Databases, key_pair: tuple[str, str]) -> WebhooksSettings:
    """The webhooks service with its delivery worker off (the e2e tests run it against a real receiver)."""
    return WebhooksSettings(
        database_url=databases.fresh("webhooks"),
        jwt_public_key=key_pair[1],
        internal_token=INTERNAL_TOKEN,
        delivery_enabled=False,
    )


@pytest.fixture
async def webhooks_app(webhooks_settings: WebhooksSettings, clock: FixedClock) -> AsyncIterator[object]:
    async with running(create_webhooks_app(webhooks_settings, clock)) as app:
        yield app
