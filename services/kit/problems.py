"""RFC 9457 problem+json: the one table from error kinds to HTTP statuses."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Send

from services.kit import errors
from services.kit.logs import LOGGED_MARK

log = logging.getLogger("credit_claims.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"

STATUS_BY_KIND: dict[type[errors.AppError], int] = {
    errors.MalformedRequest: 400,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.PreconditionFailed: 412,
    errors.PayloadTooLarge: 413,
    errors.InvalidInput: 422,
    errors.RuleBroken: 422,
    errors.PreconditionRequired: 428,
    errors.TooManyRequests: 429,
    errors.UpstreamInvalid: 502,
    errors.UpstreamUnavailable: 503,
    errors.DatabaseUnavailable: 503,
    errors.ConcurrentChange: 503,
    errors.UpstreamTimeout: 504,
}

_CODE_BY_HTTP_STATUS = {
    400: "MALFORMED_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def status_for(error: errors.AppError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS_BY_KIND:
            return STATUS_BY_KIND[kind]
    return 500


def problem_body(
    *, status: int, code: str, title: str, detail: str, instance: str | None, request_id: str | None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:credit-claims:problem:{code.lower().replace('_', '-')}",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    return body


def problem_headers(error: errors.AppError) -> dict[str, str]:
    headers: dict[str, str] = dict(error.headers)
    if isinstance(error, errors.RetryLater):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, errors.Unauthenticated):
        headers["WWW-Authenticate"] = (
            f'Bearer realm="credit-claims", error="invalid_token", error_description="{error.detail}"'
        )
    return headers


def problem_for(error: errors.AppError, *, instance: str | None, request_id: str | None) -> ProblemResponse:
    status = status_for(error)
    body = problem_body(
        status=status,
        code=error.code,
        title=error.title,
        detail=error.detail,
        instance=instance,
        request_id=request_id,
        **error.extra,
    )
    return ProblemResponse(body, status_code=status, headers=problem_headers(error))


async def send_problem(send: Send, error: errors.AppError, *, instance: str, request_id: str | None) -> None:
    """Answer a problem from pure ASGI code (no FastAPI request at hand)."""
    response = problem_for(error, instance=instance, request_id=request_id)
    await send({"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


def _request_id(request: Request) -> str | None:
    request_id: str | None = request.scope.get("state", {}).get("request_id")
    return request_id


async def _on_app_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, errors.AppError)
    return problem_for(exc, instance=request.url.path, request_id=_request_id(request))


async def _on_validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    if any(item.get("type") == "json_invalid" for item in raw):
        return problem_for(
            errors.MalformedRequest("The body is not valid JSON."),
            instance=request.url.path,
            request_id=_request_id(request),
        )
    details = [
        {"loc": [str(part) for part in item.get("loc", ())], "msg": item.get("msg", ""), "type": item.get("type", "")}
        for item in raw
    ]
    error = errors.InvalidInput(f"{len(details)} field(s) are not valid.", errors=details)
    return problem_for(error, instance=request.url.path, request_id=_request_id(request))


def _flat_routes(routes: list[Any]) -> list[Any]:
    found: list[Any] = []
    for route in routes:
        if hasattr(route, "original_router"):  # an included router keeps its own routes
            found += _flat_routes(route.original_router.routes)
        elif hasattr(route, "path_regex"):
            found.append(route)
    return found


def allowed_methods(request: Request) -> str:
    """Every method of the most specific path template matching the request (not only the first route's)."""
    matching = [route for route in _flat_routes(request.app.routes) if route.path_regex.match(request.url.path)]
    if not matching:
        return ""
    fewest = min(len(route.param_convertors) for route in matching)
    methods = {
        method for route in matching if len(route.param_convertors) == fewest for method in (route.methods or ())
    }
    return ", ".join(sorted(methods))


async def _on_http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODE_BY_HTTP_STATUS.get(exc.status_code, "HTTP_ERROR")
    body = problem_body(
        status=exc.status_code,
        code=code,
        title=str(exc.detail),
        detail=str(exc.detail),
        instance=request.url.path,
        request_id=_request_id(request),
    )
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    return ProblemResponse(body, status_code=exc.status_code, headers=headers)


async def _on_unexpected(request: Request, exc: Exception) -> ProblemResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    setattr(exc, LOGGED_MARK, True)  # logged here with its request id: the server need not log it again
    body = problem_body(
        status=500,
        code="INTERNAL_ERROR",
        title="Internal error",
        detail="The request failed on our side; quote the request id when you report it.",
        instance=request.url.path,
        request_id=_request_id(request),
    )
    return ProblemResponse(body, status_code=500)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of the app as problem+json."""
    app.add_exception_handler(errors.AppError, _on_app_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)


_DAY = {"type": "string", "format": "date", "examples": ["2026-06-30"]}
_AMOUNT = {"type": "string", "pattern": r"^\d+\.\d{2}$", "examples": ["14400.00"]}
_NAMES = {"type": "array", "items": {"type": "string"}}


def _member(schema: dict[str, Any], description: str, *, nullable: bool = False) -> dict[str, Any]:
    if nullable:
        return {"anyOf": [schema, {"type": "null"}], "description": description}
    return {**schema, "description": description}


# Extension members (RFC 9457 §3.2): what a client can act on without parsing `detail`. A problem carries only those
# its code gives; the list is open (additionalProperties), each one documented here.
PROBLEM_MEMBERS: dict[str, Any] = {
    "errors": _member(
        {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
        "VALIDATION_FAILED: each invalid field, where (`loc`) and why (`msg`)",
    ),
    "current_etag": _member({"type": "string"}, "PRECONDITION_FAILED: the resource's ETag now; read it again"),
    "existing_debtor_id": _member(
        {"type": "string", "format": "uuid"}, "DEBTOR_EXISTS: the debtor already registered with this identifier"
    ),
    "claim_id": _member(
        {"type": "string", "format": "uuid"},
        "CLAIM_ALREADY_OPEN: the live claim to add invoices to; DECLARATION_REJECTED: the claim kept as rejected",
    ),
    "reasons": _member(
        {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "detail"],
                "properties": {
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                    "invoice_number": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                },
            },
        },
        "DECLARATION_REJECTED, INVOICES_NOT_COVERED: every reason the cover check gave",
    ),
    "invoice_numbers": _member(_NAMES, "INVOICE_ALREADY_CLAIMED: the invoices already held by a claim"),
    "unmet_duties": _member(_NAMES, "COLLECTION_DUTIES_UNMET: the collection duties still to meet"),
    "needed": _member(_NAMES, "COLLECTION_DOCUMENTS_MISSING: the kinds of document still needed"),
    "field": _member({"type": "string"}, "The body field or identifier refused"),
    "parameter": _member({"type": "string"}, "The query parameter refused"),
    "current_status": _member({"type": "string"}, "The status the resource is in"),
    "requested_status": _member({"type": "string"}, "The status asked for"),
    "route": _member({"type": "string"}, "The collection route in progress", nullable=True),
    "stage": _member({"type": "string"}, "The stage the collection route is at", nullable=True),
    "unpaid": _member(_AMOUNT, "What the debtor still owes on the claim"),
    "still_owed": _member(_AMOUNT, "RECOVERY_EXCEEDS_OWED: what may still be recovered"),
    "today": _member(_DAY, "DATE_IN_FUTURE: the suite's today"),
    "due": _member(_DAY, "The day a deadline fell or falls", nullable=True),
    "as_of_date": _member(_DAY, "EXPOSURE_OUTDATED: the day of the exposure on record"),
    "earliest_effective_date": _member(_DAY, "The first day the decision may take effect"),
    "indemnified_on": _member(_DAY, "The day the indemnity was paid"),
    "opened_on": _member(_DAY, "The day the procedure opened"),
    "creance_deadline": _member(_DAY, "The day the créance is due", nullable=True),
    "window_end": _member(_DAY, "The last day of the debtor's opposition window"),
    "until": _member(_DAY, "The day a suspension ends"),
    "earliest": _member(_DAY, "The first day the step may be taken"),
    "period_end": _member(_DAY, "The last day of the drawer's payment period"),
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details, with a stable machine-readable code and the members its code gives.",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        **PROBLEM_MEMBERS,
    },
    "additionalProperties": True,
}

_DESCRIPTIONS = {
    400: "Malformed request: a body that is not JSON, a header or a path that is not valid",
    401: "Missing, expired or invalid bearer token",
    403: "The caller's role does not allow this operation",
    404: "Not found (or not visible to the caller)",
    409: "Conflicts with the current state",
    412: "If-Match does not match the current ETag",
    413: "Request body over 1 MiB",
    422: "Validation failed or a business rule refuses the request",
    428: "If-Match header required",
    502: "An upstream service answered badly",
    503: "An upstream service is unavailable; retry after Retry-After seconds",
    504: "An upstream service timed out",
}


RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before sending the request again", "schema": {"type": "integer"}}
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for these problem statuses (429 and 503 say when to retry)."""
    return {
        status: {
            "description": _DESCRIPTIONS.get(status, "Problem"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            **({"headers": RETRY_AFTER} if status in (429, 503) else {}),
        }
        for status in statuses
    }
