"""What holds an indemnity back: a disputed debt (409) and the policy's collection duties (422)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from services.kit.clock import FixedClock
from tests.integration.claims.test_claim_collection import Collection
from tests.support import Tokens, at

HOLDS = {"indemnity_held", "indemnity_hold_lifted"}


async def indemnifiable(claims_service: httpx.AsyncClient, tokens: Tokens, clock: FixedClock) -> None:
    """The waiting period (to 27 October 2026) ran out: the protracted default is the loss."""
    at(clock, "2026-10-28")
    swept = await claims_service.post("/v1/claims/sweeps", json={}, headers=tokens.handler())
    assert swept.json()["indemnifiable"] == 1


async def test_a_disputed_debt_holds_the_indemnity_until_a_settlement(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], clock: FixedClock
) -> None:
    track = Collection(claims_service, tokens, claim["id"])
    await track.ok("formal_notice", "2026-06-15", method="commissaire_de_justice")
    disputed = await track.ok("dispute", "2026-06-15", note="The buyer says the goods were not delivered.")
    assert disputed["disputed"] is True
    await indemnifiable(claims_service, tokens, clock)
    held = await claims_service.post(f"{track.url}/indemnity", headers=tokens.handler())
    assert held.status_code == 409 and held.json()["code"] == "CLAIM_CONTESTED"
    assert (await claims_service.get(f"{track.url}/indemnity", headers=tokens.handler())).status_code == 409
    await track.refused("dispute_settled", "2026-10-28", "SETTLEMENT_RECORDED_BY_INSURER", expect=403)
    await track.refused("dispute_settled", "2026-10-29", "COLLECTION_ACTION_IN_FUTURE", headers=tokens.handler())
    settlement = {"note": "Settlement signed: the buyer owes it all."}
    settled = await track.step("dispute_settled", "2026-10-28", headers=tokens.handler(), **settlement)
    assert settled.status_code == 201 and settled.json()["disputed"] is False
    paid = await claims_service.post(f"{track.url}/indemnity", headers=tokens.handler())
    assert paid.status_code == 201, paid.text
    timeline = await track.timeline()
    holds = [entry["kind"] for entry in timeline if entry["kind"] in HOLDS]
    assert holds == ["indemnity_held", "indemnity_hold_lifted"]
    lifted = next(entry for entry in timeline if entry["kind"] == "indemnity_hold_lifted")
    assert lifted["detail"]["resolved_by"] == "settlement"


async def test_a_judgment_for_the_insured_resolves_the_dispute(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], clock: FixedClock
) -> None:
    track = Collection(claims_service, tokens, claim["id"])
    await track.ok("dispute", "2026-06-15")
    await track.ok("assignation_served", "2026-06-15", hearing_on="2026-09-01")
    at(clock, "2026-09-01")
    judged = await track.ok("judgment_granted", "2026-09-01", amount="18000.00")
    assert (judged["disputed"], judged["enforceable_title"]) == (False, True)
    await indemnifiable(claims_service, tokens, clock)
    assert (await claims_service.post(f"{track.url}/indemnity", headers=tokens.handler())).status_code == 201
    lifted = [entry for entry in await track.timeline() if entry["kind"] == "indemnity_hold_lifted"]
    assert [entry["detail"]["resolved_by"] for entry in lifted] == ["title"]


async def test_a_protracted_default_waits_for_the_collection_duties(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], clock: FixedClock
) -> None:
    track = Collection(claims_service, tokens, claim["id"])
    await track.ok("reminder", "2026-06-15")  # a reminder is not a duty met
    await indemnifiable(claims_service, tokens, clock)
    unmet = await claims_service.post(f"{track.url}/indemnity", headers=tokens.handler())
    assert unmet.status_code == 422 and unmet.json()["code"] == "COLLECTION_DUTIES_UNMET"
    assert unmet.json()["unmet_duties"] == ["formal_notice", "court_route", "handover"]
    assert (await claims_service.get(track.url, headers=tokens.insured())).json()["status"] == "indemnifiable"
    await track.ok("handover_requested", "2026-10-28")
    paid = await claims_service.post(f"{track.url}/indemnity", headers=tokens.handler())
    assert paid.status_code == 201, paid.text
    assert paid.json()["breakdown"][0] == {
        "rule": "collection_duties",
        "amount": "0.00",
        "invoice_number": None,
        "detail": "met: collection handed over to the insurer",
    }


async def test_a_claim_declared_before_the_duties_term_existed_is_not_held_by_it(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], clock: FixedClock
) -> None:
    from sqlalchemy import select

    from services.claims.adapters.tables import Claim

    database = claims_service.app.state.db  # type: ignore[attr-defined]
    async with database.writers() as session, session.begin():
        row = (await session.execute(select(Claim).where(Claim.id == uuid.UUID(claim["id"])))).scalar_one()
        row.terms = {key: value for key, value in row.terms.items() if key != "collection_duties_required"}
    await indemnifiable(claims_service, tokens, clock)
    paid = await claims_service.post(f"/v1/claims/{claim['id']}/indemnity", headers=tokens.handler())
    assert paid.status_code == 201, paid.text
    assert paid.json()["breakdown"][0]["detail"].startswith("waived by the policy")
