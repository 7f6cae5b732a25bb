"""Alembic environment of the debtors service."""

from services.debtors.adapters.tables import metadata
from services.debtors.config import DebtorsSettings
from services.kit.migrations import run

run(metadata=metadata, version_table="alembic_version_debtors", default_url=lambda: DebtorsSettings().database_url)
