"""Every public route declares the roles it allows; every other role gets 403 (walked from the routes)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from services.kit.auth import Allow, Role
from tests.support import Tokens


def declared_roles(dependant: Dependant) -> frozenset[Role] | None:
    """The roles of the route's Allow dependency, wherever it sits in the dependency tree."""
    for sub in dependant.dependencies:
        if isinstance(sub.call, Allow):
            return sub.call.roles
        found = declared_roles(sub)
        if found is not None:
            return found
    return None


def all_routes(routes: list[Any]) -> list[APIRoute]:
    """Routes of included routers too (an included router keeps its own list)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += all_routes(route.original_router.routes)
    return found


def public_routes(app: Any) -> list[APIRoute]:
    return [route for route in all_routes(app.routes) if route.path.startswith("/v1/")]


@pytest.fixture
def apps(policies_app: Any, debtors_app: Any, claims_app: Any) -> dict[str, Any]:
    return {"policies": policies_app, "debtors": debtors_app, "claims": claims_app}


def test_every_public_route_declares_its_roles(apps: dict[str, Any]) -> None:
    undeclared = [
        f"{name} {sorted(route.methods)} {route.path}"
        for name, app in apps.items()
        for route in public_routes(app)
        if declared_roles(route.dependant) is None
    ]
    assert undeclared == []
    assert sum(len(public_routes(app)) for app in apps.values()) >= 30


async def test_every_role_not_allowed_gets_403(apps: dict[str, Any], tokens: Tokens) -> None:
    checked = 0
    for app in apps.values():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
            for route in public_routes(app):
                allowed = declared_roles(route.dependant) or frozenset()
                path = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), route.path)
                for role in set(Role) - allowed:
                    headers = tokens.headers(role, insured_id="INS-ACME" if role == Role.INSURED else None)
                    for method in route.methods:
                        answer = await client.request(method, path, headers=headers, json={})
                        assert answer.status_code == 403, f"{method} {route.path} as {role}: {answer.status_code}"
                        checked += 1
                for method in route.methods:
                    assert (await client.request(method, path, json={})).status_code == 401, f"{method} {route.path}"
    assert checked >= 40
