"""The claim's moves: each changes its version and says what happened, by whom and from where (a timeline line)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from services.claims.domain.creance import Creance
from services.claims.domain.status import ClaimStatus, moved


class Caller(Protocol):
    """Who calls and from which request (the kit's Call is one)."""

    @property
    def client_id(self) -> str: ...

    @property
    def source(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change and from which request or event."""

    name: str
    source: str | None

    @classmethod
    def of(cls, call: Caller) -> Actor:
        """The caller of a request, as the timeline records it."""
        return cls(call.client_id, call.source)


@dataclass(frozen=True, slots=True)
class TimelineLine:
    """One line of a claim's timeline: what happened, who, when, from which request or event."""

    claim_id: uuid.UUID
    kind: str
    actor: Actor
    at: datetime
    status_from: ClaimStatus | None = None
    status_to: ClaimStatus | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def timeline_line(
    claim_id: uuid.UUID,
    *,
    kind: str,
    actor: Actor,
    at: datetime,
    status_from: ClaimStatus | None = None,
    status_to: ClaimStatus | None = None,
    **detail: Any,
) -> TimelineLine:
    """A timeline line for a claim the caller does not hold (a sweep's guarded update, a declaration's first)."""
    return TimelineLine(claim_id, kind, actor, at, status_from, status_to, detail)


class _Movable(Protocol):
    id: uuid.UUID
    status: str
    version: int
    updated_at: datetime


class _Filing(Protocol):
    status: str
    frozen: bool
    procedure_snapshot: dict[str, Any] | None
    creance_deadline: date | None
    creance_filed_on: date | None
    relief_deadline: date | None
    court_seat: str | None
    creance_missed_on: date | None


class ClaimMoves:
    """The moves of a claim, mixed into the stored claim: the version and the timeline change with every one."""

    def creance(self: _Filing) -> Creance:
        """What the claim knows of its créance, for the rules of domain.creance."""
        procedure = self.procedure_snapshot or {}
        publication, opened = procedure.get("opening_publication_date"), procedure.get("opened_on")
        return Creance(
            status=ClaimStatus(self.status),
            procedure_open=bool(procedure.get("open")) or self.frozen,
            deadline=self.creance_deadline,
            filed_on=self.creance_filed_on,
            relief_deadline=self.relief_deadline,
            opening_publication_date=date.fromisoformat(publication) if publication else None,
            court_seat=self.court_seat,
            opened_on=date.fromisoformat(opened) if opened else None,
            missed_on=self.creance_missed_on,
        )

    def record(self: _Movable, kind: str, *, actor: Actor, at: datetime, **detail: Any) -> TimelineLine:
        """A fact on the claim that does not change its status (the claim's ETag changes all the same)."""
        self.version += 1
        self.updated_at = at
        return TimelineLine(self.id, kind, actor, at, detail=detail)

    def move(
        self: _Movable, target: ClaimStatus, *, kind: str, actor: Actor, at: datetime, **detail: Any
    ) -> TimelineLine:
        """Change the status along a legal move, and say so in the timeline."""
        current = ClaimStatus(self.status)
        self.status = moved(current, target)
        self.version += 1
        self.updated_at = at
        return TimelineLine(self.id, kind, actor, at, current, target, detail)
