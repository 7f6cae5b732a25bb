"""A path with a stray slash is a 404 problem: never a redirect naming a service's own address."""

from __future__ import annotations

import httpx
import pytest

from tests.support import Tokens


@pytest.mark.parametrize(
    ("service", "method", "path"),
    [
        ("policies", "GET", "/v1/policies/"),
        ("debtors", "GET", "/v1/debtors/"),
        ("claims", "GET", "/v1/claims/"),
        ("claims", "POST", "/v1/claims/"),
        ("claims", "GET", "/v1/worklist/"),
        ("claims", "GET", "/v1/claims/01a22d8e-bc16-7521-a572-ff2398f0456d/"),
    ],
)
async def test_a_stray_slash_is_not_found_rather_than_redirected(
    policies: httpx.AsyncClient,
    debtors: httpx.AsyncClient,
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    service: str,
    method: str,
    path: str,
) -> None:
    client = {"policies": policies, "debtors": debtors, "claims": claims_service}[service]
    response = await client.request(method, path, headers=tokens.handler(), json={} if method == "POST" else None)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json" and "location" not in response.headers
