"""Cursor pagination: opaque cursors over a stable, unique sort key."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from services.kit.errors import InvalidInput
from services.kit.schemas import ResponseBody

MAX_PAGE_SIZE = 200
T = TypeVar("T")


class Page(ResponseBody, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageRequest(BaseModel):
    limit: int
    after: list[Any] | None

    def after_id(self) -> uuid.UUID | None:
        """The id a page of rows sorted by id starts after; a cursor this API did not give is 422."""
        if self.after is None:
            return None
        try:
            [value] = self.after
            return uuid.UUID(str(value)) if isinstance(value, str) else _forged()
        except ValueError as exc:
            raise InvalidInput("The cursor is not one this API gave.", code="INVALID_CURSOR") from exc


def _forged() -> uuid.UUID:
    raise ValueError("not an id")


def encode_cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("The cursor is not one this API gave.", code="INVALID_CURSOR") from exc
    if not isinstance(key, list):
        raise InvalidInput("The cursor is not one this API gave.", code="INVALID_CURSOR")
    return key


async def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size, at most 200.")] = 50,
    cursor: Annotated[str | None, Query(max_length=512, description="Opaque cursor from `next_cursor`.")] = None,
) -> PageRequest:
    """Dependency reading `limit` and `cursor` from the query."""
    return PageRequest(limit=limit, after=decode_cursor(cursor) if cursor else None)


def page_of(rows: list[T], *, limit: int, key: Any) -> Page[T]:
    """Build a page from up to limit+1 rows; `key(row)` gives the cursor key of a row."""
    more = len(rows) > limit
    rows = rows[:limit]
    return Page[T](items=rows, next_cursor=encode_cursor(key(rows[-1])) if more and rows else None)
