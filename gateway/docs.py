"""What a partner reads first: the root's links, the merged OpenAPI, Swagger UI and ReDoc served from packaged
assets (no CDN: the docs work on a machine with no internet)."""

from __future__ import annotations

import asyncio
from functools import lru_cache
from importlib.resources import files
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from gateway import openapi
from services.kit.errors import UpstreamUnavailable
from services.kit.upstream import Upstream

ASSETS = "/docs/assets"
TITLE = "credit-claims API"
STATIC = files("fastapi_offline") / "static"
# ReDoc's footer shows a logo from its CDN (an image it hides when it fails to load): an empty one instead, so that
# nothing leaves the partner's network.
REDOC_CDN_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"


@lru_cache(maxsize=1)
def _redoc_bundle() -> bytes:
    return (STATIC / "redoc.standalone.js").read_bytes().replace(REDOC_CDN_LOGO, b"data:,")


def install_docs(api: FastAPI, upstreams: dict[str, Upstream]) -> None:
    """The root, /openapi.json, /docs (Swagger UI, whose Authorize button gets a token) and /redoc."""
    api.mount(ASSETS, StaticFiles(directory=str(STATIC)), name="docs-assets")

    @api.get("/docs/redoc.js", include_in_schema=False)
    async def redoc_bundle() -> Response:
        return Response(_redoc_bundle(), media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

    @api.get("/", include_in_schema=False)
    async def home() -> dict[str, str]:
        """Where a partner starts: the docs, the contract, the token endpoint."""
        return {
            "name": TITLE,
            "docs": "/docs",
            "redoc": "/redoc",
            "openapi": "/openapi.json",
            "token": "/oauth/token",
        }

    @api.get("/openapi.json", include_in_schema=False)
    async def openapi_document(request: Request) -> JSONResponse:
        cached = request.app.state.merged_openapi
        if cached is None:
            cached = await _merged_document(request.app, upstreams)
            request.app.state.merged_openapi = cached
        return JSONResponse(cached)

    @api.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=TITLE,
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            # No call to the public validator either: nothing leaves the partner's network.
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
        )

    @api.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title=TITLE,
            redoc_js_url="/docs/redoc.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        )


async def _merged_document(api: FastAPI, upstreams: dict[str, Upstream]) -> dict[str, Any]:
    async def fetch(name: str, client: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
        try:
            response = await client.get("/openapi.json", timeout=5.0)
            response.raise_for_status()
            return name, response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise UpstreamUnavailable(f"The {name} service's API description is unavailable.") from exc

    documents = dict(await asyncio.gather(*(fetch(name, upstream.client) for name, upstream in upstreams.items())))
    own = get_openapi(title=api.title, version=api.version, routes=api.routes)
    return openapi.merge(own, documents)
