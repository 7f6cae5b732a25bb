"""Policies service settings (env prefix POLICIES_)."""

from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings, sqlite_url


class PoliciesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="POLICIES_", extra="ignore")

    database_url: str = sqlite_url("policies")
