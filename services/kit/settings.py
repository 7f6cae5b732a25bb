"""Settings shared by the three services; each service subclasses with its env prefix."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.kit.identity_provider import IdentityProviderSettings
from services.kit.logs import LogSettings
from services.kit.outbox import MAX_EVENTS_PER_REQUEST
from services.kit.tracing import TraceSettings

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class ServiceSettings(LogSettings, TraceSettings, IdentityProviderSettings):
    """What every service reads from its environment (prefix set by the subclass)."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str
    jwt_public_key: str | None = None
    jwt_public_key_file: Path = PROJECT_ROOT / "var" / "keys" / "jwt-public.pem"
    jwt_issuer: str = "credit-claims"
    jwt_audience: str = "credit-claims"
    docs_enabled: bool = True
    idempotency_lease_seconds: float = 60.0
    """A first request with a key that has not answered after this long is taken for dead (if it committed nothing)."""
    db_pool_size: int = 10
    upstream_max_connections: int = 16
    """Keep-alive connections to each service this one calls; more only pays off under more concurrency."""
    db_timeout_seconds: float = 10.0
    """Longest wait for a connection or a statement on PostgreSQL; past it the request answers 503."""
    sql_echo: bool = False
    internal_token: str | None = None
    """Shared secret of the suite's internal endpoints (events); unset refuses them all."""
    subscribers: dict[str, list[str]] = {}
    """Event type → internal URLs that receive it, e.g. {"debtor.procedure_changed.v1": ["http://claims:8003/internal/events"]}."""
    relay_enabled: bool = True
    relay_poll_seconds: float = 0.5
    migrate_on_start: bool = False
    """Bring the database to the code's schema before serving: for one process per database (`make run` on
    SQLite); with several replicas, migrate once before rolling out instead."""
    relay_lease_seconds: float = 30.0
    """A batch a relay took and did not settle (the process died) is sent again after this long."""
    relay_events_per_request: int = Field(default=MAX_EVENTS_PER_REQUEST, ge=1, le=MAX_EVENTS_PER_REQUEST)
    """At most this many of a destination's events go in one request (a list, applied in one transaction)."""
    sandbox: bool = False
    """Sandbox mode (`make run`): business time is a clock the gateway moves forward (never in production)."""
    sandbox_offset_days: int = 0
    """In sandbox mode, the days business time runs ahead of (or behind) the real date when the process starts."""

    def public_key_pem(self) -> str | None:
        """The suite's own token key; with an identity provider set, it may be absent (the provider's only)."""
        if self.jwt_public_key:
            return self.jwt_public_key
        if self.idp_jwks_url and not self.jwt_public_key_file.exists():
            return None
        return self.jwt_public_key_file.read_text()


def sqlite_url(name: str) -> str:
    """The embedded default: a SQLite file under var/."""
    return f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / f'{name}.db'}"
