"""Registering, reading, changing and removing an insured's webhook endpoints, and rotating their secrets.

Times here are real time (`now`), as for tokens and leases: a sandbox's business clock moves claims' deadlines,
never when a secret expires or a message is due."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.kit.auth import Principal
from services.kit.dependencies import Call, expected_version
from services.kit.pagination import Page, PageRequest, page_of
from services.webhooks.adapters.repository import WebhooksUnitOfWork
from services.webhooks.adapters.tables import Endpoint
from services.webhooks.domain.endpoint import endpoint_problems
from services.webhooks.domain.errors import EndpointRefused, InsuredRequired, RotationUnderWay, TooManyEndpoints
from services.webhooks.domain.signing import secret_from

MAX_ENDPOINTS = 20


@dataclass(frozen=True, slots=True)
class NewEndpoint:
    url: str
    event_types: list[str]
    description: str | None = None
    insured_id: str | None = None


@dataclass(frozen=True, slots=True)
class EndpointChanges:
    url: str | None = None
    event_types: list[str] | None = None
    description: str | None = None
    enabled: bool | None = None


def new_secret() -> str:
    return secret_from(secrets.token_bytes(32))


def secrets_in_force(endpoint: Endpoint, *, now: datetime) -> list[str]:
    """The current secret, and the rotated one while its overlap lasts."""
    overlapping = endpoint.previous_secret and endpoint.previous_secret_until and endpoint.previous_secret_until > now
    return [endpoint.secret, endpoint.previous_secret] if overlapping else [endpoint.secret]  # type: ignore[list-item]


def _owner(principal: Principal, named: str | None) -> str:
    """Whose endpoint this is: an insured's own; an admin's, for the insured it names."""
    insured_id = principal.acting_for(named)
    if insured_id is None:
        raise InsuredRequired("Name the insured (insured_id) whose events the endpoint receives.")
    return insured_id


def _checked(url: str, event_types: list[str], *, sandbox: bool) -> None:
    reasons = endpoint_problems(url, event_types, sandbox=sandbox)
    if reasons:
        raise EndpointRefused(
            f"Refused: {', '.join(reason.code for reason in reasons)}.",
            reasons=[{"code": reason.code, "detail": reason.detail} for reason in reasons],
        )


async def register(
    uow: WebhooksUnitOfWork, *, data: NewEndpoint, call: Call, now: datetime, sandbox: bool
) -> tuple[Endpoint, str]:
    """A new endpoint and its secret (shown this once)."""
    insured_id = _owner(call.principal, data.insured_id)
    _checked(data.url, data.event_types, sandbox=sandbox)
    secret = new_secret()
    async with uow:
        if await uow.webhooks.endpoints_count(insured_id) >= MAX_ENDPOINTS:
            raise TooManyEndpoints(f"{insured_id} has {MAX_ENDPOINTS} endpoints: remove one first.")
        endpoint = Endpoint(
            insured_id=insured_id,
            url=data.url,
            description=data.description,
            event_types=sorted(set(data.event_types)),
            secret=secret,
            created_at=now,
            created_by=call.client_id,
            updated_at=now,
        )
        uow.webhooks.add(endpoint)
        await uow.commit()
    return endpoint, secret


async def endpoints(
    uow: WebhooksUnitOfWork, *, principal: Principal, insured_id: str | None, page: PageRequest
) -> Page[Endpoint]:
    async with uow:
        rows = await uow.webhooks.endpoints_page(
            seen_by=principal, insured_id=insured_id, after=page.after_id(), limit=page.limit
        )
    return page_of(rows, limit=page.limit, key=lambda row: [str(row.id)])


async def endpoint(uow: WebhooksUnitOfWork, *, endpoint_id: uuid.UUID, principal: Principal) -> Endpoint:
    async with uow:
        return await uow.webhooks.readable_endpoint(endpoint_id, principal)


async def change(
    uow: WebhooksUnitOfWork,
    *,
    endpoint_id: uuid.UUID,
    changes: EndpointChanges,
    call: Call,
    now: datetime,
    sandbox: bool,
) -> Endpoint:
    """Another URL or event types (checked as at registration), a description; enabled again (or paused)."""
    async with uow:
        found = await uow.webhooks.readable_endpoint(endpoint_id, call.principal, for_update=True)
        expected_version(call.if_match, current=found.version)
        url = changes.url if changes.url is not None else found.url
        event_types = changes.event_types if changes.event_types is not None else found.event_types
        _checked(url, event_types, sandbox=sandbox)
        found.url, found.event_types = url, sorted(set(event_types))
        if changes.description is not None:
            found.description = changes.description
        if changes.enabled is not None and changes.enabled != found.enabled:
            found.enabled = changes.enabled
            found.disabled_reason = None if changes.enabled else f"Paused by {call.client_id}."
            found.disabled_at = None if changes.enabled else now
        found.version += 1
        found.updated_at = now
        await uow.commit()
    return found


async def remove(uow: WebhooksUnitOfWork, *, endpoint_id: uuid.UUID, call: Call) -> None:
    """The endpoint, its messages and their attempts are gone; nothing more is sent to it."""
    async with uow:
        found = await uow.webhooks.readable_endpoint(endpoint_id, call.principal, for_update=True)
        expected_version(call.if_match, current=found.version)
        await uow.webhooks.delete_endpoint(found)
        await uow.commit()


async def rotate(
    uow: WebhooksUnitOfWork, *, endpoint_id: uuid.UUID, call: Call, now: datetime, overlap: timedelta
) -> tuple[Endpoint, str]:
    """A new secret; the former one still signs beside it for the overlap, so the receiver can switch."""
    secret = new_secret()
    async with uow:
        found = await uow.webhooks.readable_endpoint(endpoint_id, call.principal, for_update=True)
        if found.previous_secret_until is not None and found.previous_secret_until > now:
            # A second rotation would drop the first secret before the time its rotation promised.
            raise RotationUnderWay(f"The former secret signs until {found.previous_secret_until.isoformat()}.")
        found.previous_secret, found.previous_secret_until = found.secret, now + overlap
        found.secret = secret
        found.version += 1
        found.updated_at = now
        await uow.commit()
    return found, secret
