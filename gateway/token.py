"""POST /oauth/token: the OAuth2 client-credentials grant (RFC 6749 §4.4), and token exchange (RFC 8693) for the
back office's web application, which asks a token naming each person it has logged in."""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
from typing import Any
from urllib.parse import parse_qs, unquote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gateway.clients import RegisteredClient
from services.kit.auth import Principal, Role
from services.kit.clock import wall_clock
from services.kit.errors import InvalidInput, MalformedRequest, PayloadTooLarge, TooManyRequests, Unauthenticated
from services.kit.problems import problem_responses
from services.kit.schemas import ResponseBody
from services.kit.secrets import secret_matches

router = APIRouter(tags=["authentication"])


CLIENT_CREDENTIALS = "client_credentials"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
PERSON = "urn:credit-claims:token-type:person"
"""The subject a token exchange names: a back-office person's login, vouched for by the client asking."""
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
PERSON_LOGIN = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")


class TokenOut(ResponseBody):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    scope: str
    issued_token_type: str = ACCESS_TOKEN


class InvalidClient(Unauthenticated):
    code = "INVALID_CLIENT"
    title = "Client authentication failed"


class UnsupportedGrant(InvalidInput):
    code = "UNSUPPORTED_GRANT_TYPE"
    title = "Only the client_credentials and token-exchange grants are supported"


class UnauthorizedClient(InvalidInput):
    code = "UNAUTHORIZED_CLIENT"
    title = "This client may not use this grant"


class InvalidRequest(InvalidInput):
    code = "INVALID_TOKEN_REQUEST"
    title = "The token request names no person or role this client may ask for"


_FORM_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": [CLIENT_CREDENTIALS, TOKEN_EXCHANGE]},
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string"},
                        "scope": {"type": "string", "description": "Token exchange: the person's roles."},
                        "subject_token": {"type": "string", "description": "Token exchange: the person's login."},
                        "subject_token_type": {"type": "string", "enum": [PERSON]},
                    },
                },
                "example": {
                    "grant_type": "client_credentials",
                    "client_id": "acme-erp",
                    "client_secret": "s3cr3t-from-your-onboarding",
                },
            }
        },
    }
}


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidClient("The Basic credentials cannot be read.") from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise InvalidClient("The Basic credentials cannot be read.")
    return unquote(client_id), unquote(secret)


# A token request is a few short fields: anything longer is refused before it is held in memory.
MAX_FORM_BYTES = 8 * 1024
MAX_CLIENT_ID = 128
MAX_SECRET = 1024


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise PayloadTooLarge(f"A token request is at most {MAX_FORM_BYTES} bytes.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise PayloadTooLarge(f"A token request is at most {MAX_FORM_BYTES} bytes.")
    return bytes(body)


async def _form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise MalformedRequest("Send the token request as application/x-www-form-urlencoded.")
    try:
        fields = parse_qs((await _body(request)).decode(), strict_parsing=False, max_num_fields=20)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedRequest("The form cannot be read.") from exc
    return {name: values[0] for name, values in fields.items()}


def _bounded(credentials: tuple[str, str]) -> tuple[str, str]:
    """No registered client has a longer id or secret: a longer one is refused before it is counted or hashed."""
    client_id, secret = credentials
    if len(client_id) > MAX_CLIENT_ID or len(secret) > MAX_SECRET:
        raise InvalidClient("Unknown client or wrong secret.", error="invalid_client")
    return credentials


async def _checked_secret(state: Any, credentials: tuple[str, str], stored: str) -> bool:
    """scrypt is deliberately slow and takes 16 MiB: off the event loop, on the few threads kept for it. A burst
    waits in a short queue; beyond it the caller retries (429): waiting requests would grow the process too."""
    if state.secrets_waiting >= state.settings.token_hashing_queue:
        raise TooBusy("Too many token requests at once; retry in a second.", retry_after=1)
    state.secrets_waiting += 1
    try:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(state.hashing, secret_matches, credentials[1], stored)
    finally:
        state.secrets_waiting -= 1


class TooBusy(TooManyRequests):
    code = "TOKEN_ENDPOINT_BUSY"
    title = "Too many token requests at once; retry shortly"


@router.post(
    "/oauth/token",
    operation_id="issueToken",
    response_model=TokenOut,
    openapi_extra=_FORM_SCHEMA,
    responses=problem_responses(400, 401, 413, 422, 429),
    summary="Get a bearer token (client credentials)",
)
async def issue_token(request: Request) -> JSONResponse:
    form = await _form(request)
    grant = form.get("grant_type")
    if grant not in (CLIENT_CREDENTIALS, TOKEN_EXCHANGE):
        raise UnsupportedGrant(
            "grant_type must be client_credentials or token exchange.", error="unsupported_grant_type"
        )
    client = await _authenticated(request, form)
    state = request.app.state
    if grant == TOKEN_EXCHANGE:
        principal = _person(client, form, state.clients)
    elif client.roles:
        principal = client.principal()
    else:
        raise UnauthorizedClient("This client acts for people only: use token exchange.", error="unauthorized_client")
    actor = client.client_id if grant == TOKEN_EXCHANGE else None
    token = state.token_issuer.issue(principal, now=wall_clock(state.clock).now(), actor=actor)
    body = TokenOut(
        access_token=token,
        expires_in=int(state.token_issuer.ttl.total_seconds()),
        scope=" ".join(sorted(principal.roles)),
    )
    return JSONResponse(body.model_dump(), headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


async def _authenticated(request: Request, form: dict[str, str]) -> RegisteredClient:
    """The registered client whose secret this request carries (Basic or form), throttled on failures."""
    credentials = _bounded(
        _basic_credentials(request.headers.get("authorization"))
        or (form.get("client_id", ""), form.get("client_secret", ""))
    )
    state = request.app.state
    clients: dict[str, RegisteredClient] = state.clients
    address = request.client.host if request.client else "unknown"
    with state.failed_logins.attempt(client_id=credentials[0], address=address) as attempt:
        client = clients.get(credentials[0])
        # An unknown client is checked against a hash all the same: its answer takes as long as a wrong secret's.
        stored = client.secret_hash if client is not None else state.dummy_secret_hash
        matches = await _checked_secret(state, credentials, stored)
        attempt.failed = client is None or not matches
    if client is None or not matches:
        raise InvalidClient("Unknown client or wrong secret.", error="invalid_client")
    return client


def _person(client: RegisteredClient, form: dict[str, str], clients: dict[str, RegisteredClient]) -> Principal:
    """The person a trusted client names, with the back-office roles it asks for them (RFC 8693 §2.1)."""
    if not client.acts_for:
        raise UnauthorizedClient("This client may not act on a person's behalf.", error="unauthorized_client")
    login = form.get("subject_token", "")
    if form.get("subject_token_type") != PERSON or not PERSON_LOGIN.fullmatch(login):
        raise InvalidRequest(f"Name the person: subject_token_type {PERSON} and their login.", error="invalid_request")
    if login in clients:
        raise InvalidRequest("A person's login may not be a registered client's id.", error="invalid_request")
    try:
        roles = frozenset(Role(role) for role in form.get("scope", "").split())
    except ValueError as exc:
        raise InvalidRequest("The scope names an unknown role.", error="invalid_scope") from exc
    if not roles or not roles <= client.acts_for:
        allowed = " ".join(sorted(client.acts_for))
        raise InvalidRequest(f"Ask for one or more of: {allowed}.", error="invalid_scope")
    return Principal(client_id=login, roles=roles)
