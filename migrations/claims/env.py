"""Alembic environment of the claims service."""

from services.claims.adapters.tables import metadata
from services.claims.config import ClaimsSettings
from services.kit.migrations import run

run(metadata=metadata, version_table="alembic_version_claims", default_url=lambda: ClaimsSettings().database_url)
