"""Every route and every dependency is `async def`: FastAPI would run a plain `def` in a thread, per request."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi.dependencies.models import Dependant

from tests.integration.test_route_policies import all_routes


def _sync_calls(dependant: Dependant, where: str) -> list[str]:
    found = []
    for sub in dependant.dependencies:
        call = sub.call
        function = call if inspect.isfunction(call) or inspect.ismethod(call) else getattr(call, "__call__", None)  # noqa: B004
        if function is not None and not inspect.iscoroutinefunction(function):
            found.append(f"{where}: {getattr(call, '__qualname__', type(call).__qualname__)}")
        found += _sync_calls(sub, where)
    return found


def test_no_route_or_dependency_runs_in_a_thread(policies_app: Any, debtors_app: Any, claims_app: Any) -> None:
    sync = []
    for app in (policies_app, debtors_app, claims_app):
        for route in all_routes(app.routes):
            where = f"{sorted(route.methods)} {route.path}"
            if not inspect.iscoroutinefunction(route.endpoint):
                sync.append(f"{where}: endpoint")
            sync += _sync_calls(route.dependant, where)
    assert sync == []
