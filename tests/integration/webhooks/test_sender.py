"""The delivery worker never posts to an address inside the suite's network, whatever a host name resolves to."""

from __future__ import annotations

import httpx

from services.webhooks.adapters.sender import non_public_address, post


async def test_a_host_resolving_to_a_private_address_is_refused_before_any_request() -> None:
    sent: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(204)

    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as client:
        # "localhost" is a name, not a literal address: registration's rules cannot see where it leads.
        refused = await post(client, "https://localhost:8443/hooks", headers={}, body=b"{}")
        assert refused.status is None and refused.error is not None and "127.0.0.1" in refused.error
        assert sent == []
        # In the sandbox (public_only=False) a local receiver is the point.
        allowed = await post(client, "http://localhost:9000/hooks", headers={}, body=b"{}", public_only=False)
        assert allowed.status == 204 and len(sent) == 1


async def test_a_public_or_unresolvable_host_is_not_flagged() -> None:
    assert await non_public_address("https://8.8.8.8/hooks") is None
    assert await non_public_address("https://no-such-host.invalid/hooks") is None
    assert await non_public_address("https://10.1.2.3/hooks") == "10.1.2.3"
