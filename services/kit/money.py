"""Money: Decimal amounts with an ISO 4217 currency, rounded half-up to the cent."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Annotated, Any

import pycountry
from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema

CENT = Decimal("0.01")


def to_cents(value: Decimal) -> Decimal:
    """Round half-up to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    return frozenset(currency.alpha_3 for currency in pycountry.currencies)


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


def is_currency(code: str) -> bool:
    return code in _currencies()


def is_country(code: str) -> bool:
    return code in _countries()


def _check_currency(code: str) -> str:
    if not is_currency(code):
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return code


def _check_country(code: str) -> str:
    if not is_country(code):
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def _two_places(value: Decimal | int) -> str:
    return f"{to_cents(Decimal(value)):.2f}"


AMOUNT_PATTERN = r"^\d{1,13}(\.\d{1,2})?$"
POSITIVE_AMOUNT_PATTERN = r"^(?!0+(\.0{1,2})?$)\d{1,13}(\.\d{1,2})?$"
# As JSON Schema reads the patterns above: ASCII digits only (Python's \d would take full-width digits too).
_AMOUNT_TEXT = re.compile(r"[0-9]{1,13}(\.[0-9]{1,2})?")


def _amount_as_documented(value: Any) -> Any:
    """An amount as its pattern says: "12500.00"; a JSON number (a float to many a client), a sign, a space,
    "1_000" or another script's digits are refused."""
    if isinstance(value, bool | int | float):
        raise ValueError('an amount is a decimal string such as "12500.00", never a JSON number')
    if isinstance(value, str) and not _AMOUNT_TEXT.fullmatch(value):
        raise ValueError('an amount is written with ASCII digits, at most two decimals, such as "12500.00"')
    return value


Amount = Annotated[
    Decimal,
    BeforeValidator(_amount_as_documented),
    Field(ge=0, max_digits=15, decimal_places=2),
    PlainSerializer(_two_places, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": AMOUNT_PATTERN, "examples": ["12500.00"]}),
]
"""A non-negative amount of money in JSON: a decimal string with at most 2 places (a JSON number is refused)."""

Total = Annotated[
    Decimal,
    Field(ge=0, decimal_places=2),
    PlainSerializer(_two_places, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d{1,2})?$", "examples": ["1250000.00"]}),
]
"""A sum of amounts in an answer: it may need more digits than any one amount."""

PositiveAmount = Annotated[
    Decimal,
    BeforeValidator(_amount_as_documented),
    Field(gt=0, max_digits=15, decimal_places=2),
    PlainSerializer(_two_places, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": POSITIVE_AMOUNT_PATTERN, "examples": ["12500.00"]}),
]
"""An amount of money strictly above zero."""

CurrencyCode = Annotated[
    str,
    Field(min_length=3, max_length=3),
    AfterValidator(_check_currency),
    WithJsonSchema({"type": "string", "enum": sorted(_currencies()), "examples": ["EUR"]}),
]
CountryCode = Annotated[
    str,
    Field(min_length=2, max_length=2),
    AfterValidator(_check_country),
    WithJsonSchema({"type": "string", "enum": sorted(_countries()), "examples": ["FR"]}),
]


def _rate_text(value: Decimal) -> str:
    text = f"{value:.4f}".rstrip("0")
    return text + "0" * max(0, 2 - len(text.split(".")[1]))


def _rate_as_documented(value: Any) -> Any:
    if isinstance(value, bool | int | float) or (
        isinstance(value, str) and not re.fullmatch(r"[0-9](\.[0-9]{1,4})?", value)
    ):
        raise ValueError('a rate is a decimal string such as "0.90"')
    return value


def rate(*, low: str = "0", high: str = "1", pattern: str = r"^(0(\.\d{1,4})?|1(\.0{1,4})?)$") -> Any:
    """A ratio within [low, high] with at most 4 decimal places, a decimal string in JSON."""
    return Annotated[
        Decimal,
        BeforeValidator(_rate_as_documented),
        Field(ge=Decimal(low), le=Decimal(high), max_digits=5, decimal_places=4),
        PlainSerializer(_rate_text, return_type=str, when_used="json"),
        WithJsonSchema({"type": "string", "pattern": pattern, "examples": ["0.90"]}),
    ]


Rate = rate()
"""A ratio between 0 and 1 with at most 4 decimal places, a decimal string in JSON."""
