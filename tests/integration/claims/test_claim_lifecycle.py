"""A claim from opening to payment: procedure events, créance, deadlines, indemnity once, recoveries."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx

from services.kit.clock import FixedClock
from tests.integration.claims.conftest import OtherClaimsApp
from tests.integration.claims.events import LJ, procedure_event
from tests.integration.claims.reading import as_read, formal_notice
from tests.shared.builders import invoice, policy_body
from tests.support import Tokens, at


async def test_insolvency_then_creance_in_time_then_indemnity_and_recovery(
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    claim: dict[str, Any],
    debtor_with_limit_id: str,
    clock: FixedClock,
) -> None:
    url = f"/v1/claims/{claim['id']}"
    at(clock, "2026-06-20")
    paid = await claims_service.post(
        f"{url}/payments-received", json={"amount": "3000.00", "received_on": "2026-06-20"}, headers=tokens.insured()
    )
    assert paid.status_code == 201 and paid.json()["status"] == "open"
    at(clock, "2026-07-10")
    await procedure_event(claims_service, debtor_with_limit_id, "evt-lj", LJ)
    await procedure_event(claims_service, debtor_with_limit_id, "evt-lj", LJ)  # redelivered: no second effect
    insolvent = (await claims_service.get(url, headers=tokens.insured())).json()
    assert insolvent["status"] == "insolvency" and insolvent["deadlines"]["creance_deadline"] == "2026-09-09"
    at(clock, "2026-09-10")
    late = await claims_service.post(
        f"{url}/creance-filings",
        json={"filed_on": "2026-09-10", "amount": "15000.00", "court_officer": "Me X"},
        headers=await as_read(claims_service, url, tokens.insured()),
    )
    assert late.status_code == 422 and late.json()["code"] == "CREANCE_DEADLINE_MISSED"
    filed = await claims_service.post(
        f"{url}/creance-filings",
        json={"filed_on": "2026-08-01", "amount": "15000.00", "court_officer": "Me X"},
        headers=await as_read(claims_service, url, tokens.insured()),
    )
    assert filed.status_code == 201 and filed.json()["status"] == "indemnifiable"
    assert (await claims_service.post(f"{url}/indemnity", headers=tokens.insured())).status_code == 403
    # A: 9,000 unpaid -> 7,500 net; B: 6,000 -> 5,000 net; limit 10,000: 7,500 + 2,500; x 0.90 - 500 = 8,500.
    paid_out = await claims_service.post(f"{url}/indemnity", headers=tokens.handler())
    assert paid_out.status_code == 201, paid_out.text
    indemnity = paid_out.json()
    assert (indemnity["eligible_loss"], indemnity["amount"]) == ("10000.00", "8500.00")
    assert [line["rule"] for line in indemnity["breakdown"]][-1] == "indemnity"
    # An insolvency loss: the procedure stayed individual actions, collection duties are moot (L622-21).
    assert indemnity["breakdown"][0]["rule"] == "collection_duties"
    assert indemnity["breakdown"][0]["detail"].startswith("moot")
    again = await claims_service.post(f"{url}/indemnity", headers=tokens.handler())
    assert again.status_code == 200 and again.json() == indemnity
    documented = (await claims_service.get("/openapi.json")).json()["paths"]["/v1/claims/{claim_id}/indemnity"]
    assert {"200", "201"} <= set(documented["post"]["responses"])  # a partner's client expects both answers
    at(clock, "2026-12-01")
    recovered = await claims_service.post(
        f"{url}/recoveries", json={"amount": "1000.00", "received_on": "2026-12-01"}, headers=tokens.handler()
    )
    assert (recovered.json()["insurer_share"], recovered.json()["insured_share"]) == ("850.00", "150.00")
    closed = await claims_service.post(
        f"{url}/closure",
        json={"reason": "Procedure closed"},
        headers=await as_read(claims_service, url, tokens.handler()),
    )
    assert closed.json()["status"] == "closed"
    kinds = [entry["kind"] for entry in (await claims_service.get(f"{url}/timeline", headers=tokens.insured())).json()]
    assert kinds == [
        "declared",
        "opened",
        "payment_received",
        "insolvency",
        "collection_suspended",
        "creance_filed",
        "loss_established",
        "indemnified",
        "recovery",
        "closed",
    ]


async def test_protracted_default_becomes_indemnifiable_when_the_waiting_period_ends(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], clock: FixedClock
) -> None:
    url = f"/v1/claims/{claim['id']}"
    await formal_notice(claims_service, url, tokens.insured(), "2026-06-15")
    at(clock, "2026-10-28")
    before = await claims_service.post("/v1/claims/sweeps", json={"on": "2026-10-27"}, headers=tokens.handler())
    assert before.json() == {"on": "2026-10-27", "indemnifiable": 0, "forfeited": 0, "creance_missed": 0}
    runs = await asyncio.gather(
        *(
            claims_service.post("/v1/claims/sweeps", json={"on": "2026-10-28"}, headers=tokens.handler())
            for _ in range(3)
        )
    )
    assert sum(run.json()["indemnifiable"] for run in runs) == 1
    assert (await claims_service.get(url, headers=tokens.insured())).json()["status"] == "indemnifiable"
    # No payment received: A 10,000 + B 5,000 net; limit 10,000 -> 10,000 eligible; 8,500 paid.
    assert (await claims_service.post(f"{url}/indemnity", headers=tokens.handler())).json()["amount"] == "8500.00"


async def test_missed_creance_deadline_forfeits_the_claim(
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    claim: dict[str, Any],
    debtor_with_limit_id: str,
    clock: FixedClock,
) -> None:
    url = f"/v1/claims/{claim['id']}"
    at(clock, "2026-07-10")
    await procedure_event(claims_service, debtor_with_limit_id, "evt-lj-2", LJ)
    at(clock, "2026-09-10")
    swept = await claims_service.post("/v1/claims/sweeps", json={"on": "2026-09-10"}, headers=tokens.handler())
    assert swept.json()["forfeited"] == 1
    forfeited = (await claims_service.get(url, headers=tokens.insured())).json()
    assert forfeited["status"] == "forfeited"
    refused = await claims_service.post(f"{url}/indemnity", headers=tokens.handler())
    assert refused.status_code == 409 and refused.json()["current_status"] == "forfeited"
    # Published 2026-07-09: six months end on Saturday 2027-01-09, so the relief may be asked until Monday 11th.
    at(clock, "2027-02-10")
    relief = {"requested_on": "2027-01-12", "granted_on": "2027-02-01", "notified_on": "2027-02-03"}
    too_late = await claims_service.post(
        f"{url}/forclusion-relief", json=relief, headers=await as_read(claims_service, url, tokens.handler())
    )
    assert too_late.status_code == 422 and too_late.json()["code"] == "RELIEF_TOO_LATE"
    relief["requested_on"] = "2027-01-11"
    relieved = await claims_service.post(
        f"{url}/forclusion-relief", json=relief, headers=await as_read(claims_service, url, tokens.handler())
    )
    # The relief moves nothing by itself: the créance is due again, within half the period of its notification.
    assert relieved.status_code == 201 and relieved.json()["status"] == "forfeited"
    assert relieved.json()["deadlines"]["relief_deadline"] == "2027-03-03"
    filed = await claims_service.post(
        f"{url}/creance-filings",
        json={"filed_on": "2027-02-05", "amount": "15000.00", "court_officer": "Me X"},
        headers=await as_read(claims_service, url, tokens.insured()),
    )
    assert filed.status_code == 201 and filed.json()["status"] == "indemnifiable"


async def test_fifty_concurrent_payment_calls_pay_once(
    claims_service: httpx.AsyncClient,
    policies: httpx.AsyncClient,
    tokens: Tokens,
    claim: dict[str, Any],
    claims_policy_id: str,
    clock: FixedClock,
) -> None:
    await formal_notice(claims_service, f"/v1/claims/{claim['id']}", tokens.insured(), "2026-06-15")
    at(clock, "2026-12-01")
    await claims_service.post("/v1/claims/sweeps", json={"on": "2026-12-01"}, headers=tokens.handler())
    answers = await asyncio.gather(
        *(claims_service.post(f"/v1/claims/{claim['id']}/indemnity", headers=tokens.handler()) for _ in range(50))
    )
    assert sorted(answer.status_code for answer in answers) == [200] * 49 + [201]
    assert len({answer.text for answer in answers}) == 1
    liability = (
        await policies.get(f"/v1/policies/{claims_policy_id}/liability?on=2026-03-01", headers=tokens.underwriter())
    ).json()
    assert (liability["consumed"], liability["reservations"]) == ("8500.00", 1)


async def test_settlement_withdrawal_and_illegal_moves(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], clock: FixedClock
) -> None:
    url = f"/v1/claims/{claim['id']}"
    at(clock, "2026-07-01")
    too_much = await claims_service.post(
        f"{url}/payments-received", json={"amount": "18000.01", "received_on": "2026-06-20"}, headers=tokens.insured()
    )
    assert too_much.status_code == 422 and too_much.json()["code"] == "PAYMENT_EXCEEDS_UNPAID"
    no_procedure = await claims_service.post(
        f"{url}/creance-filings",
        json={"filed_on": "2026-07-01", "amount": "1.00", "court_officer": "Me X"},
        headers=await as_read(claims_service, url, tokens.insured()),
    )
    assert no_procedure.status_code == 409
    beyond = await claims_service.post(
        f"{url}/due-date-extensions",
        json={"invoice_number": "A", "new_due_date": "2026-06-30"},
        headers=await as_read(claims_service, url, tokens.insured()),
    )
    assert beyond.status_code == 422 and beyond.json()["code"] == "EXTENSION_BEYOND_MAXIMUM"
    extended = await claims_service.post(
        f"{url}/due-date-extensions",
        json={"invoice_number": "A", "new_due_date": "2026-06-29"},
        headers=await as_read(claims_service, url, tokens.insured()),
    )
    assert extended.status_code == 201
    settled = await claims_service.post(
        f"{url}/payments-received", json={"amount": "18000.00", "received_on": "2026-06-25"}, headers=tokens.insured()
    )
    assert settled.json()["status"] == "settled"
    withdraw = await claims_service.post(
        f"{url}/withdrawal", json={"reason": "paid"}, headers=await as_read(claims_service, url, tokens.insured())
    )
    assert withdraw.status_code == 409 and withdraw.json()["current_status"] == "settled"
    stranger = tokens.insured("INS-BETA")
    bodies = {
        "payments-received": {"amount": "1.00", "received_on": "2026-06-10"},
        "withdrawal": {"reason": "x"},
        "creance-filings": {"filed_on": "2026-06-10", "amount": "1.00", "court_officer": "Me X"},
        "due-date-extensions": {"invoice_number": "A", "new_due_date": "2026-05-01"},
    }
    for path, body in bodies.items():
        answer = await claims_service.post(f"{url}/{path}", json=body, headers=stranger)
        assert answer.status_code == 404 and answer.json()["code"] == "CLAIM_NOT_FOUND", path
    assert (await claims_service.post(f"{url}/withdrawal", json={"reason": "x"}, headers=stranger)).status_code == 404
    assert (
        await claims_service.post(f"{url}/closure", json={"reason": "x"}, headers=tokens.insured())
    ).status_code == 403
    assert (await claims_service.post("/v1/claims/sweeps", json={}, headers=tokens.insured())).status_code == 403


async def test_clock_is_the_default_sweep_date(
    claims_service: httpx.AsyncClient, tokens: Tokens, clock: FixedClock
) -> None:
    assert (await claims_service.post("/v1/claims/sweeps", json={}, headers=tokens.handler())).json()[
        "on"
    ] == clock.today().isoformat()


async def test_worklist_orders_claims_by_nearest_deadline(
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    claim: dict[str, Any],
    debtor_with_limit_id: str,
    clock: FixedClock,
) -> None:
    assert (await claims_service.get("/v1/worklist?within_days=200", headers=tokens.insured())).status_code == 403
    near = (await claims_service.get("/v1/worklist", headers=tokens.handler())).json()
    assert near["as_of"] == "2026-06-15"
    assert [(item["action"], item["due"]) for item in near["items"]] == [("collection:send_reminder", "2026-06-15")]
    horizon = (await claims_service.get("/v1/worklist?within_days=200", headers=tokens.handler())).json()["items"]
    assert [(item["action"], item["due"]) for item in horizon] == [
        ("collection:send_reminder", "2026-06-15"),
        ("waiting_period_ends", "2026-10-27"),
    ]
    await procedure_event(claims_service, debtor_with_limit_id, "evt-lj-3", LJ)
    items = (await claims_service.get("/v1/worklist?within_days=90", headers=tokens.handler())).json()["items"]
    # The procedure stays collection: the créance is the only work left.
    assert [(item["claim_id"], item["action"], item["due"]) for item in items] == [
        (claim["id"], "creance_to_file", "2026-09-09")
    ]
    assert (await claims_service.get("/v1/worklist?status=open&within_days=365", headers=tokens.handler())).json()[
        "items"
    ] == []


async def test_scheduled_sweep_moves_claims_without_being_asked(
    claims_with: OtherClaimsApp, clock: FixedClock, tokens: Tokens, claim: dict[str, Any]
) -> None:
    clock.set(datetime(2026, 10, 28, 6, 0, tzinfo=UTC))
    async with claims_with(sweep_every_seconds=0.05) as client:
        for _ in range(100):
            status = (await client.get(f"/v1/claims/{claim['id']}", headers=tokens.insured())).json()["status"]
            if status == "indemnifiable":
                break
            await asyncio.sleep(0.05)
        assert status == "indemnifiable"
        timeline = (await client.get(f"/v1/claims/{claim['id']}/timeline", headers=tokens.insured())).json()
        assert timeline[-1]["actor"] == "scheduler" and timeline[-1]["detail"]["ground"] == "protracted_default"
        metrics = (await client.get("/metrics")).text
        assert 'background_job_runs_total{job="deadline_sweep",outcome="succeeded",service="claims"}' in metrics
        assert 'background_job_last_success_timestamp_seconds{job="deadline_sweep",service="claims"}' in metrics


async def test_maximum_liability_reached_mid_year_caps_the_next_indemnity(
    claims_service: httpx.AsyncClient,
    policies: httpx.AsyncClient,
    debtors: httpx.AsyncClient,
    tokens: Tokens,
    clock: FixedClock,
) -> None:
    # A policy that waives the collection duties: the waiting period alone establishes the loss.
    terms = {"max_liability": "10000.00", "discretionary_limit": "20000.00", "collection_duties_required": False}
    body = policy_body(number="POL-SMALL-MAX", terms=terms)
    policy = (await policies.post("/v1/policies", json=body, headers=tokens.underwriter())).json()
    await policies.patch(
        f"/v1/policies/{policy['id']}", json={"status": "active"}, headers={**tokens.underwriter(), "If-Match": '"1"'}
    )
    urls = []
    for siren, number in (("732829320", "X1"), ("853479236", "X2")):
        debtor = (
            await debtors.post(
                "/v1/debtors", json={"legal_name": siren, "country": "FR", "siren": siren}, headers=tokens.insured()
            )
        ).json()
        declared = await claims_service.post(
            "/v1/claims",
            json={
                "policy_id": policy["id"],
                "debtor_id": debtor["id"],
                "invoices": [invoice(number, amount="12000.00", vat_amount="2000.00")],
            },
            headers=tokens.insured(),
        )
        urls.append(declared.headers["Location"])
    at(clock, "2026-10-28")
    await claims_service.post("/v1/claims/sweeps", json={"on": "2026-10-28"}, headers=tokens.handler())
    # Each: 10,000 net x 0.90 - 500 = 8,500; the year's maximum of 10,000 leaves 1,500 for the second.
    first = (await claims_service.post(f"{urls[0]}/indemnity", headers=tokens.handler())).json()
    second = (await claims_service.post(f"{urls[1]}/indemnity", headers=tokens.handler())).json()
    assert (first["amount"], second["amount"], second["before_maximum_liability"]) == ("8500.00", "1500.00", "8500.00")
    assert [line["amount"] for line in second["breakdown"] if line["rule"] == "maximum_liability"] == ["1500.00"]
    assert first["breakdown"][0]["detail"].startswith("waived by the policy")
    at(clock, "2026-12-01")
    recovered = await claims_service.post(
        f"{urls[1]}/recoveries", json={"amount": "1000.00", "received_on": "2026-12-01"}, headers=tokens.handler()
    )
    assert (recovered.json()["insurer_share"], recovered.json()["insured_share"]) == ("150.00", "850.00")


async def test_another_insured_gets_404_on_every_claim_route(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any]
) -> None:
    stranger = tokens.insured("INS-BETA")
    url = f"/v1/claims/{claim['id']}"
    bodies = {
        "payments-received": {"amount": "1.00", "received_on": "2026-06-10"},
        "due-date-extensions": {"invoice_number": "A", "new_due_date": "2026-05-01"},
        "creance-filings": {"filed_on": "2026-06-10", "amount": "1.00", "court_officer": "Me X"},
        "withdrawal": {"reason": "x"},
    }
    for path, body in bodies.items():
        answer = await claims_service.post(f"{url}/{path}", json=body, headers=stranger)
        assert answer.status_code == 404 and answer.json()["code"] == "CLAIM_NOT_FOUND", path
    for path in ("", "/timeline", "/indemnity"):
        assert (await claims_service.get(f"{url}{path}", headers=stranger)).status_code == 404, path
    handlers_only = {
        "indemnity": None,
        "recoveries": {"amount": "1.00", "received_on": "2026-06-10"},
        "closure": {"reason": "x"},
        "forclusion-relief": {"requested_on": "2026-06-10", "granted_on": "2026-06-11", "notified_on": "2026-06-12"},
    }
    for path, body in handlers_only.items():
        answer = await claims_service.post(f"{url}/{path}", json=body, headers=tokens.insured())
        assert answer.status_code == 403 and answer.json()["code"] == "FORBIDDEN", (path, answer.text)
    assert (await claims_service.get(url, headers=tokens.insured())).json()["status"] == "open"


async def test_opening_a_claim_queues_claim_opened_for_the_debtors_service(
    claims_service: httpx.AsyncClient, claim: dict[str, Any], claims_policy_id: str, debtor_with_limit_id: str
) -> None:
    from sqlalchemy import select

    from services.claims.adapters.tables import outbox

    async with claims_service.app.state.db.readers() as session:  # type: ignore[attr-defined]
        rows = [dict(row._mapping) for row in await session.execute(select(outbox))]
    assert [(row["event_type"], row["payload"]) for row in rows] == [
        (
            "claim.opened.v1",
            {
                "claim_id": claim["id"],
                "insured_id": "INS-ACME",  # whose it is: the webhooks service sends it to that insured only
                "policy_id": claims_policy_id,
                "debtor_id": debtor_with_limit_id,
                "opened_on": "2026-06-15",
            },
        )
    ]


async def test_recoveries_come_after_the_indemnity_and_never_exceed_what_is_owed_even_at_once(
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    claim: dict[str, Any],
    debtor_with_limit_id: str,
    clock: FixedClock,
) -> None:
    url = f"/v1/claims/{claim['id']}"
    at(clock, "2026-07-10")
    paid = {"amount": "3000.00", "received_on": "2026-07-10"}
    assert (
        await claims_service.post(f"{url}/payments-received", json=paid, headers=tokens.insured())
    ).status_code == 201
    await procedure_event(claims_service, debtor_with_limit_id, "evt-rec", LJ)
    filing = {"filed_on": "2026-07-10", "amount": "15000.00", "court_officer": "Me X"}
    await claims_service.post(
        f"{url}/creance-filings", json=filing, headers=await as_read(claims_service, url, tokens.insured())
    )
    assert (await claims_service.post(f"{url}/indemnity", headers=tokens.handler())).status_code == 201
    # Money received before the indemnity (paid on 10 July) is a payment received, not a recovery.
    early = {"amount": "1.00", "received_on": "2026-07-09"}
    before = await claims_service.post(f"{url}/recoveries", json=early, headers=tokens.handler())
    assert before.status_code == 422 and before.json()["code"] == "RECOVERY_BEFORE_INDEMNITY", before.text
    assert before.json()["indemnified_on"] == "2026-07-10"
    # 18,000 invoiced, 3,000 paid: 15,000 is owed; 40 recoveries of 3,000 at once, five fit.
    huge = {"amount": "9999999999999.99", "received_on": "2026-07-10"}
    refused = await claims_service.post(f"{url}/recoveries", json=huge, headers=tokens.handler())
    assert refused.status_code == 422 and refused.json()["still_owed"] == "15000.00"
    recovery = {"amount": "3000.00", "received_on": "2026-07-10"}
    answers = await asyncio.gather(
        *(claims_service.post(f"{url}/recoveries", json=recovery, headers=tokens.handler()) for _ in range(40))
    )
    assert sorted(answer.status_code for answer in answers) == [201] * 5 + [422] * 35
    assert {answer.json()["code"] for answer in answers if answer.status_code == 422} == {"RECOVERY_EXCEEDS_OWED"}
    kinds = [entry["kind"] for entry in (await claims_service.get(f"{url}/timeline", headers=tokens.handler())).json()]
    assert kinds.count("recovery") == 5
