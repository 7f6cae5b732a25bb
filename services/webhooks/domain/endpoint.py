"""What a partner may register as a webhook endpoint, and which events it may ask for."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2000


class EventType(StrEnum):
    CLAIM_OPENED = "claim.opened"
    CLAIM_REJECTED = "claim.rejected"
    CLAIM_STATUS_CHANGED = "claim.status_changed"
    CLAIM_DEADLINE_APPROACHING = "claim.deadline_approaching"  # créance, waiting period end, collection step
    CLAIM_INDEMNITY_PAID = "claim.indemnity_paid"
    CLAIM_RECOVERY_SHARED = "claim.recovery_shared"
    CREDIT_LIMIT_DECIDED = "credit_limit.decided"
    DEBTOR_PROCEDURE_CHANGED = "debtor.procedure_changed"  # only to insureds with a claim or limit on the debtor


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    detail: str


def _host_problem(host: str, *, sandbox: bool) -> Reason | None:
    """Outside sandbox mode the suite sends nothing to its own network: loopback, private or link-local."""
    if sandbox:
        return None
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return Reason("URL_NOT_PUBLIC", f"{host} is not a public host.")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if not address.is_global:
        return Reason("URL_NOT_PUBLIC", f"{host} is not a public address.")
    return None


def _url_problems(url: str, *, sandbox: bool) -> list[Reason]:
    if len(url) > MAX_URL_LENGTH:
        return [Reason("URL_TOO_LONG", f"A URL is at most {MAX_URL_LENGTH} characters.")]
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (an out-of-range port raises here)
    except ValueError:
        return [Reason("URL_INVALID", "The URL cannot be read.")]
    if parts.scheme not in ("https", "http") or not host:
        return [Reason("URL_INVALID", "The URL is http(s)://host/path.")]
    reasons = []
    if parts.scheme != "https" and not sandbox:
        reasons.append(Reason("URL_NOT_HTTPS", "Outside the sandbox, events are sent over https only."))
    if parts.username is not None or parts.password is not None:
        reasons.append(Reason("URL_HAS_CREDENTIALS", "Credentials do not belong in the URL: verify the signature."))
    if parts.fragment:
        reasons.append(Reason("URL_HAS_FRAGMENT", "A fragment is never sent to a server."))
    problem = _host_problem(host, sandbox=sandbox)
    return [*reasons, problem] if problem else reasons


def endpoint_problems(url: str, event_types: Iterable[str], *, sandbox: bool) -> list[Reason]:
    """Every reason this endpoint cannot be registered (none: it can)."""
    asked = list(event_types)
    reasons = _url_problems(url, sandbox=sandbox)
    if not asked:
        reasons.append(Reason("NO_EVENT_TYPES", "Ask for at least one event type."))
    known = {kind.value for kind in EventType}
    reasons += [Reason("UNKNOWN_EVENT_TYPE", f"{kind!r} is not an event type.") for kind in asked if kind not in known]
    return reasons
