"""Idempotency-Key on creating POSTs (pure ASGI): the same key and body replay the first answer.

Same key, same body → the stored response, byte for byte; same key, other body → 422;
same key while the first request still runs → 409. Keys are kept per client for 24 hours.
Answers of 500 and above are not kept, so a retry after a failure runs again.

A process can die mid-request. The unit of work marks the key `committed` in the same
transaction as the request's effect, so a retry knows which way it went: a first attempt
older than the lease that committed nothing is taken over and runs again; one that committed
but lost its answer is never run twice (409 IDEMPOTENCY_RESPONSE_LOST: read the resource).
"""

from __future__ import annotations

import hashlib
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kit.auth import bearer_token
from services.kit.clock import wall_clock
from services.kit.errors import AppError, Conflict, InvalidInput, MalformedRequest
from services.kit.problems import send_problem
from services.kit.types import UTCDateTime

KEY_HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255
KEPT_FOR = timedelta(hours=24)
REPLAYED_HEADERS = (b"content-type", b"location", b"etag")


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        Column("client_id", String(128), primary_key=True),
        Column("key", String(MAX_KEY_LENGTH), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer, nullable=True),
        Column("headers", JSON, nullable=True),
        Column("body", LargeBinary, nullable=True),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("committed", Boolean, nullable=True),
    )


@dataclass
class _Pending:
    """The key of the request running in this context, until its answer is stored."""

    table: Table
    client_id: str
    key: str
    committed: bool = False


_pending: ContextVar[_Pending | None] = ContextVar("idempotency_pending", default=None)


async def mark_effect(session: AsyncSession) -> None:
    """Called by the unit of work before it commits: the key's effect commits with it."""
    pending = _pending.get()
    if pending is not None:
        t = pending.table
        await session.execute(
            update(t).where(t.c.client_id == pending.client_id, t.c.key == pending.key).values(committed=True)
        )


def effect_committed() -> None:
    """Called by the unit of work once it has committed."""
    pending = _pending.get()
    if pending is not None:
        pending.committed = True


class InvalidKey(MalformedRequest):
    code = "INVALID_IDEMPOTENCY_KEY"
    title = "An Idempotency-Key is 1 to 255 visible ASCII characters"


def checked_key(raw: bytes) -> str:
    """The key as sent, whole, if it is 1 to 255 visible ASCII characters (a longer one is never cut short)."""
    if not 1 <= len(raw) <= MAX_KEY_LENGTH or any(not 0x21 <= byte <= 0x7E for byte in raw):
        raise InvalidKey(f"Send 1 to {MAX_KEY_LENGTH} visible ASCII characters (a UUID is a good key).")
    return raw.decode("ascii")


class KeyReused(InvalidInput):
    code = "IDEMPOTENCY_KEY_REUSED"
    title = "This Idempotency-Key was used with another request"


class KeyInFlight(Conflict):
    code = "IDEMPOTENCY_KEY_IN_FLIGHT"
    title = "The first request with this Idempotency-Key is still running"


class ResponseLost(Conflict):
    code = "IDEMPOTENCY_RESPONSE_LOST"
    title = "The first request with this Idempotency-Key took effect but its answer was lost; read the resource"


def _digest(scope: Scope, body: bytes) -> str:
    """What a repeated request must match: method, path, query and body."""
    request = scope["method"].encode() + b" " + scope["path"].encode() + b"?" + scope.get("query_string", b"")
    return hashlib.sha256(request + b"\n" + body).hexdigest()


def _replayed_headers(start: Message) -> list[tuple[str, str]]:
    return [(n.decode("latin-1"), v.decode("latin-1")) for n, v in start.get("headers", []) if n in REPLAYED_HEADERS]


