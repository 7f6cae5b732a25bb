"""OpenAPI links: what a created resource leads to, so that a client (or a stateful fuzzer) can chain calls."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Link:
    """From an operation's answer to another operation, the created id filling one of its path parameters."""

    source: str  # "POST /v1/claims"
    target: str  # "GET /v1/claims/{claim_id}"
    parameter: str  # "claim_id"
    status: str = "201"
    value: str = "$response.body#/id"


def add_links(document: dict[str, Any], links: Iterable[Link]) -> None:
    """Write each link into its source's response; an operation named wrongly fails here, not at run time."""
    paths = document["paths"]
    operation_ids = {
        f"{method.upper()} {path}": operation["operationId"]
        for path, item in paths.items()
        for method, operation in item.items()
    }
    for link in links:
        method, path = link.source.split(" ", 1)
        response = paths[path][method.lower()]["responses"][link.status]
        target = operation_ids[link.target]
        response.setdefault("links", {})[target] = {"operationId": target, "parameters": {link.parameter: link.value}}
