"""Debtors service settings (env prefix DEBTORS_)."""

from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings, sqlite_url


class DebtorsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEBTORS_", extra="ignore")

    database_url: str = sqlite_url("debtors")
    policies_url: str = "http://127.0.0.1:8001"
