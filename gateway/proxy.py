"""The /v1 reverse proxy: authenticate, route to the owning service, relay (pure ASGI)."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import orjson
from starlette.types import Receive, Scope, Send

from gateway.ratelimit import RateLimit
from services.kit.auth import TokenVerifier, bearer_token
from services.kit.clock import Clock
from services.kit.errors import (
    AppError,
    MalformedRequest,
    NotFound,
    PayloadTooLarge,
    UpstreamInvalid,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from services.kit.logs import note_caller
from services.kit.problems import send_problem
from services.kit.upstream import Upstream

# Which service owns each first path segment under /v1.
ROUTES: dict[str, str] = {
    "policies": "policies",
    "debtors": "debtors",
    "credit-limits": "debtors",
    "exposures": "debtors",
    "procedure-announcements": "debtors",
    "claims": "claims",
    "worklist": "claims",
    "webhook-endpoints": "webhooks",
}

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
        b"host",
        b"content-length",
    }
)
# The gateway's server writes its own.
UPSTREAM_ONLY = frozenset({b"date", b"server"})


def _is_json(response: httpx.Response) -> bool:
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


# Encoded dots, slashes and backslashes, and NUL: ways to climb out of a resource once a service decodes the path.
_ENCODED_ESCAPES = ("%2e", "%2f", "%5c", "%00")


class InvalidPath(MalformedRequest):
    code = "INVALID_PATH"
    title = "The path has dot segments, encoded slashes or backslashes"


def checked_path(scope: Scope) -> str:
    """The /v1 path if it stays where it says: no `.` or `..` segment, no encoded slash, dot or backslash."""
    path: str = scope["path"]
    raw = (scope.get("raw_path") or path.encode()).decode("latin-1").lower()
    if "\\" in path or any(escape in raw for escape in _ENCODED_ESCAPES):
        raise InvalidPath(f"Refused path {raw[:200]!r}.")
    if any(segment in {".", ".."} for segment in path.split("/")):
        raise InvalidPath(f"Refused path {raw[:200]!r}.")
    return path


def owner_of(path: str) -> str:
    segment = path[len("/v1/") :].split("/", 1)[0]
    service = ROUTES.get(segment)
    if service is None:
        raise NotFound(f"No resource at {path}.")
    return service


def route_label(path: str) -> str:
    """What a relayed request is counted and logged under: its resource, not its ids (few labels, no personal data)."""
    segments = path.split("/")
    return "/".join(segments[:3]) + ("/*" if len(segments) > 3 else "")


def _connection_listed(headers: list[tuple[bytes, bytes]]) -> frozenset[bytes]:
    named = set()
    for name, value in headers:
        if name == b"connection":
            named.update(token.strip().lower() for token in value.split(b","))
    return frozenset(named)


SET_BY_GATEWAY = frozenset(
    {b"x-request-id", b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"forwarded", b"x-real-ip"}
)


def forwardable(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Drop hop-by-hop headers, including those the Connection header names."""
    dropped = HOP_BY_HOP | _connection_listed(headers)
    return [(name, value) for name, value in headers if name not in dropped]


class Proxy:
    """Relays /v1 requests; every failure of ours or upstream's reaches the caller as problem+json.

    A request is built by the upstream's client and handed to its transport (the same pool): the client's own
    sending (redirects, auth, cookie jar) does nothing for a relay and was a fifth of the gateway's CPU.
    """

    def __init__(
        self,
        *,
        upstreams: Mapping[str, Upstream],
        verifier: TokenVerifier,
        clock: Clock,
        max_body: int,
        retry_after: int,
        bulk_limits: dict[str, int] | None = None,
        max_upstream_body: int = 32 * 1024 * 1024,
        rate_limit: RateLimit | None = None,
    ) -> None:
        self.upstreams = upstreams
        self.verifier = verifier
        self.clock = clock
        self.max_body = max_body
        self.bulk_limits = bulk_limits or {}
        self.retry_after = retry_after
        self.max_upstream_body = max_upstream_body
        self.rate_limit = rate_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = scope["state"]["request_id"]
        try:
            service = owner_of(checked_path(scope))
            scope["state"]["route_label"] = route_label(scope["path"])
            headers = scope["headers"]
            authorization = next((value for name, value in headers if name == b"authorization"), b"")
            principal = await self.verifier.authenticate(
                bearer_token(authorization.decode("latin-1")), now=self.clock.now()
            )
            note_caller(principal.client_id)
            if self.rate_limit is not None:
                self.rate_limit.take(principal.client_id)
            body = await self._body(headers, receive, self.bulk_limits.get(scope["path"], self.max_body))
            status, response_headers, content = await self._relay(service, scope, body, request_id)
        except AppError as error:
            await send_problem(send, error, instance=scope["path"], request_id=request_id)
            return
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": content})

    async def _body(self, headers: list[tuple[bytes, bytes]], receive: Receive, limit: int) -> bytes:
        declared = next((value for name, value in headers if name == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"Request bodies here are limited to {limit} bytes.")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"Request bodies here are limited to {limit} bytes.")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _content(self, service: str, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_upstream_body:
            raise UpstreamInvalid(f"The {service} service answered with an oversized body.")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_upstream_body:
                raise UpstreamInvalid(f"The {service} service answered with an oversized body.")
            chunks.append(chunk)
        return b"".join(chunks)

    async def _relay(
        self, service: str, scope: Scope, body: bytes, request_id: str
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        upstream = self.upstreams[service]
        # What the caller said of its request id and of where it came from is replaced by what the gateway saw.
        headers = [(name, value) for name, value in forwardable(scope["headers"]) if name not in SET_BY_GATEWAY]
        headers.append((b"x-request-id", request_id.encode()))
        peer = scope.get("client")
        if peer:
            headers.append((b"x-forwarded-for", peer[0].encode()))
        headers.append((b"x-forwarded-proto", scope.get("scheme", "http").encode()))
        query = scope.get("query_string", b"")
        target = scope["raw_path"] if scope.get("raw_path") else scope["path"].encode()
        url = target.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
        request = upstream.client.build_request(scope["method"], url, headers=headers, content=body)
        try:
            response = await upstream.transport.handle_async_request(request)
            try:
                content = await self._content(service, response)
            finally:
                await response.aclose()
        except httpx.TimeoutException as exc:
            if isinstance(exc, httpx.ConnectTimeout):
                raise UpstreamUnavailable(
                    f"The {service} service is unreachable.", retry_after=self.retry_after
                ) from exc
            raise UpstreamTimeout(f"The {service} service did not answer in time.") from exc
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise UpstreamUnavailable(f"The {service} service is unavailable.", retry_after=self.retry_after) from exc
        except httpx.HTTPError as exc:
            raise UpstreamInvalid(f"The {service} service answered badly.") from exc
        if _is_json(response) and content:
            try:
                orjson.loads(content)
            except ValueError as exc:
                raise UpstreamInvalid(f"The {service} service answered with invalid JSON.") from exc
        response_headers = forwardable([(name.lower(), value) for name, value in response.headers.raw])
        # aread() decoded any content encoding; what we send is the decoded body.
        response_headers = [
            (name, value)
            for name, value in response_headers
            if name != b"content-encoding" and name not in UPSTREAM_ONLY
        ]
        response_headers.append((b"content-length", str(len(content)).encode()))
        return response.status_code, response_headers, content
