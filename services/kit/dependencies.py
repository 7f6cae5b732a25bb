"""FastAPI dependencies every service shares; all `async def`: FastAPI runs a plain `def` in a thread per request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request

from services.kit.clock import Clock
from services.kit.errors import InvalidInput
from services.kit.schemas import unsafe_character
from services.kit.uow import UnitOfWork

Work = TypeVar("Work", bound=UnitOfWork)


def writer(kind: type[Work]) -> Callable[[Request], Awaitable[Work]]:
    """A dependency giving a unit of work of this kind on the primary database."""

    async def unit_of_work(request: Request) -> Work:
        return kind(request.app.state.db, write=True)

    return unit_of_work


def reader(kind: type[Work]) -> Callable[[Request], Awaitable[Work]]:
    """A dependency giving a unit of work of this kind on the read replicas (the primary when there are none)."""

    async def unit_of_work(request: Request) -> Work:
        return kind(request.app.state.db, write=False)

    return unit_of_work


async def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


ClockDep = Annotated[Clock, Depends(_clock)]


def _query_names(route: Any) -> frozenset[str]:
    """The query parameters a route takes, its dependencies' included; worked out once per route."""
    known: frozenset[str] | None = getattr(route, "_known_query_names", None)
    if known is None:
        names: set[str] = set()
        pending = [route.dependant]
        while pending:
            dependant = pending.pop()
            names.update(param.alias for param in dependant.query_params)
            pending.extend(dependant.dependencies)
        known = frozenset(names)
        route._known_query_names = known  # routes are unhashable: the answer is kept on the route
    return known


async def known_query_only(request: Request) -> None:
    """A query parameter the route does not take is refused, as an unknown body field is (a typo filters nothing)."""
    route = request.scope.get("route")
    if route is None or not hasattr(route, "dependant"):
        return
    unknown = set(request.query_params) - _query_names(route)
    if unknown:
        raise InvalidInput(f"Unknown query parameter(s): {', '.join(sorted(unknown))}.", code="UNKNOWN_QUERY_PARAMETER")
    for name, value in request.query_params.multi_items():
        bad = unsafe_character(value, line=True)
        if bad:
            raise InvalidInput(
                f"The query parameter {name} contains the control character {bad}.",
                code="INVALID_QUERY_PARAMETER",
                parameter=name,
            )
