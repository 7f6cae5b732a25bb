"""Who may call a route, named once by permission, and what every route needs of its request, in one bundle."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Request

from services.kit.auth import Allow, Principal, Role

# The permissions of the suite, each the roles that hold it; a route names one (DESIGN §8 lists them).
READ = (Role.INSURED, Role.UNDERWRITER, Role.CLAIMS_HANDLER, Role.ADMIN)  # what the caller may see
DECLARE = (Role.INSURED,)  # an insured's own claims and the facts of their collection
COLLECT = (Role.INSURED, Role.CLAIMS_HANDLER, Role.ADMIN)  # the steps of a claim's collection track
REQUEST_LIMITS = (Role.INSURED, Role.UNDERWRITER, Role.ADMIN)  # ask for a credit limit, state an exposure
UNDERWRITE = (Role.UNDERWRITER, Role.ADMIN)  # policies and credit-limit decisions
HANDLE_CLAIMS = (Role.CLAIMS_HANDLER, Role.ADMIN)  # indemnities, closures, sweeps, judgments, the worklist
ADMINISTER = (Role.ADMIN,)


@dataclass(frozen=True, slots=True)
class Call:
    """One request as a handler needs it: who calls, when (the business clock), from which request, and the ETag
    the caller last read (If-Match) when the route changes what it read."""

    principal: Principal
    now: datetime
    request_id: str | None
    if_match: str | None = None

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
ToRequestLimits = Annotated[Call, Depends(call_by(*REQUEST_LIMITS))]
ToUnderwrite = Annotated[Call, Depends(call_by(*UNDERWRITE))]
ToChangeUnderwritten = Annotated[Call, Depends(change_by(*UNDERWRITE))]
ToHandleClaims = Annotated[Call, Depends(call_by(*HANDLE_CLAIMS))]
ToChangeHandled = Annotated[Call, Depends(change_by(*HANDLE_CLAIMS))]
ToAdminister = Annotated[Call, Depends(call_by(*ADMINISTER))]
