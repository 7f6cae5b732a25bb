"""The claims service's units of work, as route dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.claims.adapters.repository import ClaimsUnitOfWork
from services.kit.dependencies import reader, writer

Writer = Annotated[ClaimsUnitOfWork, Depends(writer(ClaimsUnitOfWork))]
Reader = Annotated[ClaimsUnitOfWork, Depends(reader(ClaimsUnitOfWork))]
