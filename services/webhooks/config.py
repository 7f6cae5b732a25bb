"""Webhooks service settings (env prefix WEBHOOKS_)."""

from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings, sqlite_url


class WebhooksSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WEBHOOKS_", extra="ignore")

    database_url: str = sqlite_url("webhooks")
    delivery_enabled: bool = True
    delivery_timeout_seconds: float = 10.0
    """Longest an attempt may last in all (connection, request, status line): a hanging or trickling receiver costs
    one worker slot this long, never a request of the suite."""
    delivery_poll_seconds: float = 1.0
    delivery_concurrency: int = 8
    """Messages one worker pass takes and tries side by side (each leased, so several replicas share the work)."""
    delivery_lease_seconds: float = 60.0
    """A message taken by a worker that died is taken again after this long."""
    retry_time_scale: float = 1.0
    """Multiplies the retry schedule (tests shrink 27 hours to seconds); 1 in production."""
    rotation_overlap_hours: float = 24.0
    """How long a rotated secret still signs beside its successor."""
