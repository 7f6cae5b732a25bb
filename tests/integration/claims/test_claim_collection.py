"""Collection over HTTP: steps kept as facts, the next step and its deadline, refusals that write nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from services.kit.clock import FixedClock
from tests.integration.claims.conftest import OtherClaimsApp
from tests.integration.claims.events import LJ, procedure_event
from tests.shared.builders import invoice, policy_body
from tests.support import Tokens

PROOFS = [{"kind": "invoice", "reference": "F-A"}, {"kind": "delivery_note", "reference": "BL-778"}]


class Collection:
    """Steps on one claim's collection track, as its insured or the insurer's back office."""

    def __init__(self, client: httpx.AsyncClient, tokens: Tokens, claim_id: str) -> None:
        self.client, self.tokens, self.url = client, tokens, f"/v1/claims/{claim_id}"

    async def step(
        self, kind: str, done_on: str, *, headers: dict[str, str] | None = None, **body: Any
    ) -> httpx.Response:
        return await self.client.post(
            f"{self.url}/collection-actions",
            json={"kind": kind, "done_on": done_on, **body},
            headers=headers or self.tokens.insured(),
        )

    async def ok(self, kind: str, done_on: str, **body: Any) -> dict[str, Any]:
        response = await self.step(kind, done_on, **body)
        assert response.status_code == 201, response.text
        assert response.headers["Location"] == f"{self.url}/collection"
        return response.json()

    async def track(self) -> dict[str, Any]:
        response = await self.client.get(f"{self.url}/collection", headers=self.tokens.insured())
        assert response.status_code == 200, response.text
        return response.json()

    async def timeline(self) -> list[dict[str, Any]]:
        return (await self.client.get(f"{self.url}/timeline", headers=self.tokens.insured())).json()

    async def refused(
        self,
        kind: str,
        done_on: str,
        code: str,
        *,
        expect: int = 422,
        headers: dict[str, str] | None = None,
        **body: Any,
    ) -> None:
        """The step is refused with the rule's code, and neither the track nor the timeline changed."""
        track, timeline = await self.track(), await self.timeline()
        response = await self.step(kind, done_on, headers=headers, **body)
        assert response.status_code == expect, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == code
        assert await self.track() == track
        assert await self.timeline() == timeline


def next_of(track: dict[str, Any]) -> tuple[str, str | None]:
    return track["next_step"]["action"], track["next_step"]["due"]


def at(clock: FixedClock, day: str) -> None:
    clock.set(datetime.fromisoformat(f"{day}T09:00:00+00:00").astimezone(UTC))


