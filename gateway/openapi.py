"""One OpenAPI 3.1 document for the public API, merged from the services' own documents."""

from __future__ import annotations

import json
from typing import Any

from services.kit.problems import PROBLEM_SCHEMA, problem_responses

_BODY_METHODS = {"post", "put", "patch"}


def _rename_refs(document: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    if not renames:
        return document
    text = json.dumps(document)
    for old, new in renames.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    return json.loads(text)


def merge(gateway_doc: dict[str, Any], service_docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Public (/v1) operations of every service, once each, with the gateway's own error answers."""
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "credit-claims API",
            "version": gateway_doc.get("info", {}).get("version", "0.1.0"),
            "description": (
                "Credit-insurance claims: policies and cover checks, debtors and credit limits, "
                "claims from declaration to indemnity. Get a token at /oauth/token (client credentials), "
                "then send it as `Authorization: Bearer <token>`. Errors are RFC 9457 problem+json "
                "with a stable `code`."
            ),
        },
        # Relative: the document is served by the gateway it describes, whatever its host.
        "servers": [{"url": "/", "description": "this gateway"}],
        "paths": dict(gateway_doc.get("paths", {})),
        "components": {
            "schemas": dict(gateway_doc.get("components", {}).get("schemas", {})),
            "securitySchemes": {
                # The docs' Authorize button gets a token itself; a client may send one it already has.
                "oauth2": {
                    "type": "oauth2",
                    "description": "Client credentials (Basic or in the form body), roles in the token's scope.",
                    "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": {}}},
                },
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
    }
    schemas: dict[str, Any] = merged["components"]["schemas"]
    schemas["Problem"] = PROBLEM_SCHEMA
    for service, document in sorted(service_docs.items()):
        theirs = document.get("components", {}).get("schemas", {})
        renames = {
            name: f"{service.capitalize()}{name}"
            for name, schema in theirs.items()
            if name in schemas and schemas[name] != schema
        }
        document = _rename_refs(document, renames)
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            # A renamed schema takes its new name as title too: generators name their classes by title.
            renamed = renames.get(name)
            schemas.setdefault(renamed or name, {**schema, "title": renamed} if renamed else schema)
        for path, item in document.get("paths", {}).items():
            if not path.startswith("/v1/") and path != "/v1":
                continue
            merged["paths"][path] = {
                method: _secured(_with_gateway_errors(method, operation)) for method, operation in item.items()
            }
    return merged


def _secured(operation: dict[str, Any]) -> dict[str, Any]:
    """A token from either scheme opens the operation (the one the docs obtain, or one the client holds)."""
    if operation.get("security"):
        return {**operation, "security": [{"oauth2": []}, {"bearer": []}]}
    return operation


def _with_gateway_errors(method: str, operation: dict[str, Any]) -> dict[str, Any]:
    operation = dict(operation)
    responses = dict(operation.get("responses", {}))
    # 400: the gateway refuses a path with dot segments, encoded slashes or backslashes before any service sees it.
    extra = [400, 401, 403, 502, 503, 504]
    if method in _BODY_METHODS:
        extra += [413, 422]
    for status, response in problem_responses(*extra).items():
        responses.setdefault(str(status), response)
    operation["responses"] = responses
    operation.setdefault("security", [{"bearer": []}])
    return operation
