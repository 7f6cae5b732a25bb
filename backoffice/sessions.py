"""Logged-in sessions, held by the back office's process: an opaque id in an HttpOnly cookie, the rest here.

The gateway token of a session never leaves the process: no page, URL or log carries it.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from backoffice.users import Person


@dataclass
class Session:
    person: Person
    started: datetime
    seen: datetime
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    token: str | None = None
    token_expires: datetime | None = None
    notices: list[tuple[str, str]] = field(default_factory=list)
    """(kind, text) shown once on the next page: what the last action did."""

    def tell(self, kind: str, text: str) -> None:
        self.notices.append((kind, text))

    def told(self) -> list[tuple[str, str]]:
        shown, self.notices = self.notices, []
        return shown


class Sessions:
    """Sessions by id, closed when idle too long or too old; the oldest go first past the bound."""

    def __init__(self, *, idle: timedelta, lifetime: timedelta, bound: int) -> None:
        self.idle, self.lifetime, self.bound = idle, lifetime, bound
        self._by_id: OrderedDict[str, Session] = OrderedDict()

    def open(self, person: Person, *, now: datetime) -> tuple[str, Session]:
        session_id = secrets.token_urlsafe(32)
        session = self._by_id[session_id] = Session(person=person, started=now, seen=now)
        while len(self._by_id) > self.bound:
            self._by_id.popitem(last=False)
        return session_id, session

    def get(self, session_id: str | None, *, now: datetime) -> Session | None:
        """The live session of this id, marked as used now; None (and forgotten) when idle or too old."""
        session = self._by_id.get(session_id) if session_id else None
        if session is None or session_id is None:
            return None
        if now - session.seen > self.idle or now - session.started > self.lifetime:
            del self._by_id[session_id]
            return None
        session.seen = now
        self._by_id.move_to_end(session_id)
        return session

    def close(self, session_id: str | None) -> None:
        if session_id:
            self._by_id.pop(session_id, None)

    def __len__(self) -> int:
        return len(self._by_id)
