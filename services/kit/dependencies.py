"""FastAPI dependencies every service shares."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.kit.clock import Clock
from services.kit.uow import UnitOfWork


def _writer(request: Request) -> UnitOfWork:
    return UnitOfWork(request.app.state.db, write=True)


def _reader(request: Request) -> UnitOfWork:
    return UnitOfWork(request.app.state.db, write=False)


def _clock(request: Request) -> Clock:
    return request.app.state.clock


def _request_id(request: Request) -> str | None:
    return request.scope.get("state", {}).get("request_id")


Writer = Annotated[UnitOfWork, Depends(_writer)]
Reader = Annotated[UnitOfWork, Depends(_reader)]
ClockDep = Annotated[Clock, Depends(_clock)]
RequestId = Annotated[str | None, Depends(_request_id)]
