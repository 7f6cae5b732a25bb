"""Back-office settings (env prefix BACKOFFICE_)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from services.kit.logs import LogSettings
from services.kit.settings import PROJECT_ROOT
from services.kit.tracing import TraceSettings


class BackofficeSettings(LogSettings, TraceSettings):
    model_config = SettingsConfigDict(env_prefix="BACKOFFICE_", extra="ignore")

    gateway_url: str = "http://127.0.0.1:8000"
    """The suite's public API: the back office reads and writes through it only."""
    client_id: str = "backoffice"
    """The back office's registered client at the gateway, trusted to ask tokens naming its people."""
    client_secret: str | None = None
    client_secret_file: Path | None = None
    users_file: Path | None = None
    """JSON list of people: login, name, roles, scrypt password hash (`python -m backoffice.users`)."""
    secure_cookies: bool = True
    """Session cookie sent over HTTPS only (`__Host-` prefix); `make run` turns it off for http://127.0.0.1."""
    idle_timeout_minutes: int = 30
    """A session unused this long is closed: the person logs in again."""
    session_hours: int = 10
    """A session ends this long after login, used or not."""
    max_sessions: int = 10_000
    login_failures_per_person_and_address: int = 5
    login_failures_per_address: int = 20
    login_failures_per_person: int = 50
    login_failure_window_seconds: float = 300.0
    hashing_concurrency: int = 2
    timeout_seconds: float = 15.0
    page_size: int = 50

    def secret(self) -> str:
        if self.client_secret:
            return self.client_secret
        if self.client_secret_file is not None:
            return self.client_secret_file.read_text().strip()
        raise RuntimeError("set BACKOFFICE_CLIENT_SECRET or BACKOFFICE_CLIENT_SECRET_FILE")


DEMO_USERS = PROJECT_ROOT / "deploy" / "dev-people.json"
