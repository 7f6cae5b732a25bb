"""Gateway settings (env prefix GATEWAY_)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from services.kit.identity_provider import IdentityProviderSettings
from services.kit.logs import LogSettings
from services.kit.settings import PROJECT_ROOT
from services.kit.tracing import TraceSettings


class GatewaySettings(LogSettings, TraceSettings, IdentityProviderSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    policies_url: str = "http://127.0.0.1:8001"
    debtors_url: str = "http://127.0.0.1:8002"
    claims_url: str = "http://127.0.0.1:8003"
    webhooks_url: str = "http://127.0.0.1:8004"
    jwt_private_key: str | None = None
    jwt_private_key_file: Path = PROJECT_ROOT / "var" / "keys" / "jwt-private.pem"
    jwt_issuer: str = "credit-claims"
    jwt_audience: str = "credit-claims"
    token_ttl_seconds: int = 900
    clients_file: Path | None = None
    """JSON list of registered clients; none registered means no token is issued."""
    connect_timeout: float = 2.0
    upstream_timeout: float = 15.0
    max_body_bytes: int = 1024 * 1024
    bulk_paths: tuple[str, ...] = ("/v1/procedure-announcements",)
    """Paths that take batches (10,000 BODACC records weigh about 5 MiB) and get the bulk limit."""
    max_bulk_body_bytes: int = 16 * 1024 * 1024
    max_upstream_connections: int = 32
    """Per service; httpcore walks the whole pool on every request, so a big idle pool costs CPU."""
    retry_after_seconds: int = 5
    max_upstream_body_bytes: int = 32 * 1024 * 1024
    """A bigger answer from a service is refused as invalid (502) rather than held in memory."""
    rate_limit_per_second: float = 0.0
    """Requests a second allowed per client on /v1 (0: no limit; `make run` and benchmarks leave it off)."""
    rate_limit_burst: int = 20
    docs_enabled: bool = True
    token_failures_per_client_and_address: int = 5
    """Failed token requests for a client id from one address within the window before that address waits (429)."""
    token_failures_per_address: int = 20
    """Failed token requests a source address may make within the window before it waits (429)."""
    token_failures_per_client: int = 100
    """Failed token requests for a client id from all addresses within the window before it waits (429): high,
    so that guessing from elsewhere cannot easily lock a partner out, bounded against a guessing spread wide."""
    token_attempts_in_flight_per_client: int = 16
    """Token requests for one client id checked at once; more are told to retry (429)."""
    token_failure_window_seconds: float = 60.0
    token_hashing_concurrency: int = 2
    """Secrets checked at once (scrypt, 16 MiB each): a burst of guesses waits rather than growing the process."""
    token_hashing_queue: int = 16
    """Token requests waiting for a secret check; more at once are told to retry (429) rather than held."""
    internal_token: str | None = None
    """The services' shared internal token: the gateway needs it only to move a sandbox's clock."""
    sandbox: bool = False
    """Sandbox mode (`make run`): an admin moves the suite's business date forward at /v1/sandbox/clock."""
    sandbox_offset_days: int = 0
    sandbox_state_file: Path | None = None
    """Where the sandbox's offset is kept across restarts (make run: var/sandbox-clock.json)."""

    def private_key_pem(self) -> str:
        if self.jwt_private_key:
            return self.jwt_private_key
        return self.jwt_private_key_file.read_text()

    def upstreams(self) -> dict[str, str]:
        return {
            "policies": self.policies_url,
            "debtors": self.debtors_url,
            "claims": self.claims_url,
            "webhooks": self.webhooks_url,
        }
