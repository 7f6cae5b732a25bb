"""Kinds of failure every service raises; kit.problems maps them to HTTP once."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """A failure with a stable machine-readable code and a human detail."""

    code = "ERROR"
    title = "Error"

    def __init__(
        self, detail: str | None = None, *, code: str | None = None, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        self.detail = detail or self.title
        if code is not None:
            self.code = code
        self.headers = headers or {}
        self.extra = extra
        super().__init__(self.detail)


class NotFound(AppError):
    code = "NOT_FOUND"
    title = "Resource not found"


class Conflict(AppError):
    code = "CONFLICT"
    title = "Conflict with the current state"


class AlreadyExists(Conflict):
    """A unique constraint refused a row: another request created it first (or at the same time)."""

    code = "ALREADY_EXISTS"
    title = "This resource already exists"


class RuleBroken(AppError):
    """A business rule refuses the request (the input is well formed)."""

    code = "RULE_BROKEN"
    title = "A business rule refuses this request"


class InvalidInput(AppError):
    code = "VALIDATION_FAILED"
    title = "The request is not valid"


class MalformedRequest(AppError):
    code = "MALFORMED_REQUEST"
    title = "The request body cannot be read"


class PreconditionRequired(AppError):
    code = "PRECONDITION_REQUIRED"
    title = "This update needs an If-Match header"


class PreconditionFailed(AppError):
    code = "PRECONDITION_FAILED"
    title = "The resource changed since it was read"


class Unauthenticated(AppError):
    code = "UNAUTHENTICATED"
    title = "A valid bearer token is required"


class Forbidden(AppError):
    code = "FORBIDDEN"
    title = "Your role does not allow this operation"


class PayloadTooLarge(AppError):
    code = "PAYLOAD_TOO_LARGE"
    title = "The request body is too large"


class RetryLater(AppError):
    """A failure that passes: the answer says after how many seconds to try again (Retry-After)."""

    default_retry_after = 5

    def __init__(self, detail: str | None = None, *, retry_after: int | None = None, **extra: Any) -> None:
        self.retry_after = self.default_retry_after if retry_after is None else retry_after
        super().__init__(detail, **extra)


class TooManyRequests(RetryLater):
    code = "RATE_LIMITED"
    title = "Too many requests from this client; retry later"
    default_retry_after = 1


class UpstreamUnavailable(RetryLater):
    code = "UPSTREAM_UNAVAILABLE"
    title = "A service this request needs is unavailable"


class DatabaseUnavailable(RetryLater):
    code = "DATABASE_UNAVAILABLE"
    title = "The database does not answer; nothing was changed, retry later"


class ConcurrentChange(RetryLater):
    code = "CONCURRENT_CHANGE"
    title = "Another change to the same records ran at the same time; nothing was changed, retry"
    default_retry_after = 1


class UpstreamTimeout(AppError):
    code = "UPSTREAM_TIMEOUT"
    title = "A service this request needs did not answer in time"


class UpstreamInvalid(AppError):
    code = "UPSTREAM_INVALID"
    title = "A service this request needs gave an invalid answer"
