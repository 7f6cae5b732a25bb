"""A claim read before it is changed: its ETag goes back as If-Match."""

from __future__ import annotations

import httpx


async def as_read(client: httpx.AsyncClient, claim_url: str, headers: dict[str, str]) -> dict[str, str]:
    """These headers with If-Match set to the claim's ETag, as just read by the same caller."""
    read = await client.get(claim_url, headers=headers)
    assert read.status_code == 200, read.text
    return {**headers, "If-Match": read.headers["ETag"]}


async def formal_notice(client: httpx.AsyncClient, claim_url: str, headers: dict[str, str], on: str) -> None:
    """The insured's mise en demeure: the collection duty a protracted-default indemnity waits for."""
    body = {"kind": "formal_notice", "done_on": on, "method": "registered_letter_with_acknowledgment"}
    sent = await client.post(f"{claim_url}/collection-actions", json=body, headers=headers)
    assert sent.status_code == 201, sent.text
