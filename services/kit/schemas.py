"""Base classes for request and response bodies."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    Strict,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


def _iso_day(value: Any) -> Any:
    # Without this, pydantic would read a number as a Unix timestamp: 1.5 would be 1 January 1970.
    if isinstance(value, date) or (isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
        return value
    raise ValueError("a date is written YYYY-MM-DD")


EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2199, 12, 31)


def _in_range(value: date) -> date:
    # A business date past 2199 is a typo, and date arithmetic near 9999 overflows.
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValueError(f"a date between {EARLIEST_DAY} and {LATEST_DAY}")
    return value


DAY_PATTERN = r"^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
Day = Annotated[
    date,
    BeforeValidator(_iso_day),
    AfterValidator(_in_range),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DAY_PATTERN, "examples": ["2026-06-15"]}),
]
"""A calendar date, only as an ISO string (YYYY-MM-DD), between 1900 and 2199."""

# C0 and C1 controls but tab, line feed and carriage return; the bidirectional marks, overrides and isolates that
# make text read otherwise than it is stored ("Trojan Source"); invisible characters (zero-width space, word
# joiner, byte order mark, interlinear annotations, soft hyphen, zero-width (non-)joiners, variation selectors,
# the Hangul and Braille blanks that look like nothing) and noncharacters of the Basic Multilingual Plane: never
# in a request. The astral ones cannot be named by a JSON Schema pattern read without Unicode mode, and the service
# accepts no more and no less than its published patterns: where they matter (an invoice number's key) they are
# ignored instead. A single line admits no control character at all.
_INVISIBLE = (
    "\\u00ad\\u034f\\u061c\\u115f\\u1160\\u17b4\\u17b5\\u180b-\\u180f\\u200b-\\u200f\\u202a-\\u202e"
    "\\u2060-\\u206f\\u2800\\u3164\\ufe00-\\ufe0f\\ufeff\\uffa0"
    "\\ufdd0-\\ufdef\\ufff0-\\ufffb\\ufffe\\uffff"
)
_TEXT_UNSAFE = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f" + _INVISIBLE
_LINE_UNSAFE = "\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029" + _INVISIBLE
_UNSAFE = re.compile(f"[{_TEXT_UNSAFE}]")
_UNSAFE_IN_LINE = re.compile(f"[{_LINE_UNSAFE}]")


def unsafe_character(text: str, *, line: bool = False) -> str | None:
    """The first control, bidirectional or invisible character of a text, as U+XXXX, or None."""
    found = (_UNSAFE_IN_LINE if line else _UNSAFE).search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def _checked_text(value: Any, where: str) -> None:
    if isinstance(value, str):
        bad = unsafe_character(value)
        if bad:
            raise ValueError(f"{where} contains the control character {bad}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _checked_text(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _checked_text(key, f"{where} key")
            _checked_text(item, f"{where}.{key}" if where else str(key))


# The same rules as patterns, which OpenAPI publishes; a name needs one character that is not a space.
TEXT_PATTERN = f"^[^{_TEXT_UNSAFE}]*$"
LINE_PATTERN = f"^[^{_LINE_UNSAFE}]*$"
NAME_PATTERN = f"^[^{_LINE_UNSAFE}]*[^{_LINE_UNSAFE}\\s][^{_LINE_UNSAFE}]*$"

Line = Annotated[str, Field(pattern=LINE_PATTERN)]
"""Text on one line: an invoice number, a reference, a name — no control or bidirectional character."""

Name = Annotated[str, Field(pattern=NAME_PATTERN)]
"""A line with something to read (not only spaces): a legal name, an invoice number, a court officer."""

Text = Annotated[str, Field(pattern=TEXT_PATTERN)]
"""Free text (a reason, a note): lines and tabs, but no other control or bidirectional character."""

WholeNumber = Annotated[int, Strict()]
"""A whole number written as a JSON number: true, 3.0 or "3" is not a number of days."""

Flag = Annotated[bool, Strict()]
"""true or false, as JSON writes them: 1, "yes" or "true" is not a yes."""

Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")]
"""A business identifier chosen by people (policy number, insured id)."""


def example(sample: dict[str, Any]) -> ConfigDict:
    """A request body's realistic example: the docs show it, generated clients and fuzzers start from it."""
    return ConfigDict(json_schema_extra={"examples": [sample]})


class RequestBody(BaseModel):
    """A request body: unknown fields are refused, and so is any control character in a text."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: Any) -> Any:
        _checked_text(data, "")
        return data


def _without_null(schema: dict[str, Any]) -> None:
    for prop in schema.get("properties", {}).values():
        options = prop.get("anyOf")
        if options and {"type": "null"} in options:
            options.remove({"type": "null"})
            if len(options) == 1:
                prop.update(options.pop())
                del prop["anyOf"]
        prop.pop("default", None)


class PatchBody(RequestBody):
    """A JSON merge patch: absent fields are left alone; null is refused for every field."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core_schema))
        _without_null(schema)
        return schema

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = [key for key, value in data.items() if value is None]
            if nulls:
                raise ValueError(f"these fields cannot be null: {', '.join(sorted(nulls))}")
        return data

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class ResponseBody(BaseModel):
    """An answer's body: every field is always sent (null where empty), so the schema marks every one required."""

    model_config = ConfigDict(from_attributes=True, json_schema_serialization_defaults_required=True)
