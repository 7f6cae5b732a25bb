"""A declaration whose upstream answers badly is refused as the upstream's fault (502), and writes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.claims.main import create_app
from tests.shared.builders import invoice
from tests.support import Tokens, running

DEBTOR = {"id": "x", "legal_name": "Dupont", "country": "FR"}
LIMITS = {"limits": [{"on": "2026-05-01", "amount": "50000.00", "stopped": None}]}
PROCEDURE = {"open": False, "insolvent": False}
CONTEXT = {"debtor": DEBTOR, "limits": LIMITS, "procedure": PROCEDURE}


def debtors_answering(context: httpx.Response | None) -> httpx.MockTransport:
    """A debtors service answering every declaration-context read with `context`, or soundly if None."""

    async def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("/declaration-context"), request.url.path
        if context is not None:
            return context
        days = request.url.params.get_list("on")
        limits = {"limits": [{"on": day, "amount": "50000.00", "stopped": None} for day in days]}
        return httpx.Response(200, json={**CONTEXT, "limits": limits})

    return httpx.MockTransport(answer)


@pytest.mark.parametrize(
    "context",
    [
        httpx.Response(200, content=b'{"debtor": {"country": ', headers={"content-type": "application/json"}),
        httpx.Response(200, json=["not", "an", "object"]),
        httpx.Response(200, json={**CONTEXT, "debtor": {"id": "x", "legal_name": "Dupont"}}),  # no country
        httpx.Response(200, json={"debtor": DEBTOR, "procedure": PROCEDURE}),  # no limits
        httpx.Response(200, json={**CONTEXT, "padding": "x" * (5 * 1024 * 1024)}),
        httpx.Response(200, content=b"<html>proxy error</html>", headers={"content-type": "text/html"}),
    ],
    ids=["truncated-json", "json-array", "missing-field", "missing-part", "oversized", "html"],
)
async def test_a_malformed_upstream_answer_is_502_and_no_claim_is_written(
    claims_settings: Any, clock: Any, policies_app: Any, tokens: Tokens, claims_policy_id: str, context: httpx.Response
) -> None:
    app = create_app(
        claims_settings,
        clock,
        {"policies": httpx.ASGITransport(app=policies_app), "debtors": debtors_answering(context)},
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with running(app), httpx.AsyncClient(transport=transport, base_url="http://claims") as client:
        body = {
            "policy_id": claims_policy_id,
            "debtor_id": "01a2196c-0d2a-733f-b96f-b274785014d7",
            "invoices": [invoice()],
        }
        response = await client.post("/v1/claims", json=body, headers=tokens.insured())
        assert response.status_code == 502, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "UPSTREAM_INVALID"
        assert (await client.get("/v1/claims", headers=tokens.handler())).json()["items"] == []


async def test_a_sound_answer_from_the_same_fake_opens_the_claim(
    claims_settings: Any, clock: Any, policies_app: Any, tokens: Tokens, claims_policy_id: str
) -> None:
    app = create_app(
        claims_settings,
        clock,
        {
            "policies": httpx.ASGITransport(app=policies_app),
            "debtors": debtors_answering(None),
        },
    )
    async with (
        running(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://claims") as client,
    ):
        body = {
            "policy_id": claims_policy_id,
            "debtor_id": "01a2196c-0d2a-733f-b96f-b274785014d7",
            "invoices": [invoice()],
        }
        response = await client.post("/v1/claims", json=body, headers=tokens.insured())
        assert response.status_code == 201, response.text
