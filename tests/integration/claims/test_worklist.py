"""The worklist read a page at a time in the database, and kept in step with claims, periods and settings."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, update

from services.claims.adapters.repository import ClaimsUnitOfWork
from services.claims.adapters.tables import Claim, WorkItem
from services.claims.service_layer import worklist
from services.kit.clock import FixedClock
from tests.integration.claims.conftest import OtherClaimsApp
from tests.integration.claims.events import SAUVEGARDE, SAUVEGARDE_CLOSED, procedure_event
from tests.integration.claims.reading import as_read, formal_notice
from tests.integration.claims.test_claim_collection import Collection
from tests.integration.claims.test_indemnity_holds import indemnifiable
from tests.shared.builders import invoice, policy_body, siren
from tests.support import Tokens, at

# Each buyer's oldest invoice falls due on another day: the waiting periods end on as many days.
DUE_DATES = ["2026-05-20", "2026-04-10", "2026-05-02", "2026-04-25", "2026-05-11", "2026-04-18"]


@pytest.fixture
async def claims(
    claims_service: httpx.AsyncClient, policies: httpx.AsyncClient, debtors: httpx.AsyncClient, tokens: Tokens
) -> list[str]:
    """Six claims under one policy, each on a buyer of its own (within the policy's discretionary limit)."""
    policy = (await policies.post("/v1/policies", json=policy_body(), headers=tokens.underwriter())).json()
    await policies.patch(
        f"/v1/policies/{policy['id']}", json={"status": "active"}, headers={**tokens.underwriter(), "If-Match": '"1"'}
    )
    ids = []
    for number, due in enumerate(DUE_DATES):
        buyer = {"legal_name": f"Acheteur {number} SARL", "country": "FR", "siren": siren(900 + number)}
        debtor = (await debtors.post("/v1/debtors", json=buyer, headers=tokens.insured())).json()["id"]
        body = {
            "policy_id": policy["id"],
            "debtor_id": debtor,
            "invoices": [invoice(f"W-{number}", invoice_date="2026-03-01", due_date=due, amount="5000.00")],
        }
        declared = await claims_service.post("/v1/claims", json=body, headers=tokens.insured())
        assert declared.status_code == 201 and declared.json()["status"] == "open", declared.text
        ids.append(declared.json()["id"])
    return ids


async def read_all(client: httpx.AsyncClient, tokens: Tokens, query: str) -> list[list[dict[str, Any]]]:
    """Every page of a worklist query, following the cursors."""
    pages, cursor = [], None
    while True:
        url = f"/v1/worklist?{query}" + (f"&cursor={cursor}" if cursor else "")
        response = await client.get(url, headers=tokens.handler())
        assert response.status_code == 200, response.text
        pages.append(response.json()["items"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return pages


def keys(items: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    return [(item["claim_id"], item["action"], item["due"]) for item in items]


async def test_the_worklist_is_read_a_page_at_a_time_nearest_deadline_first(
    claims_service: httpx.AsyncClient, tokens: Tokens, claims: list[str]
) -> None:
    whole = await read_all(claims_service, tokens, "within_days=200&limit=200")
    assert len(whole) == 1
    # Each claim: its reminder due today, and its waiting period's end (180 days after its oldest due date).
    assert len(whole[0]) == 12 and {item["claim_id"] for item in whole[0]} == set(claims)
    dues = [item["due"] for item in whole[0]]
    assert dues == sorted(dues)
    assert [item["due"] for item in whole[0] if item["action"] == "waiting_period_ends"] == [
        "2026-10-07",
        "2026-10-15",
        "2026-10-22",
        "2026-10-29",
        "2026-11-07",
        "2026-11-16",
    ]
    pages = await read_all(claims_service, tokens, "within_days=200&limit=5")
    assert [len(page) for page in pages] == [5, 5, 2]
    assert keys([item for page in pages for item in page]) == keys(whole[0])
    one_policy = await read_all(claims_service, tokens, f"within_days=200&limit=4&policy_id={whole[0][0]['policy_id']}")
    assert keys([item for page in one_policy for item in page]) == keys(whole[0])
    one_debtor = await read_all(claims_service, tokens, f"within_days=200&limit=1&debtor_id={whole[0][0]['debtor_id']}")
    assert [len(page) for page in one_debtor] == [1, 1]


async def test_the_worklist_is_filtered_by_kind_of_deadline_and_by_insured(
    claims_service: httpx.AsyncClient, tokens: Tokens, claims: list[str]
) -> None:
    ends = await read_all(claims_service, tokens, "within_days=200&limit=4&action=waiting_period_ends")
    assert [len(page) for page in ends] == [4, 2]
    assert {item["action"] for page in ends for item in page} == {"waiting_period_ends"}
    reminders = await read_all(claims_service, tokens, "within_days=200&action=collection:send_reminder")
    assert {item["claim_id"] for item in reminders[0]} == set(claims)
    own = await read_all(claims_service, tokens, "within_days=200&limit=200&insured_id=INS-ACME")
    assert len(own[0]) == 12
    assert await read_all(claims_service, tokens, "within_days=200&insured_id=INS-BETA") == [[]]
    assert await read_all(claims_service, tokens, "within_days=200&action=creance_to_file") == [[]]


async def test_a_page_follows_on_where_the_last_ended_though_claims_change_between_reads(
    claims_service: httpx.AsyncClient, tokens: Tokens, claims: list[str]
) -> None:
    first = (await claims_service.get("/v1/worklist?within_days=200&limit=6", headers=tokens.handler())).json()
    assert {item["action"] for item in first["items"]} == {"collection:send_reminder"}
    # The first claim's reminder is sent: its next step moves behind the page already read.
    await formal_notice(claims_service, f"/v1/claims/{claims[0]}", tokens.insured(), "2026-06-15")
    rest = await claims_service.get(
        f"/v1/worklist?within_days=200&limit=200&cursor={first['next_cursor']}", headers=tokens.handler()
    )
    actions = [item["action"] for item in rest.json()["items"]]
    assert actions.count("waiting_period_ends") == 6 and "collection:await_notice_period" in actions
    assert not {(item["claim_id"], item["action"]) for item in rest.json()["items"]} & {
        (item["claim_id"], item["action"]) for item in first["items"]
    }


def forged(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        forged(["2026-06-15", "00000000-0000-0000-0000-000000000000", "other"]),
        forged(["2026-13-45", "00000000-0000-0000-0000-000000000000", "claim"]),
        forged(["2026-06-15", "not-an-id", "claim"]),
        forged(["2026-06-15", "00000000-0000-0000-0000-000000000000"]),
        forged([20260615, "00000000-0000-0000-0000-000000000000", "claim"]),
        forged({"due": "2026-06-15"}),
        "%%%",
    ],
)
async def test_a_cursor_the_api_did_not_give_is_refused(
    claims_service: httpx.AsyncClient, tokens: Tokens, cursor: str
) -> None:
    response = await claims_service.get(f"/v1/worklist?cursor={cursor}", headers=tokens.handler())
    assert response.status_code == 422 and response.json()["code"] == "INVALID_CURSOR", response.text


async def test_a_period_that_ends_moves_the_step_without_a_change_of_the_claim(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], clock: FixedClock
) -> None:
    await formal_notice(claims_service, f"/v1/claims/{claim['id']}", tokens.insured(), "2026-06-15")
    waiting = (await claims_service.get("/v1/worklist", headers=tokens.handler())).json()["items"]
    assert [(item["action"], item["due"]) for item in waiting] == [("collection:await_notice_period", "2026-06-23")]
    at(clock, "2026-06-24")
    # The notice's 8 days are over: the court route is due 30 days after them, with nothing written since.
    moved = (await claims_service.get("/v1/worklist", headers=tokens.handler())).json()
    assert moved["as_of"] == "2026-06-24"
    assert [(item["action"], item["due"]) for item in moved["items"]] == [("collection:summon_in_refere", "2026-07-23")]


async def test_claims_the_worklist_never_worked_out_are_listed_at_the_next_read(
    claims_service: httpx.AsyncClient, tokens: Tokens, claims: list[str]
) -> None:
    before = keys(
        (await claims_service.get("/v1/worklist?within_days=200&limit=200", headers=tokens.handler())).json()["items"]
    )
    # As after the upgrade that brought the worklist's table: claims with no rows, never worked out.
    database = claims_service.app.state.db  # type: ignore[attr-defined]
    async with ClaimsUnitOfWork(database) as uow:
        await uow.session.execute(delete(WorkItem))
        await uow.session.execute(update(Claim).values(work_as_of=None, work_recheck_on=None))
        await uow.commit()
    after = keys(
        (await claims_service.get("/v1/worklist?within_days=200&limit=200", headers=tokens.handler())).json()["items"]
    )
    assert after == before and len(after) == 12


async def test_other_collection_settings_redo_every_claims_rows_at_start(
    claims_service: httpx.AsyncClient, claims_with: OtherClaimsApp, tokens: Tokens, claim: dict[str, Any]
) -> None:
    await formal_notice(claims_service, f"/v1/claims/{claim['id']}", tokens.insured(), "2026-06-15")
    async with claims_with(collection={"formal_notice_days": 15}) as client:
        items = (await client.get("/v1/worklist", headers=tokens.handler())).json()["items"]
    assert [(item["action"], item["due"]) for item in items] == [("collection:await_notice_period", "2026-06-30")]


async def test_a_read_waits_for_a_catch_up_running_beside_it(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], clock: FixedClock
) -> None:
    await formal_notice(claims_service, f"/v1/claims/{claim['id']}", tokens.insured(), "2026-06-15")
    database = claims_service.app.state.db  # type: ignore[attr-defined]
    behind = update(Claim).values(work_as_of=None)
    async with ClaimsUnitOfWork(database) as uow:
        await uow.session.execute(behind)
        await uow.commit()
    beside = ClaimsUnitOfWork(database)
    async with beside:
        # Another catch-up holds the claim, working it out with a 15-day notice (its result is the one to read).
        held = await beside.claims.behind(clock.today(), after=None, limit=10)
        await worklist.rewrite(beside, held, today=clock.today(), rules={"formal_notice_days": 15})
        reading = asyncio.create_task(claims_service.get("/v1/worklist", headers=tokens.handler()))
        await asyncio.sleep(0.3)
        assert not reading.done()
        await beside.commit()
    items = (await reading).json()["items"]
    assert [(item["action"], item["due"]) for item in items] == [("collection:await_notice_period", "2026-06-30")]
    async with ClaimsUnitOfWork(database) as uow:
        await uow.session.execute(behind)  # the service's own settings again, for the check after each test
        await uow.commit()


def own_actions(items: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(item["action"], item["due"]) for item in items if not item["action"].startswith("collection:")]


async def test_an_indemnity_held_back_is_listed_as_what_holds_it(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], clock: FixedClock
) -> None:
    track = Collection(claims_service, tokens, claim["id"])
    await track.ok("dispute", "2026-06-15", note="The buyer says the goods were not delivered.")
    await indemnifiable(claims_service, tokens, clock)
    listed = (await claims_service.get("/v1/worklist", headers=tokens.handler())).json()["items"]
    # Disputed: paying is refused (409), so the dispute is the work, waiting since the loss was established.
    assert own_actions(listed) == [("dispute_to_resolve", "2026-10-28")]
    assert (await claims_service.post(f"{track.url}/indemnity", headers=tokens.handler())).status_code == 409
    await track.step("dispute_settled", "2026-10-28", headers=tokens.handler(), note="Settled.")
    listed = (await claims_service.get("/v1/worklist", headers=tokens.handler())).json()["items"]
    # Settled, but no formal notice, court route or handover on record: the policy's duties hold it (422).
    assert own_actions(listed) == [("collection_duties_to_meet", "2026-10-28")]
    assert (await claims_service.post(f"{track.url}/indemnity", headers=tokens.handler())).status_code == 422
    await track.ok("formal_notice", "2026-10-28", method="commissaire_de_justice")
    listed = (await claims_service.get("/v1/worklist", headers=tokens.handler())).json()["items"]
    assert own_actions(listed) == [("indemnity_to_pay", "2026-10-28")]


