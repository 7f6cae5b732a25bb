"""The debtors service's units of work, as route dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.debtors.adapters.repository import DebtorsUnitOfWork
from services.kit.dependencies import reader, writer

Writer = Annotated[DebtorsUnitOfWork, Depends(writer(DebtorsUnitOfWork))]
Reader = Annotated[DebtorsUnitOfWork, Depends(reader(DebtorsUnitOfWork))]
