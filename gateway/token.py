"""POST /oauth/token: the OAuth2 client-credentials grant (RFC 6749 §4.4)."""

from __future__ import annotations

import asyncio
import base64
import binascii
from typing import Any
from urllib.parse import parse_qs, unquote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gateway.clients import RegisteredClient, secret_matches
from services.kit.clock import wall_clock
from services.kit.errors import InvalidInput, MalformedRequest, PayloadTooLarge, TooManyRequests, Unauthenticated
from services.kit.problems import problem_responses
from services.kit.schemas import ResponseBody

router = APIRouter(tags=["authentication"])


class TokenOut(ResponseBody):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    scope: str


class InvalidClient(Unauthenticated):
    code = "INVALID_CLIENT"
    title = "Client authentication failed"


class UnsupportedGrant(InvalidInput):
    code = "UNSUPPORTED_GRANT_TYPE"
    title = "Only the client_credentials grant is supported"


_FORM_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string"},
                        "scope": {"type": "string"},
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
    if form.get("grant_type") != "client_credentials":
        raise UnsupportedGrant("grant_type must be client_credentials.", error="unsupported_grant_type")
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
    token = state.token_issuer.issue(client.principal(), now=wall_clock(state.clock).now())
    body = TokenOut(
        access_token=token, expires_in=int(state.token_issuer.ttl.total_seconds()), scope=" ".join(sorted(client.roles))
    )
    return JSONResponse(body.model_dump(), headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
