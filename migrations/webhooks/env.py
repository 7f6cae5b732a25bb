"""Alembic environment of the webhooks service."""

from services.kit.migrations import run
from services.webhooks.adapters.tables import metadata
from services.webhooks.config import WebhooksSettings

run(metadata=metadata, version_table="alembic_version_webhooks", default_url=lambda: WebhooksSettings().database_url)
