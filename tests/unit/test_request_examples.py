"""The example each request body shows is one its own model accepts, rules included (not only its JSON schema)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from services.kit.schemas import RequestBody

MODULES = (
    "services.claims.api.schemas",
    "services.debtors.api.schemas",
    "services.policies.api.schemas",
    "gateway.sandbox",
)


def _bodies(kind: type[RequestBody]) -> list[type[RequestBody]]:
    found = []
    for sub in kind.__subclasses__():
        found += [sub, *_bodies(sub)]
    return found


for module in MODULES:
    importlib.import_module(module)
BODIES = [body for body in _bodies(RequestBody) if body.__module__ in MODULES and not body.__name__.startswith("_")]


def _examples(body: type[RequestBody]) -> list[Any]:
    extra = body.model_config.get("json_schema_extra")
    return list(extra.get("examples", [])) if isinstance(extra, dict) else []


@pytest.mark.parametrize("body", BODIES, ids=lambda body: f"{body.__module__.split('.')[1]}.{body.__name__}")
def test_each_request_body_has_an_example_its_model_accepts(body: type[RequestBody]) -> None:
    examples = _examples(body)
    assert examples, f"{body.__name__} shows no example: add model_config = example({{...}})"
    for sample in examples:
        body.model_validate(sample)