async def test_injonction_de_payer_lapses_then_is_opposed_then_ends_in_a_judgment(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], clock: FixedClock
) -> None:
    track = Collection(claims_service, tokens, claim["id"])
    fresh = await track.track()
    assert (fresh["duties_met"], fresh["actions"], next_of(fresh)) == (False, [], ("send_reminder", "2026-06-15"))
    assert next_of(await track.ok("reminder", "2026-06-15")) == ("send_formal_notice", "2026-06-30")
    noticed = await track.ok(
        "formal_notice", "2026-06-15", method="registered_letter_with_acknowledgment", payment_period_days=8
    )
    assert noticed["duties_met"] and next_of(noticed) == ("await_notice_period", "2026-06-23")

    at(clock, "2026-06-25")
    assert next_of(await track.track()) == ("summon_in_refere", "2026-07-23")  # no documents on file yet
    await track.refused("injonction_requested", "2026-06-25", "COLLECTION_DOCUMENTS_MISSING")
    await track.refused("injonction_served", "2026-06-25", "COLLECTION_ACTION_OUT_OF_ORDER", served_to_person=True)
    await track.refused("reminder", "2026-06-26", "COLLECTION_ACTION_IN_FUTURE")
    with_proofs = await track.ok("documents_added", "2026-06-25", documents=PROOFS)
    assert next_of(with_proofs) == ("request_injonction_de_payer", "2026-07-23")
    requested = await track.ok("injonction_requested", "2026-06-25")
    assert (requested["route"], requested["stage"]) == ("injonction_de_payer", "requested")

    at(clock, "2026-07-01")
    granted = await track.ok(
        "injonction_granted", "2026-07-01", documents=[{"kind": "court_decision", "reference": "IP-1"}]
    )
    # Six months end on 1 January 2027, New Year's Day: the order may be served until Monday 4 January.
    assert next_of(granted) == ("serve_order", "2027-01-04") and granted["next_step"]["due_legal"] == "2027-01-01"

    # Not served within six months: the order lapses, and a new request may be filed.
    at(clock, "2027-01-05")
    lapsed = await track.track()
    assert lapsed["route"] is None
    assert lapsed["routes_tried"] == [{"route": "injonction_de_payer", "outcome": "lapsed"}]
    assert next_of(lapsed)[0] == "request_injonction_de_payer"
    await track.refused("injonction_served", "2027-01-05", "ORDER_LAPSED", served_to_person=True)
    await track.ok("injonction_requested", "2027-01-05")
    await track.ok("injonction_granted", "2027-01-05")
    served = await track.ok("injonction_served", "2027-01-05", served_to_person=True)
    assert next_of(served) == ("await_opposition_window", "2027-02-05")
    assert served["next_step"]["by"] == "debtor"

    at(clock, "2027-02-20")
    await track.refused("injonction_opposed", "2027-02-20", "OPPOSITION_OUT_OF_TIME")
    # Since 1 March 2022 there is no executory formula to ask for: the order carries it.
    await track.refused("injonction_enforceable", "2027-02-06", "VALIDATION_FAILED")
    opposed = await track.ok("injonction_opposed", "2027-02-01", hearing_on="2027-04-01")
    assert (opposed["stage"], next_of(opposed)) == ("opposed", ("attend_hearing", "2027-04-01"))

    at(clock, "2027-04-01")
    judged = await track.ok("judgment_granted", "2027-04-01", amount="18000.00")
    assert judged["enforceable_title"] and next_of(judged) == ("enforce_title", None)
    await track.refused("refere_summoned", "2027-04-01", "ENFORCEABLE_TITLE_ALREADY_OBTAINED")

    kinds = [row["kind"] for row in judged["actions"]]
    assert kinds == [
        "reminder",
        "formal_notice",
        "documents_added",
        "injonction_requested",
        "injonction_granted",
        "injonction_requested",
        "injonction_granted",
        "injonction_served",
        "injonction_opposed",
        "judgment_granted",
    ]
    assert judged["actions"][1]["method"] == "registered_letter_with_acknowledgment"
    assert judged["actions"][-1]["amount"] == "18000.00" and judged["actions"][-1]["recorded_by"] == "test-client"
    logged = [entry for entry in await track.timeline() if entry["kind"] == "collection_action"]
    assert [entry["detail"]["action"] for entry in logged] == kinds
    assert all(entry["actor"] == "test-client" and entry["at"] for entry in logged)


async def test_a_payment_obtained_by_collection_reduces_the_claim_and_can_settle_it(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any]
) -> None:
    track = Collection(claims_service, tokens, claim["id"])
    await track.ok("formal_notice", "2026-06-15", method="commissaire_de_justice")
    await track.refused("payment_obtained", "2026-06-15", "PAYMENT_EXCEEDS_UNPAID", amount="18000.01")
    await track.ok("payment_obtained", "2026-06-15", amount="5000.00")
    payments = [entry for entry in await track.timeline() if entry["kind"] == "payment_received"]
    assert payments[-1]["detail"] == {
        "amount": "5000.00",
        "received_on": "2026-06-15",
        "unpaid_after": "13000.00",
        "through": "collection",
    }
    await track.ok("payment_obtained", "2026-06-15", amount="13000.00")
    settled = (await claims_service.get(track.url, headers=tokens.insured())).json()
    assert settled["status"] == "settled"
    over = await track.track()
    assert over["next_step"] is None
    await track.refused("reminder", "2026-06-15", "CLAIM_NOT_IN_COLLECTION", expect=409)


