"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.types import TypeDecorator


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal stored as a scaled integer (scale 2: cents), exact and summable on every database."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = 2) -> None:
        super().__init__()
        self.scale = scale
        self._factor = Decimal(10) ** scale

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value) * self._factor
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / self._factor).quantize(Decimal(1).scaleb(-self.scale))


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC instant; SQLite keeps it naive, so it is made aware on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC instant is expected")
        instant: datetime = value.astimezone(UTC)
        return instant.replace(tzinfo=None) if dialect.name == "sqlite" else instant

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        stored: datetime = value
        return stored.replace(tzinfo=UTC) if stored.tzinfo is None else stored.astimezone(UTC)


def new_id() -> uuid.UUID:
    """A time-ordered UUID (version 7), so that ids sort in creation order for cursors."""
    # 48 bits of milliseconds, version 7, then random bits; within one millisecond the
    # value only grows (RFC 9562 §6.2), so ids made by one process sort in creation order.
    global _last
    millis = time.time_ns() // 1_000_000
    value = (millis << 80) | (0x7 << 76) | (_random.getrandbits(12) << 64) | (0b10 << 62) | _random.getrandbits(62)
    if value <= _last and value >> 80 == _last >> 80:
        value = _last + 1
    _last = value
    return uuid.UUID(int=value)


_random = random.Random()
_last = 0
