"""Alembic environment of the policies service."""

from services.kit.migrations import run
from services.policies.adapters.tables import metadata
from services.policies.config import PoliciesSettings

run(metadata=metadata, version_table="alembic_version_policies", default_url=lambda: PoliciesSettings().database_url)
