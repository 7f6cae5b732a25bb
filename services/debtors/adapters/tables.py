"""The debtors database: its own metadata, so its Alembic history sees only these tables."""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from services.kit.db import service_metadata

metadata = service_metadata()


class Table(SQLModel, registry=registry(metadata=metadata)):
    pass
