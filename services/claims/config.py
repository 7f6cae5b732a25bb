"""Claims service settings (env prefix CLAIMS_)."""

from typing import Any

from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings, sqlite_url


class ClaimsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CLAIMS_", extra="ignore")

    database_url: str = sqlite_url("claims")
    policies_url: str = "http://127.0.0.1:8001"
    debtors_url: str = "http://127.0.0.1:8002"
    sweep_every_seconds: float = 3600.0
    """How often the deadline sweep runs in the background (0 turns it off)."""
    collection: dict[str, Any] = {}
    """Collection periods that differ from the defaults, e.g. {"formal_notice_days": 15}; policy terms win."""
    worklist_catch_up_seconds: float = 600.0
    """How often the worklist works out again the claims whose period ended (a read catches up all the same)."""