async def test_a_sweep_run_late_dates_the_indemnity_to_pay_as_of_the_day_it_ran_for(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], clock: FixedClock
) -> None:
    await formal_notice(claims_service, f"/v1/claims/{claim['id']}", tokens.insured(), "2026-06-15")
    at(clock, "2026-11-10")  # the sweep of 28 October did not run; it is run today, as of that day
    swept = await claims_service.post("/v1/claims/sweeps", json={"on": "2026-10-28"}, headers=tokens.handler())
    assert swept.json()["indemnifiable"] == 1, swept.text
    listed = (await claims_service.get("/v1/worklist", headers=tokens.handler())).json()["items"]
    assert own_actions(listed) == [("indemnity_to_pay", "2026-10-28")]


async def test_a_late_sweep_never_dates_the_loss_on_a_day_the_claim_was_frozen(
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    claim: dict[str, Any],
    debtor_with_limit_id: str,
    clock: FixedClock,
) -> None:
    url = f"/v1/claims/{claim['id']}"
    await formal_notice(claims_service, url, tokens.insured(), "2026-06-15")
    at(clock, "2026-07-10")
    await procedure_event(claims_service, debtor_with_limit_id, "evt-frozen-1", SAUVEGARDE)
    filing = {"filed_on": "2026-07-10", "amount": "18000.00", "court_officer": "Me Durand"}
    filed = await claims_service.post(
        f"{url}/creance-filings", json=filing, headers=await as_read(claims_service, url, tokens.insured())
    )
    assert filed.json()["frozen"] is True, filed.text
    at(clock, "2026-10-28")
    frozen = await claims_service.post("/v1/claims/sweeps", json={"on": "2026-10-28"}, headers=tokens.handler())
    assert frozen.json()["indemnifiable"] == 0, frozen.text
    at(clock, "2026-11-05")  # the sauvegarde ends: the claim is no longer frozen
    await procedure_event(claims_service, debtor_with_limit_id, "evt-frozen-2", SAUVEGARDE_CLOSED)
    at(clock, "2026-11-10")  # the sweep of 28 October run again, as of that day
    late = await claims_service.post("/v1/claims/sweeps", json={"on": "2026-10-28"}, headers=tokens.handler())
    assert late.json()["indemnifiable"] == 1, late.text
    timeline = (await claims_service.get(f"{url}/timeline", headers=tokens.handler())).json()
    [established] = [line["detail"]["as_of"] for line in timeline if line["kind"] == "loss_established"]
    assert established == "2026-11-05"
    listed = (await claims_service.get("/v1/worklist", headers=tokens.handler())).json()["items"]
    assert own_actions(listed) == [("indemnity_to_pay", "2026-11-05")]


async def test_an_indemnity_to_pay_keeps_the_day_the_loss_was_established(
    claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any], clock: FixedClock
) -> None:
    await formal_notice(claims_service, f"/v1/claims/{claim['id']}", tokens.insured(), "2026-06-15")
    await indemnifiable(claims_service, tokens, clock)
    at(clock, "2026-11-05")
    payment = {"amount": "100.00", "received_on": "2026-11-04"}
    received = await claims_service.post(
        f"/v1/claims/{claim['id']}/payments-received", json=payment, headers=tokens.insured()
    )
    assert received.status_code == 201, received.text
    listed = (await claims_service.get("/v1/worklist", headers=tokens.handler())).json()["items"]
    assert own_actions(listed) == [("indemnity_to_pay", "2026-10-28")]
