"""Registering webhook endpoints: the rules with every reason, nothing written on a refusal, an insured's own only,
secrets shown once and rotated with an overlap, changes against the ETag read."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from services.kit.auth import Role
from tests.support import Tokens

URL = "https://erp.acme.example/hooks/credit-claims"
EVENTS = ["claim.opened", "credit_limit.decided"]


async def register(webhooks: httpx.AsyncClient, headers: dict[str, str], **body: object) -> httpx.Response:
    return await webhooks.post(
        "/v1/webhook-endpoints", json={"url": URL, "event_types": EVENTS, **body}, headers=headers
    )


async def test_an_insured_registers_an_endpoint_and_sees_its_secret_once(
    webhooks: httpx.AsyncClient, tokens: Tokens
) -> None:
    created = await register(webhooks, tokens.insured())
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_") and endpoint["insured_id"] == "INS-ACME"
    assert created.headers["Location"] == f"/v1/webhook-endpoints/{endpoint['id']}" and created.headers["ETag"] == '"1"'
    read = (await webhooks.get(created.headers["Location"], headers=tokens.insured())).json()
    assert "secret" not in read and read["event_types"] == sorted(EVENTS) and read["enabled"] is True


async def test_a_refused_endpoint_gets_every_reason_and_nothing_is_written(
    webhooks: httpx.AsyncClient, tokens: Tokens
) -> None:
    refused = await webhooks.post(
        "/v1/webhook-endpoints",
        json={"url": "http://user:pw@10.0.0.7/hooks#x", "event_types": EVENTS},
        headers=tokens.insured(),
    )
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["code"] == "WEBHOOK_ENDPOINT_REFUSED"
    assert [reason["code"] for reason in problem["reasons"]] == [
        "URL_NOT_HTTPS",
        "URL_HAS_CREDENTIALS",
        "URL_HAS_FRAGMENT",
        "URL_NOT_PUBLIC",
    ]
    unknown = await register(webhooks, tokens.insured(), event_types=["claim.opened", "claim.exploded"])
    assert unknown.status_code == 422 and unknown.json()["code"] == "VALIDATION_FAILED"
    listed = (await webhooks.get("/v1/webhook-endpoints", headers=tokens.insured())).json()
    assert listed["items"] == []


async def test_another_insureds_endpoint_does_not_exist(webhooks: httpx.AsyncClient, tokens: Tokens) -> None:
    endpoint = (await register(webhooks, tokens.insured())).json()
    beta = tokens.insured("INS-BETA")
    assert (await webhooks.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=beta)).status_code == 404
    assert (await webhooks.get("/v1/webhook-endpoints", headers=beta)).json()["items"] == []
    rotate = await webhooks.post(f"/v1/webhook-endpoints/{endpoint['id']}/secret-rotations", headers=beta)
    assert rotate.status_code == 404
    as_other = await register(webhooks, beta, insured_id="INS-ACME")
    assert as_other.status_code == 403


async def test_an_admin_registers_for_a_named_insured_and_back_office_roles_cannot(
    webhooks: httpx.AsyncClient, tokens: Tokens
) -> None:
    admin = tokens.headers(Role.ADMIN)
    unnamed = await register(webhooks, admin)
    assert unnamed.status_code == 422 and unnamed.json()["code"] == "INSURED_REQUIRED"
    named = await register(webhooks, admin, insured_id="INS-BETA")
    assert named.status_code == 201 and named.json()["insured_id"] == "INS-BETA"
    assert (await register(webhooks, tokens.underwriter(), insured_id="INS-BETA")).status_code == 403


async def test_a_rotated_secret_keeps_signing_for_the_overlap(webhooks: httpx.AsyncClient, tokens: Tokens) -> None:
    endpoint = (await register(webhooks, tokens.insured())).json()
    rotated = await webhooks.post(f"/v1/webhook-endpoints/{endpoint['id']}/secret-rotations", headers=tokens.insured())
    assert rotated.status_code == 201
    answer = rotated.json()
    assert answer["secret"].startswith("whsec_") and answer["secret"] != endpoint["secret"]
    until = datetime.fromisoformat(answer["previous_secret_until"])
    read = (await webhooks.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=tokens.insured())).json()
    assert datetime.fromisoformat(read["previous_secret_until"]) == until
    assert until - datetime.fromisoformat(read["updated_at"]) == timedelta(hours=24)


async def test_changes_need_the_etag_read_and_are_checked_as_a_registration(
    webhooks: httpx.AsyncClient, tokens: Tokens
) -> None:
    created = await register(webhooks, tokens.insured())
    url = created.headers["Location"]
    assert (await webhooks.patch(url, json={"enabled": False}, headers=tokens.insured())).status_code == 428
    stale = {**tokens.insured(), "If-Match": '"7"'}
    assert (await webhooks.patch(url, json={"enabled": False}, headers=stale)).status_code == 412
    current = {**tokens.insured(), "If-Match": created.headers["ETag"]}
    bad = await webhooks.patch(url, json={"url": "https://localhost/hooks"}, headers=current)
    assert bad.status_code == 422 and bad.json()["reasons"][0]["code"] == "URL_NOT_PUBLIC"
    paused = await webhooks.patch(url, json={"enabled": False}, headers=current)
    assert paused.status_code == 200 and paused.json()["disabled_reason"].startswith("Paused by")
    gone = await webhooks.delete(url, headers={**tokens.insured(), "If-Match": paused.headers["ETag"]})
    assert gone.status_code == 204
    assert (await webhooks.get(url, headers=tokens.insured())).status_code == 404


async def test_a_second_rotation_waits_for_the_first_overlap_to_end(
    webhooks: httpx.AsyncClient, tokens: Tokens
) -> None:
    endpoint = (await register(webhooks, tokens.insured())).json()
    rotations = f"/v1/webhook-endpoints/{endpoint['id']}/secret-rotations"
    assert (await webhooks.post(rotations, headers=tokens.insured())).status_code == 201
    again = await webhooks.post(rotations, headers=tokens.insured())
    assert again.status_code == 409 and again.json()["code"] == "WEBHOOK_ROTATION_UNDER_WAY"


async def test_the_delivery_log_refuses_a_cursor_it_did_not_give(webhooks: httpx.AsyncClient, tokens: Tokens) -> None:
    endpoint = (await register(webhooks, tokens.insured())).json()
    forged = "WyJtc2dfXHVkODAwIl0"  # ["msg_\ud800"]
    answer = await webhooks.get(
        f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", params={"cursor": forged}, headers=tokens.insured()
    )
    assert answer.status_code == 422 and answer.json()["code"] == "INVALID_CURSOR"