async def _replay(send: Send, status: int, headers: list[tuple[str, str]], content: bytes) -> None:
    """The stored answer again, marked as a replay."""
    raw = [(name.encode(), value.encode()) for name, value in headers] + [(b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": content})


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, table: Table, lease: timedelta = timedelta(seconds=60)) -> None:
        self.app = app
        self.table = table
        self.lease = lease

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, KEY_HEADER) if scope["type"] == "http" and scope["method"] == "POST" else None
        client_id = await self._client(scope) if key is not None else None
        if key is None or client_id is None or scope["path"].startswith("/internal/"):
            await self.app(scope, receive, send)
            return
        try:
            key_text = checked_key(key)
        except AppError as error:
            await send_problem(send, error, instance=scope["path"], request_id=scope.get("state", {}).get("request_id"))
            return
        body = await _read_body(receive)
        digest = _digest(scope, body)
        state = scope["app"].state
        try:
            stored = await self._begin(state, client_id, key_text, digest)
        except AppError as error:
            await send_problem(send, error, instance=scope["path"], request_id=scope.get("state", {}).get("request_id"))
            return
        if stored is not None:
            await _replay(send, *stored)
            return
        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

        async def replay_body() -> Message:
            nonlocal body
            chunk, body = body, b""
            return {"type": "http.request", "body": chunk, "more_body": False}

        pending = _Pending(self.table, client_id, key_text)
        held: list[Message] = []
        answered = False

        async def capture(message: Message) -> None:
            # The answer is stored before it is sent: a caller that got it can always have it again.
            nonlocal answered
            if message["type"] == "http.response.start":
                captured["status"], captured["headers"] = message["status"], _replayed_headers(message)
                held.append(message)
                return
            if message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
                held.append(message)
                if message.get("more_body", False):
                    return
                await self._finish(state, pending, captured)
                answered = True
                for kept in held:
                    await send(kept)
                return
            await send(message)

        token = _pending.set(pending)
        try:
            await self.app(scope, replay_body, capture)
        finally:
            _pending.reset(token)
            if not answered:  # no answer came out (the app failed): forget the key unless something committed
                await self._finish(state, pending, captured)

    async def _client(self, scope: Scope) -> str | None:
        authorization = _header(scope, b"authorization")
        state = scope["app"].state
        try:
            principal = await state.token_verifier.authenticate(
                bearer_token((authorization or b"").decode("latin-1")), now=wall_clock(state.clock).now()
            )
        except AppError:
            return None
        client_id: str = principal.client_id
        return client_id

    async def _begin(
        self, state: Any, client_id: str, key: str, digest: str
    ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        t = self.table
        now: datetime = wall_clock(state.clock).now()
        where = (t.c.client_id == client_id, t.c.key == key)
        async with state.db.writers() as session, session.begin():
            await session.execute(delete(t).where(*where, t.c.created_at < now - KEPT_FOR))
            row = (await session.execute(select(t).where(*where))).first()
            if row is None:
                try:
                    async with session.begin_nested():
                        await session.execute(
                            insert(t).values(client_id=client_id, key=key, request_hash=digest, created_at=now)
                        )
                    return None
                except IntegrityError:
                    row = (await session.execute(select(t).where(*where))).first()
            assert row is not None
            if row.request_hash != digest:
                raise KeyReused("Use a new Idempotency-Key for a different request.")
            if row.status_code is not None:
                return row.status_code, [tuple(pair) for pair in row.headers], row.body
            if row.created_at > now - self.lease:  # committed or not, it may be about to answer
                raise KeyInFlight("Retry when the first request has answered.")
            if row.committed:
                raise ResponseLost("The first request took effect; read the resource it created or changed.")
            # The first attempt died before its effect committed: this one takes its place.
            taken = await session.execute(
                update(t).where(*where, t.c.created_at == row.created_at).values(created_at=now)
            )
            if taken.rowcount != 1:
                raise KeyInFlight("Retry when the first request has answered.")
            return None

    async def _finish(self, state: Any, pending: _Pending, captured: dict[str, Any]) -> None:
        t = self.table
        where = (t.c.client_id == pending.client_id, t.c.key == pending.key)
        async with state.db.writers() as session, session.begin():
            if captured["status"] < 500:
                await session.execute(
                    update(t)
                    .where(*where)
                    .values(status_code=captured["status"], headers=captured["headers"], body=captured["body"])
                )
            elif not pending.committed:  # nothing happened: a retry runs again
                await session.execute(delete(t).where(*where))


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((value for key, value in scope["headers"] if key == name), None)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
