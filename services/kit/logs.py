"""Structured logs: one line per request, and every line naming the service, the request, the trace and the caller."""

from __future__ import annotations

import json
import logging
import sys
import time
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic_settings import BaseSettings

LogFormat = Literal["json", "text"]
LogLevel = Literal["debug", "info", "warning", "error"]

access_log = logging.getLogger("credit_claims.access")


@dataclass(slots=True)
class RequestContext:
    """What every log line written while serving a request says about it."""

    service: str
    request_id: str
    trace_id: str | None = None
    client_id: str | None = None


# Set by the request-id middleware and never reset: under uvicorn each request runs in a task of its own, so the
# value ends with the task, and what the server itself logs about the request after the app returned names it too.
current_request: ContextVar[RequestContext | None] = ContextVar("credit_claims_request", default=None)


def note_caller(client_id: str) -> None:
    """The authenticated caller of the request being served, for its log lines (a client id, never a token)."""
    context = current_request.get()
    if context is not None:
        context.client_id = client_id


def trace_id_of(traceparent: bytes) -> str | None:
    """The trace id of a W3C traceparent header (version 00), or None when it is absent or malformed."""
    parts = traceparent.split(b"-")
    if len(parts) != 4 or parts[0] != b"00" or len(parts[1]) != 32 or len(parts[2]) != 16 or len(parts[3]) != 2:
        return None
    trace = parts[1].decode("ascii", errors="replace").lower()
    if trace == "0" * 32 or any(char not in "0123456789abcdef" for char in trace):
        return None
    return trace


PROBES = frozenset({"/healthz", "/readyz", "/metrics"})
"""Asked every few seconds by the orchestrator and the scraper: their lines are debug, not to drown the rest."""


def log_request(*, method: str, route: str, status: int, seconds: float) -> None:
    """The request's one access line: error level when the suite failed it (5xx), info otherwise; probes debug."""
    # A probe's 503 says "not ready yet" (a start, a database away): the metrics and alerts tell of that, not a
    # line every few seconds.
    level = logging.DEBUG if route in PROBES else (logging.ERROR if status >= 500 else logging.INFO)
    if access_log.isEnabledFor(level):
        duration_ms = round(seconds * 1000, 2)
        access_log.log(
            level,
            "%s %s %s %.1f ms",
            method,
            route,
            status,
            duration_ms,
            extra={"method": method, "route": route, "status": status, "duration_ms": duration_ms},
        )


_CONTEXT_FIELDS = ("request_id", "trace_id", "client_id")
_REQUEST_FIELDS = ("method", "route", "status", "duration_ms")
LOGGED_MARK = "_credit_claims_logged"
"""Set on an exception once it is logged with its request, so that the server does not log it a second time."""


class _WithRequest(logging.Filter):
    """Give each record the service and the request being served (the process's service outside a request)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        context = current_request.get()
        record.service = context.service if context else self.service
        for name in _CONTEXT_FIELDS:
            if not hasattr(record, name):
                setattr(record, name, getattr(context, name) if context else None)
        return True


class _NotLoggedYet(logging.Filter):
    """Drop the server's own report of an exception the app already logged with its request."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not getattr(error, LOGGED_MARK, False)


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonLines(logging.Formatter):
    """One JSON object a line, for a log collector."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname.lower(),
            "service": getattr(record, "service", None),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in (*_CONTEXT_FIELDS, *_REQUEST_FIELDS):
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


_UNPRINTABLE = {code: f"\\x{code:02x}" for code in (*range(32), 127)}


class ReadableText(logging.Formatter):
    """One line for a person at a terminal: time, level, message, then the request's ids."""

    def format(self, record: logging.LogRecord) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(record.created))
        ids = " ".join(
            f"{name}={value}" for name in _CONTEXT_FIELDS if (value := getattr(record, name, None)) is not None
        )
        message = record.getMessage().translate(_UNPRINTABLE)  # no terminal escape from a path someone sent
        line = f"{clock} {record.levelname:<7} {message}" + (f"  [{ids}]" if ids else "")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class LogSettings(BaseSettings):
    """How a process logs; each process's settings read these under its own prefix (CLAIMS_LOG_FORMAT...)."""

    log_format: LogFormat = "json"
    """One JSON object a line, for a log collector; `make run` sets text, for a person at a terminal."""
    log_level: LogLevel = "info"
    """Info writes one access line per request; warning keeps only what went wrong."""


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler `configure_logging` installs, so that a second call replaces rather than doubles it."""


def configure_logging(service: str, settings: LogSettings) -> None:
    """Every log line of the process to stderr in one format; the server's own loggers through the same handler."""
    root = logging.getLogger()
    for handler in [handler for handler in root.handlers if isinstance(handler, _OurHandler)]:
        root.removeHandler(handler)
    handler = _OurHandler(sys.stderr)
    handler.setFormatter(JsonLines() if settings.log_format == "json" else ReadableText())
    handler.addFilter(_WithRequest(service))
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        server = logging.getLogger(name)
        server.handlers.clear()
        server.propagate = True
    for chatty in ("httpx", "httpcore"):  # a line per upstream call repeats the access lines of the service called
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))
    server_errors = logging.getLogger("uvicorn.error")
    if not any(isinstance(existing, _NotLoggedYet) for existing in server_errors.filters):
        server_errors.addFilter(_NotLoggedYet())
