"""Base classes for request and response bodies."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


def _iso_day(value: Any) -> Any:
    # Without this, pydantic would read a number as a Unix timestamp: 1.5 would be 1 January 1970.
    if isinstance(value, date) or (isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
        return value
    raise ValueError("a date is written YYYY-MM-DD")


Day = Annotated[date, BeforeValidator(_iso_day)]
"""A calendar date, only as an ISO string (YYYY-MM-DD)."""

Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")]
"""A business identifier chosen by people (policy number, insured id)."""


class RequestBody(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


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

    model_config = ConfigDict(extra="forbid", json_schema_extra=_without_null)

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
    model_config = ConfigDict(from_attributes=True)
