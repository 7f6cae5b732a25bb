"""The delivery worker never posts to an address inside the suite's network, whatever a host name resolves to, and
connects to the very address it checked."""

from __future__ import annotations

import httpx
import pytest

from services.webhooks.adapters.sender import Refused, checked_target, post


def recording(sent: list[httpx.Request]) -> httpx.AsyncClient:
    def receiver(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(204)

    return httpx.AsyncClient(transport=httpx.MockTransport(receiver))


async def test_a_host_resolving_to_a_private_address_is_refused_before_any_request() -> None:
    sent: list[httpx.Request] = []
    async with recording(sent) as client:
        # "localhost" is a name, not a literal address: registration's rules cannot see where it leads.
        refused = await post(client, "https://localhost:8443/hooks", headers={}, body=b"{}", deadline=5)
        assert refused.status is None and refused.error is not None and "not a public address" in refused.error
        assert sent == []
        # In the sandbox (public_only=False) a local receiver is the point.
        allowed = await post(client, "http://localhost:9000/h", headers={}, body=b"{}", deadline=5, public_only=False)
        assert allowed.status == 204 and len(sent) == 1


@pytest.mark.parametrize(
    "url",
    [
        "https://10.1.2.3/hooks",
        "https://[64:ff9b::a01:203]/hooks",  # NAT64 of 10.1.2.3
        "https://[2002:a01:203::1]/hooks",  # 6to4 of 10.1.2.3
        "https://no-such-host.invalid/hooks",  # a name that does not resolve now may resolve inside later
        "https://" + "a" * 64 + ".example.com/hooks",  # a label too long for DNS
    ],
)
async def test_unsafe_or_unresolvable_hosts_are_refused(url: str) -> None:
    with pytest.raises(Refused):
        await checked_target(url)


async def test_the_connection_goes_to_the_checked_address_with_the_name_kept() -> None:
    target = await checked_target("https://8.8.8.8:8443/hooks?tenant=7")
    assert target.url == "https://8.8.8.8:8443/hooks?tenant=7"
    assert target.headers == {"host": "8.8.8.8:8443"} and target.extensions == {"sni_hostname": "8.8.8.8"}
    sent: list[httpx.Request] = []
    async with recording(sent) as client:
        answer = await post(client, "https://8.8.8.8/hooks", headers={"webhook-id": "msg_1"}, body=b"{}", deadline=5)
    assert answer.status == 204 and sent[0].url.host == "8.8.8.8" and sent[0].headers["webhook-id"] == "msg_1"
    assert sent[0].extensions["sni_hostname"] == "8.8.8.8"