async def test_a_procedure_opening_suspends_collection_and_calls_for_the_creance(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], debtor_with_limit_id: str
) -> None:
    track = Collection(claims_service, tokens, claim["id"])
    await track.ok("reminder", "2026-06-15")
    await procedure_event(claims_service, debtor_with_limit_id, "evt-lj-collection", LJ)
    suspended = await track.track()
    assert suspended["suspended"] and suspended["duties_met"]
    assert next_of(suspended) == ("declare_creance", "2026-09-09")
    await track.refused("formal_notice", "2026-06-15", "COLLECTION_SUSPENDED", method="commissaire_de_justice")
    kinds = [entry["kind"] for entry in await track.timeline()]
    assert kinds.index("collection_suspended") == kinds.index("insolvency") + 1
    # Handing the claim over to the insurer is still possible.
    await track.ok("handover_requested", "2026-06-15")


async def test_handover_puts_the_insurer_in_charge_of_collection(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any]
) -> None:
    track = Collection(claims_service, tokens, claim["id"])
    asked = await track.ok("handover_requested", "2026-06-15", note="Please collect for us.")
    assert next_of(asked) == ("accept_handover", "2026-06-30") and asked["next_step"]["by"] == "insurer"
    worklist = (await claims_service.get("/v1/worklist", headers=tokens.handler())).json()["items"]
    assert ("collection:accept_handover", "2026-06-30") in [(item["action"], item["due"]) for item in worklist]
    await track.refused("handover_accepted", "2026-06-15", "HANDOVER_ACCEPTED_BY_INSURER", expect=403)
    accepted = await track.step("handover_accepted", "2026-06-15", headers=tokens.handler())
    assert accepted.status_code == 201 and accepted.json()["collector"] == "insurer"
    await track.refused("assignation_served", "2026-06-15", "COLLECTION_HANDED_OVER")
    summons = await track.step("assignation_served", "2026-06-15", headers=tokens.handler(), hearing_on="2026-09-15")
    assert summons.status_code == 201 and next_of(summons.json()) == ("attend_hearing", "2026-09-15")


async def test_bad_collection_bodies_are_refused_and_write_nothing(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any]
) -> None:
    track = Collection(claims_service, tokens, claim["id"])
    await track.refused("formal_notice", "2026-06-15", "VALIDATION_FAILED")  # no method
    await track.refused("payment_obtained", "2026-06-15", "VALIDATION_FAILED")  # no amount
    await track.refused("teleport", "2026-06-15", "VALIDATION_FAILED")
    await track.refused("reminder", "15/06/2026", "VALIDATION_FAILED")
    await track.refused("reminder", "2026-06-15", "VALIDATION_FAILED", status="open")  # an unknown field
    await track.refused("reminder", "2026-06-15", "VALIDATION_FAILED", documents=[{"kind": "selfie", "reference": "x"}])


async def test_another_insured_sees_no_collection_track(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any]
) -> None:
    stranger = tokens.insured("INS-BETA")
    url = f"/v1/claims/{claim['id']}"
    assert (await claims_service.get(f"{url}/collection", headers=stranger)).status_code == 404
    posted = await claims_service.post(
        f"{url}/collection-actions", json={"kind": "reminder", "done_on": "2026-06-15"}, headers=stranger
    )
    assert posted.status_code == 404
    assert (await Collection(claims_service, tokens, claim["id"]).track())["actions"] == []
    underwriter = await claims_service.post(
        f"{url}/collection-actions", json={"kind": "reminder", "done_on": "2026-06-15"}, headers=tokens.underwriter()
    )
    assert underwriter.status_code == 403


async def test_a_setting_changes_the_default_periods(
    claims_with: OtherClaimsApp, tokens: Tokens, claim: dict[str, Any]
) -> None:
    async with claims_with(collection={"formal_notice_days": 15}) as client:
        track = Collection(client, tokens, claim["id"])
        noticed = await track.ok("formal_notice", "2026-06-15", method="commissaire_de_justice")
    assert next_of(noticed) == ("await_notice_period", "2026-06-30")


