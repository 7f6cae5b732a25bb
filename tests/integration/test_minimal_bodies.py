"""Every body the merged OpenAPI describes, sent with only its required fields, never answers 500."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from gateway.config import GatewaySettings
from gateway.main import create_app as create_gateway
from services.kit.auth import Role
from services.kit.clock import FixedClock
from tests.shared.builders import policy_body
from tests.support import Tokens, running


@pytest.fixture
async def gateway(
    policies_app: Any,
    debtors_app: Any,
    webhooks_app: Any,
    claims_service: httpx.AsyncClient,
    key_pair: tuple[str, str],
    clock: FixedClock,
) -> AsyncIterator[httpx.AsyncClient]:
    transports = {
        "policies": httpx.ASGITransport(app=policies_app),
        "debtors": httpx.ASGITransport(app=debtors_app),
        "claims": httpx.ASGITransport(app=claims_service.app),  # type: ignore[attr-defined]
        "webhooks": httpx.ASGITransport(app=webhooks_app),
    }
    app = create_gateway(GatewaySettings(jwt_private_key=key_pair[0]), clock, transports)
    async with running(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        yield client


class MinimalBody:
    """The smallest instance of a schema: required properties only, each with a plausible value."""

    def __init__(self, document: dict[str, Any], *, ids: dict[str, str], day: str) -> None:
        self.schemas = document["components"]["schemas"]
        self.ids = ids
        self.day = day

    def of(self, schema: dict[str, Any], name: str = "") -> Any:
        if "$ref" in schema:
            return self.of(self.schemas[schema["$ref"].rsplit("/", 1)[1]], name)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                options = [option for option in schema[key] if option.get("type") != "null"]
                return self.of(options[0], name)
        if "allOf" in schema:
            return self.of(schema["allOf"][0], name)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return "EUR" if "EUR" in schema["enum"] else ("FR" if "FR" in schema["enum"] else schema["enum"][0])
        kind = schema.get("type")
        if kind == "object":
            required = schema.get("required", [])
            return {key: self.of(schema["properties"][key], key) for key in required}
        if kind == "array":
            return [self.of(schema.get("items", {}), name) for _ in range(schema.get("minItems", 0))]
        if kind == "integer":
            return max(schema.get("minimum", 1), 1)
        if kind == "number":
            return max(schema.get("minimum", 1), 1)
        if kind == "boolean":
            return False
        return self._string(schema, name)

    def _string(self, schema: dict[str, Any], name: str) -> str:
        if schema.get("format") == "uuid":
            return self.ids.get(name, str(uuid.uuid4()))
        if schema.get("format") == "date":
            return self.day
        if "examples" in schema:
            return str(schema["examples"][0])
        if name == "siren":
            return "552100554"
        pattern = schema.get("pattern", "")
        if "\\d{1,13}" in pattern:
            return "100.00"
        return "X" * max(schema.get("minLength", 1), 1) if not pattern else "X1"


async def _world(gateway: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, str]:
    """An active policy with a discretionary limit, a debtor, a limit request and an open claim."""
    created = await gateway.post("/v1/policies", json=policy_body(), headers=headers)
    policy = created.json()
    await gateway.patch(
        f"/v1/policies/{policy['id']}", json={"status": "active"}, headers={**headers, "If-Match": '"1"'}
    )
    debtor = await gateway.post(
        "/v1/debtors", json={"legal_name": "Dupont SA", "country": "FR", "siren": "732829320"}, headers=headers
    )
    limit = await gateway.post(
        "/v1/credit-limits",
        json={"policy_id": policy["id"], "debtor_id": debtor.json()["id"], "amount": "5000.00", "currency": "EUR"},
        headers=headers,
    )
    return {
        "policy_id": policy["id"],
        "debtor_id": debtor.json()["id"],
        "limit_id": limit.json()["id"],
        "claim_id": str(uuid.uuid4()),
    }


async def test_each_body_with_only_its_required_fields_never_answers_500(
    gateway: httpx.AsyncClient, tokens: Tokens, clock: FixedClock
) -> None:
    token = tokens.token(Role.INSURED, Role.UNDERWRITER, Role.CLAIMS_HANDLER, Role.ADMIN, insured_id="INS-ACME")
    headers = {"Authorization": f"Bearer {token}"}
    ids = await _world(gateway, headers)
    document = (await gateway.get("/openapi.json")).json()
    bodies = MinimalBody(document, ids=ids, day=(clock.today() - timedelta(days=30)).isoformat())
    answers: dict[str, int] = {}
    # The declaration first: the claim it opens is the one the claim's own operations are sent to.
    operations = sorted(
        (
            (path, method, operation)
            for path, item in document["paths"].items()
            for method, operation in item.items()
            if method in {"post", "put", "patch"}
            and "application/json" in operation.get("requestBody", {}).get("content", {})
        ),
        key=lambda found: (found[0] != "/v1/claims", found[0], found[1]),
    )
    for path, method, operation in operations:
        body = bodies.of(operation["requestBody"]["content"]["application/json"]["schema"])
        url = re.sub(r"\{(\w+)\}", lambda match: ids.get(match.group(1), str(uuid.uuid4())), path)
        response = await gateway.request(method, url, json=body, headers={**headers, "If-Match": "*"})
        answers[f"{method.upper()} {path}"] = response.status_code
        if path == "/v1/claims" and response.status_code == 201:
            ids["claim_id"] = response.json()["id"]
    assert len(answers) >= 19
    assert {name: status for name, status in answers.items() if status >= 500} == {}
    # An invoice without its optional VAT amount is declared: the default is money, not the number 0.
    assert answers["POST /v1/claims"] == 201
