"""A database that does not answer (paused, restarting, unreachable) is a 503 with Retry-After, not a crash."""

from __future__ import annotations

import logging

from sqlalchemy import exc as sa_exc
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kit.errors import AppError, ConcurrentChange, DatabaseUnavailable
from services.kit.problems import send_problem

log = logging.getLogger("credit_claims.database")

# What the drivers raise when the server is gone or too slow: connection refused or lost, statement or pool
# timeout. Constraint violations and bad SQL are not among them: those stay bugs or business answers.
DATABASE_DOWN: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    TimeoutError,
    ConnectionError,
)


# PostgreSQL's answers to two transactions that waited on each other (deadlock) or could not both hold
# (serialization failure): one of them was rolled back whole, and the same request may simply be sent again.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})
CAUGHT: tuple[type[BaseException], ...] = (sa_exc.DBAPIError, *DATABASE_DOWN)


def transient_conflict(error: BaseException) -> bool:
    """Whether the database rolled the transaction back because of another one running at the same time."""
    original = getattr(error, "orig", None)
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return isinstance(error, sa_exc.DBAPIError) and sqlstate in TRANSIENT_SQLSTATES


class DatabaseGuard:
    """Pure ASGI: answers 503 problem+json when the database fails a request before its answer started."""

    def __init__(self, app: ASGIApp, retry_after: int = 5) -> None:
        self.app = app
        self.retry_after = retry_after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except CAUGHT as error:
            if started:
                raise
            if transient_conflict(error):
                log.warning("concurrent change on %s %s: %s", scope["method"], scope["path"], error)
                problem: AppError = ConcurrentChange("Another change ran at the same time; nothing was changed.")
            elif isinstance(error, DATABASE_DOWN):
                log.warning("database unavailable on %s %s: %s", scope["method"], scope["path"], type(error).__name__)
                problem = DatabaseUnavailable("The database did not answer in time.", retry_after=self.retry_after)
            else:
                raise
            await send_problem(
                send, problem, instance=scope["path"], request_id=scope.get("state", {}).get("request_id")
            )