async def test_the_policy_terms_change_the_collection_periods_of_its_claims(
    claims_service: httpx.AsyncClient, policies: httpx.AsyncClient, tokens: Tokens, debtor_with_limit_id: str
) -> None:
    body = policy_body(number="POL-COLLECT", terms={"collection": {"formal_notice_days": 20}})
    policy = (await policies.post("/v1/policies", json=body, headers=tokens.underwriter())).json()
    await policies.patch(
        f"/v1/policies/{policy['id']}", json={"status": "active"}, headers={**tokens.underwriter(), "If-Match": '"1"'}
    )
    declared = await claims_service.post(
        "/v1/claims",
        json={
            "policy_id": policy["id"],
            "debtor_id": debtor_with_limit_id,
            "invoices": [invoice("Z", due_date="2026-04-30")],
        },
        headers=tokens.insured(),
    )
    assert declared.status_code == 201, declared.text
    track = Collection(claims_service, tokens, declared.json()["id"])
    noticed = await track.ok("formal_notice", "2026-06-15", method="commissaire_de_justice")
    assert next_of(noticed) == ("await_notice_period", "2026-07-05")


async def test_online_recovery_through_a_commissaire_de_justice_pays_in_part_then_small_claims_come_next(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], clock: FixedClock
) -> None:
    track = Collection(claims_service, tokens, claim["id"])
    await track.refused("online_recovery_handed_over", "2026-06-15", "COLLECTION_DOCUMENTS_MISSING")
    handed = await track.ok(
        "online_recovery_handed_over", "2026-06-15", documents=[{"kind": "invoice", "reference": "F-A"}]
    )
    assert (handed["route"], handed["stage"], handed["duties_met"]) == ("online_recovery", "handed_over", True)
    assert (handed["next_step"]["action"], handed["next_step"]["due"], handed["next_step"]["by"]) == (
        "await_online_recovery",
        "2026-08-14",
        "commissaire_de_justice",
    )
    at(clock, "2026-07-20")
    await track.refused("refere_summoned", "2026-07-20", "COLLECTION_ROUTE_IN_PROGRESS")
    paid = await track.ok("online_recovery_paid", "2026-07-20", amount="14000.00")
    # 4,000 left: the route ended paid in part, and the small-claims procedure is recommended.
    assert paid["routes_tried"] == [{"route": "online_recovery", "outcome": "paid_in_part"}]
    assert paid["next_step"]["action"] == "start_small_claims"
    claim_now = (await claims_service.get(track.url, headers=tokens.insured())).json()
    assert claim_now["status"] == "open"
    payments = [entry for entry in await track.timeline() if entry["kind"] == "payment_received"]
    assert payments[-1]["detail"] == {
        "amount": "14000.00",
        "received_on": "2026-07-20",
        "unpaid_after": "4000.00",
        "through": "online_recovery",
    }


async def test_online_recovery_paid_in_full_settles_and_silence_for_sixty_days_fails(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], clock: FixedClock
) -> None:
    track = Collection(claims_service, tokens, claim["id"])
    await track.ok("online_recovery_handed_over", "2026-06-15", documents=[{"kind": "invoice", "reference": "F-A"}])
    at(clock, "2026-08-15")
    silent = await track.track()
    assert silent["route"] is None and silent["routes_tried"] == [{"route": "online_recovery", "outcome": "failed"}]
    at(clock, "2026-08-10")
    recovered = await track.ok("online_recovery_paid", "2026-08-10", amount="18000.00")
    assert recovered["actions"][-1]["stage"] == "recovered"
    assert (await claims_service.get(track.url, headers=tokens.insured())).json()["status"] == "settled"


async def test_a_collective_procedure_stays_the_online_recovery_too(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], debtor_with_limit_id: str
) -> None:
    await procedure_event(claims_service, debtor_with_limit_id, "evt-online", LJ)
    track = Collection(claims_service, tokens, claim["id"])
    await track.refused(
        "online_recovery_handed_over",
        "2026-06-15",
        "COLLECTION_SUSPENDED",
        documents=[{"kind": "invoice", "reference": "F-A"}],
    )
