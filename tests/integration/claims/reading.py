"""A claim read before it is changed: its ETag goes back as If-Match."""

from __future__ import annotations

import httpx


async def as_read(client: httpx.AsyncClient, claim_url: str, headers: dict[str, str]) -> dict[str, str]:
    """These headers with If-Match set to the claim's ETag, as just read by the same caller."""
    read = await client.get(claim_url, headers=headers)
    assert read.status_code == 200, read.text
    return {**headers, "If-Match": read.headers["ETag"]}
