"""Where a service's database schema stands against its Alembic history, and bringing it to head."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from services.kit.settings import PROJECT_ROOT


def migration_head(service: str) -> str | None:
    """The head revision of a service's Alembic history."""
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations" / service))
    return ScriptDirectory.from_config(config).get_current_head()


def version_table(service: str) -> str:
    return f"alembic_version_{service}"


def alembic_config(service: str, url: str) -> Config:
    """The service's section of alembic.ini, aimed at this database."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"), ini_section=service)
    config.attributes["url"] = url
    return config


def upgrade_to_head(service: str, url: str) -> None:
    """`alembic -n <service> upgrade head` in this process (it runs its own event loop: call it from a thread)."""
    command.upgrade(alembic_config(service, url), "head")
