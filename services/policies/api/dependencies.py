"""The policies service's units of work, as route dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.kit.dependencies import reader, writer
from services.policies.adapters.repository import PoliciesUnitOfWork

Writer = Annotated[PoliciesUnitOfWork, Depends(writer(PoliciesUnitOfWork))]
Reader = Annotated[PoliciesUnitOfWork, Depends(reader(PoliciesUnitOfWork))]
