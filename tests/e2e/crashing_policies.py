"""The policies service with one route that fails unexpectedly: what an operator sees of a 500 in the logs."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from services.policies.main import create_app as create_policies

SECRET_IN_ERROR = "postgresql://admin:hunter2@db/prod"


def create_app() -> FastAPI:
    app = create_policies()
    crash = APIRouter()

    @crash.get("/v1/crash/{case}")
    async def crash_route(case: str) -> None:
        raise RuntimeError(f"connection string {SECRET_IN_ERROR} failed for {case}")

    app.include_router(crash)
    return app
