"""Every body the public API takes refuses fields it does not know (a tenant id, a status, an insurer's amount)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import Tokens


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def open_objects(document: dict[str, Any], schema: dict[str, Any], where: str) -> list[str]:
    """Object schemas under `schema` that would accept a field they do not name."""
    schema = _resolve(document, schema)
    found = []
    for key in ("oneOf", "anyOf", "allOf"):
        for index, member in enumerate(schema.get(key, [])):
            found += open_objects(document, member, f"{where}/{key}[{index}]")
    if schema.get("type") == "object" and "properties" in schema:
        if schema.get("additionalProperties") is not False:
            found.append(where)
        for name, member in schema["properties"].items():
            found += open_objects(document, member, f"{where}.{name}")
    if schema.get("type") == "array" and "items" in schema:
        found += open_objects(document, schema["items"], f"{where}[]")
    return found


@pytest.fixture
def apps(policies_app: Any, debtors_app: Any, claims_app: Any) -> dict[str, Any]:
    return {"policies": policies_app, "debtors": debtors_app, "claims": claims_app}


def test_every_request_body_refuses_unknown_fields(apps: dict[str, Any]) -> None:
    checked, open_bodies = 0, []
    for name, app in apps.items():
        document = app.openapi()
        for path, item in document["paths"].items():
            for method, operation in item.items():
                content = operation.get("requestBody", {}).get("content", {})
                if "application/json" in content and path.startswith("/v1/"):
                    checked += 1
                    open_bodies += open_objects(
                        document, content["application/json"]["schema"], f"{name} {method} {path}"
                    )
    assert open_bodies == []
    assert checked >= 19


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/claims", {"insured_id": "INS-BETA"}),
        ("/v1/claims", {"status": "indemnifiable"}),
        ("/v1/claims", {"declaration_date": "2026-01-01"}),
    ],
)
async def test_a_field_the_insurer_sets_is_refused_in_a_declaration(
    claims_service: httpx.AsyncClient, tokens: Tokens, path: str, body: dict[str, Any]
) -> None:
    declaration = {
        "policy_id": "01a2196c-0cb4-7b68-9575-037cad08a135",
        "debtor_id": "01a2196c-0d2a-733f-b96f-b274785014d7",
        "invoices": [
            {
                "number": "F-1",
                "invoice_date": "2026-03-01",
                "due_date": "2026-04-30",
                "amount": "100.00",
                "currency": "EUR",
            }
        ],
    }
    response = await claims_service.post(path, json={**declaration, **body}, headers=tokens.insured())
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert (await claims_service.get("/v1/claims", headers=tokens.handler())).json()["items"] == []


async def test_an_unknown_query_parameter_is_refused_not_ignored(
    claims_service: httpx.AsyncClient, tokens: Tokens
) -> None:
    typo = await claims_service.get("/v1/claims?statuss=open", headers=tokens.handler())
    assert typo.status_code == 422 and typo.json()["code"] == "UNKNOWN_QUERY_PARAMETER"
    assert "statuss" in typo.json()["detail"]
    known = await claims_service.get("/v1/claims?status=open&limit=5", headers=tokens.handler())
    assert known.status_code == 200
