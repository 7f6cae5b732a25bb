"""What every route needs of its request, as FastAPI dependencies (all `async def`: FastAPI runs a plain `def` in a
thread per request): who may call it, named once by permission, and the call they make (who, when, which request,
the ETag last read); the units of work; the query parameters a route takes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request

from services.kit.auth import Allow, Principal, Role
from services.kit.clock import Clock
from services.kit.errors import InvalidInput, PreconditionFailed, PreconditionRequired
from services.kit.outbox import Outbox
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


async def _outbox(request: Request) -> Outbox:
    outbox: Outbox = request.app.state.outbox
    return outbox


OutboxDep = Annotated[Outbox, Depends(_outbox)]
"""The service's outbox: events written in the command's transaction, delivered after it commits."""


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


# The permissions of the suite, each the roles that hold it; a route names one (DESIGN §3 names them).
READ = (Role.INSURED, Role.UNDERWRITER, Role.CLAIMS_HANDLER, Role.ADMIN)  # what the caller may see
DECLARE = (Role.INSURED,)  # an insured's own claims and the facts of their collection
COLLECT = (Role.INSURED, Role.CLAIMS_HANDLER, Role.ADMIN)  # the steps of a claim's collection track
# The déclaration de créance: by the creditor or any mandataire of its choice (Code de commerce L622-24 al. 2),
# so the insured's own, or the insurer's claims handler under the policy's mandate.
FILE_CREANCE = (Role.INSURED, Role.CLAIMS_HANDLER, Role.ADMIN)
REQUEST_LIMITS = (Role.INSURED, Role.UNDERWRITER, Role.ADMIN)  # ask for a credit limit, state an exposure
UNDERWRITE = (Role.UNDERWRITER, Role.ADMIN)  # policies and credit-limit decisions
HANDLE_CLAIMS = (Role.CLAIMS_HANDLER, Role.ADMIN)  # indemnities, closures, sweeps, judgments, the worklist
ADMINISTER = (Role.ADMIN,)
SUBSCRIBE = (Role.INSURED, Role.ADMIN)  # an insured's webhook endpoints (an admin's for a named insured)


@dataclass(frozen=True, slots=True)
class Call:
    """One request as a handler needs it: who calls, when (the business clock), from which request, and the ETag
    the caller last read (If-Match) when the route changes what it read."""

    principal: Principal
    now: datetime
    request_id: str | None
    if_match: str | None = None

    @property
    def client_id(self) -> str:
        return self.principal.client_id

    @property
    def source(self) -> str | None:
        """Where a change comes from, as the timeline records it."""
        return f"request:{self.request_id}" if self.request_id else None


def _request_id(request: Request) -> str | None:
    request_id: str | None = request.scope.get("state", {}).get("request_id")
    return request_id


def call_by(*roles: Role) -> Callable[..., Awaitable[Call]]:
    """The dependency of a route these roles may call."""
    allow = Allow(*roles)

    # The role check is a default, not an annotation: annotations are read from the module, where `allow` is not.
    async def call(request: Request, principal: Principal = Depends(allow)) -> Call:
        return Call(principal, request.app.state.clock.now(), _request_id(request))

    return call


def change_by(*roles: Role) -> Callable[..., Awaitable[Call]]:
    """The dependency of a route these roles may call to change what they read: it takes the If-Match header."""
    allow = Allow(*roles)

    async def change(
        request: Request,
        if_match: Annotated[
            str | None, Header(max_length=200, description="The ETag of the resource as last read (412 if stale).")
        ] = None,
        principal: Principal = Depends(allow),
    ) -> Call:
        return Call(principal, request.app.state.clock.now(), _request_id(request), if_match)

    return change


ToRead = Annotated[Call, Depends(call_by(*READ))]
ToDeclare = Annotated[Call, Depends(call_by(*DECLARE))]
ToChangeDeclared = Annotated[Call, Depends(change_by(*DECLARE))]
ToCollect = Annotated[Call, Depends(call_by(*COLLECT))]
ToFileCreance = Annotated[Call, Depends(change_by(*FILE_CREANCE))]
ToRequestLimits = Annotated[Call, Depends(call_by(*REQUEST_LIMITS))]
ToUnderwrite = Annotated[Call, Depends(call_by(*UNDERWRITE))]
ToChangeUnderwritten = Annotated[Call, Depends(change_by(*UNDERWRITE))]
ToHandleClaims = Annotated[Call, Depends(call_by(*HANDLE_CLAIMS))]
ToChangeHandled = Annotated[Call, Depends(change_by(*HANDLE_CLAIMS))]
ToAdminister = Annotated[Call, Depends(call_by(*ADMINISTER))]
ToSubscribe = Annotated[Call, Depends(call_by(*SUBSCRIBE))]
ToChangeSubscribed = Annotated[Call, Depends(change_by(*SUBSCRIBE))]


# HTTP preconditions: strong ETags from a row version, If-Match required on updates.


def etag_of(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None, *, current: int) -> int:
    """The version the caller updates from; 428 without If-Match, 412 when it is stale."""
    if not if_match:
        raise PreconditionRequired("Send If-Match with the ETag you read.")
    candidates = [tag.strip() for tag in if_match.split(",")]
    if "*" in candidates or etag_of(current) in candidates:
        return current
    raise PreconditionFailed(f"The resource is now at ETag {etag_of(current)}.", current_etag=etag_of(current))
