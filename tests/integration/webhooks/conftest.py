"""The webhooks service in process, outside sandbox mode, its delivery worker off (the e2e tests run it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest


@pytest.fixture
async def webhooks(webhooks_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=webhooks_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://webhooks") as client:
        yield client
