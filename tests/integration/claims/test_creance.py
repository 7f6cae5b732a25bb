"""The déclaration de créance in every procedure, its deadline by court and domicile, forclusion and its relief."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.kit.auth import Principal, Role
from services.kit.clock import FixedClock
from tests.integration.claims.events import LJ, SAUVEGARDE, procedure_event
from tests.integration.claims.reading import as_read
from tests.support import Tokens, at

# The same procedure converted to a liquidation: the opening, and its deadline, stand (L622-24, R622-24).
CONVERTED = {**SAUVEGARDE, "procedure": "liquidation_judiciaire", "insolvent": True}


class Claim:
    def __init__(self, client: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any]) -> None:
        self.client, self.tokens, self.url = client, tokens, f"/v1/claims/{claim['id']}"

    async def read(self) -> dict[str, Any]:
        return (await self.client.get(self.url, headers=self.tokens.insured())).json()

    async def file(self, filed_on: str) -> httpx.Response:
        body = {"filed_on": filed_on, "amount": "18000.00", "court_officer": "Me Durand, mandataire judiciaire"}
        headers = await as_read(self.client, self.url, self.tokens.insured())
        return await self.client.post(f"{self.url}/creance-filings", json=body, headers=headers)

    async def relief(self, **dates: str) -> httpx.Response:
        headers = await as_read(self.client, self.url, self.tokens.handler())
        return await self.client.post(f"{self.url}/forclusion-relief", json=dates, headers=headers)

    async def sweep(self, on: str) -> dict[str, Any]:
        answer = await self.client.post("/v1/claims/sweeps", json={"on": on}, headers=self.tokens.handler())
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    async def kinds(self) -> list[str]:
        timeline = (await self.client.get(f"{self.url}/timeline", headers=self.tokens.insured())).json()
        return [entry["kind"] for entry in timeline]

    async def work(self) -> list[tuple[str, str | None]]:
        items = (await self.client.get("/v1/worklist?within_days=365", headers=self.tokens.handler())).json()
        return [(item["action"], item["due"]) for item in items["items"] if self.url.endswith(item["claim_id"])]


@pytest.fixture
def case(claims_service: httpx.AsyncClient, tokens: Tokens, claim: dict[str, Any]) -> Claim:
    return Claim(claims_service, tokens, claim)


async def test_a_sauvegarde_calls_for_the_creance_without_establishing_the_loss(
    case: Claim, claims_service: httpx.AsyncClient, debtor_with_limit_id: str, clock: FixedClock
) -> None:
    at(clock, "2026-07-10")
    await procedure_event(claims_service, debtor_with_limit_id, "evt-sg-1", SAUVEGARDE)
    claim = await case.read()
    assert (claim["status"], claim["frozen"], claim["deadlines"]["creance_deadline"]) == ("open", True, "2026-09-09")
    assert await case.work() == [("creance_to_file", "2026-09-09")]
    track = (await claims_service.get(f"{case.url}/collection", headers=case.tokens.insured())).json()
    assert (track["next_step"]["action"], track["next_step"]["due"]) == ("declare_creance", "2026-09-09")
    filed = await case.file("2026-07-10")
    assert filed.status_code == 201, filed.text
    assert (filed.json()["status"], filed.json()["creance_filed_on"]) == ("open", "2026-07-10")
    again = await case.file("2026-07-10")
    assert again.status_code == 409 and again.json()["code"] == "CREANCE_ALREADY_FILED"
    assert await case.work() == []
    # Converted to a liquidation, the créance declared in time under the sauvegarde establishes the loss.
    at(clock, "2026-10-01")
    await procedure_event(claims_service, debtor_with_limit_id, "evt-sg-2", CONVERTED)
    converted = await case.read()
    assert (converted["status"], converted["loss_ground"]) == ("indemnifiable", "insolvency")
    assert converted["deadlines"]["creance_deadline"] == "2026-09-09"
    kinds = await case.kinds()
    assert kinds[2:] == ["frozen", "collection_suspended", "creance_filed", "insolvency", "loss_established"]


async def test_a_sauvegarde_deadline_missed_is_recorded_then_a_liquidation_forfeits(
    case: Claim, claims_service: httpx.AsyncClient, debtor_with_limit_id: str, clock: FixedClock
) -> None:
    at(clock, "2026-07-10")
    await procedure_event(claims_service, debtor_with_limit_id, "evt-sg-3", SAUVEGARDE)
    at(clock, "2026-09-10")
    assert await case.sweep("2026-09-09") == {
        "on": "2026-09-09",
        "indemnifiable": 0,
        "forfeited": 0,
        "creance_missed": 0,
    }
    assert (await case.sweep("2026-09-10"))["creance_missed"] == 1
    assert (await case.sweep("2026-09-10"))["creance_missed"] == 0  # recorded once
    claim = await case.read()
    assert (claim["status"], claim["creance_missed_on"]) == ("open", "2026-09-10")
    assert (await case.kinds())[-1] == "creance_deadline_missed"
    late = await case.file("2026-09-10")
    assert late.status_code == 422 and late.json()["code"] == "CREANCE_DEADLINE_MISSED"
    # Six months from 9 July end on Saturday 9 January 2027: a relevé may be asked until Monday 11 January.
    assert await case.work() == [("forclusion_relief_to_ask", "2027-01-11")]
    await procedure_event(claims_service, debtor_with_limit_id, "evt-sg-4", CONVERTED)
    assert (await case.read())["status"] == "insolvency"
    assert (await case.sweep("2026-09-10"))["forfeited"] == 1
    assert (await case.read())["status"] == "forfeited"


async def test_a_relief_is_only_for_a_missed_deadline_and_never_moves_the_claim(
    case: Claim, claims_service: httpx.AsyncClient, debtor_with_limit_id: str, clock: FixedClock
) -> None:
    at(clock, "2026-07-20")
    no_procedure = await case.relief(requested_on="2026-07-15", granted_on="2026-07-16", notified_on="2026-07-17")
    assert no_procedure.status_code == 409 and no_procedure.json()["code"] == "RELIEF_NOT_APPLICABLE"
    await procedure_event(claims_service, debtor_with_limit_id, "evt-sg-5", SAUVEGARDE)
    in_time = await case.relief(requested_on="2026-07-15", granted_on="2026-07-16", notified_on="2026-07-17")
    assert in_time.status_code == 409 and in_time.json()["code"] == "RELIEF_NOT_APPLICABLE"
    at(clock, "2026-10-20")
    await case.sweep("2026-10-20")
    before = await case.read()
    backwards = await case.relief(requested_on="2026-10-02", granted_on="2026-10-01", notified_on="2026-10-03")
    assert backwards.status_code == 422 and backwards.json()["code"] == "RELIEF_DATES_OUT_OF_ORDER"
    ahead = await case.relief(requested_on="2026-10-01", granted_on="2026-10-15", notified_on="2026-10-21")
    assert ahead.status_code == 422 and ahead.json()["code"] == "DATE_IN_FUTURE"
    assert await case.read() == before
    relieved = await case.relief(requested_on="2026-10-01", granted_on="2026-10-15", notified_on="2026-10-19")
    assert relieved.status_code == 201, relieved.text
    # L622-24 al. 1: half the period (one month of two), from the notification.
    claim = relieved.json()
    assert (claim["status"], claim["forclusion_relief_on"], claim["deadlines"]["relief_deadline"]) == (
        "open",
        "2026-10-15",
        "2026-11-19",
    )
    assert await case.work() == [("creance_to_file", "2026-11-19")]
    twice = await case.relief(requested_on="2026-10-01", granted_on="2026-10-15", notified_on="2026-10-19")
    assert twice.status_code == 409
    # The new deadline passes unfiled: the claim is forclose again, on the record.
    at(clock, "2026-11-20")
    assert (await case.sweep("2026-11-20"))["creance_missed"] == 1
    assert (await case.file("2026-11-20")).json()["code"] == "CREANCE_DEADLINE_MISSED"


async def test_a_relieved_forfeited_claim_is_indemnifiable_once_the_creance_is_filed_in_the_new_period(
    case: Claim, claims_service: httpx.AsyncClient, debtor_with_limit_id: str, clock: FixedClock
) -> None:
    at(clock, "2026-07-10")
    await procedure_event(claims_service, debtor_with_limit_id, "evt-lj-9", LJ)
    at(clock, "2026-09-10")
    assert (await case.sweep("2026-09-10"))["forfeited"] == 1
    at(clock, "2026-11-02")
    relieved = await case.relief(requested_on="2026-10-01", granted_on="2026-10-20", notified_on="2026-10-31")
    # 31 October + one month ends on 30 November (a Monday); the claim stays forfeited until the filing.
    assert (relieved.json()["status"], relieved.json()["deadlines"]["relief_deadline"]) == ("forfeited", "2026-11-30")
    filed = await case.file("2026-11-02")
    assert filed.status_code == 201, filed.text
    assert (filed.json()["status"], filed.json()["loss_ground"]) == ("indemnifiable", "insolvency")


async def test_a_creditor_far_from_the_court_has_two_more_months(
    case: Claim, claims_service: httpx.AsyncClient, debtor_with_limit_id: str, clock: FixedClock
) -> None:
    # A liquidation opened by the tribunal mixte de commerce of Saint-Denis (La Réunion), published on 11 July;
    # the insured lives in metropolitan France (R622-24 al. 3): four months, to 11 November, a public holiday.
    at(clock, "2026-07-12")
    seat = {**LJ, "opening_publication_date": "2026-07-11", "opening_court_seat": "RE"}
    await procedure_event(claims_service, debtor_with_limit_id, "evt-re-1", seat)
    claim = await case.read()
    assert (claim["deadlines"]["creance_deadline"], claim["deadlines"]["creance_deadline_legal"]) == (
        "2026-11-12",
        "2026-11-11",
    )
    timeline = (await claims_service.get(f"{case.url}/timeline", headers=case.tokens.insured())).json()
    insolvency = next(entry for entry in timeline if entry["kind"] == "insolvency")
    assert (insolvency["detail"]["creance_deadline"], insolvency["detail"]["creance_deadline_legal"]) == (
        "2026-11-12",
        "2026-11-11",
    )


async def test_a_filing_dated_before_the_opening_or_after_a_recorded_miss_is_refused(
    case: Claim, claims_service: httpx.AsyncClient, debtor_with_limit_id: str, clock: FixedClock
) -> None:
    at(clock, "2026-07-10")
    await procedure_event(claims_service, debtor_with_limit_id, "evt-f1", SAUVEGARDE)
    before = await case.file("2026-06-30")  # the sauvegarde opened on 1 July
    assert before.status_code == 422 and before.json()["code"] == "FILING_BEFORE_OPENING"
    at(clock, "2026-09-20")
    assert (await case.sweep("2026-09-20"))["creance_missed"] == 1
    # Reported after the miss is on record, a filing dated in time is not taken: only a relief reopens it.
    backdated = await case.file("2026-09-01")
    assert backdated.status_code == 422 and backdated.json()["code"] == "CREANCE_DEADLINE_MISSED"
    await procedure_event(claims_service, debtor_with_limit_id, "evt-f2", CONVERTED)
    assert (await case.read())["status"] == "insolvency"
    assert (await case.sweep("2026-09-20"))["forfeited"] == 1
    forfeited = await case.file("2026-09-01")
    assert forfeited.status_code == 422 and forfeited.json()["code"] == "CREANCE_DEADLINE_MISSED"
    assert (await case.read())["status"] == "forfeited"


async def test_a_new_opening_sets_its_own_deadline_and_clears_the_former_procedures_relief(
    case: Claim, claims_service: httpx.AsyncClient, debtor_with_limit_id: str, clock: FixedClock
) -> None:
    at(clock, "2026-07-10")
    await procedure_event(claims_service, debtor_with_limit_id, "evt-n1", SAUVEGARDE)
    at(clock, "2026-09-20")
    await case.sweep("2026-09-20")
    relieved = await case.relief(requested_on="2026-09-15", granted_on="2026-09-17", notified_on="2026-09-19")
    assert relieved.json()["deadlines"]["relief_deadline"] == "2026-10-19"
    # The sauvegarde's plan is resolved and a redressement opened: a new procedure, published on 2 November.
    at(clock, "2026-11-03")
    opening = {**CONVERTED, "procedure": "redressement_judiciaire", "opening_publication_date": "2026-11-02"}
    await procedure_event(claims_service, debtor_with_limit_id, "evt-n2", {**opening, "opened_on": "2026-10-27"})
    claim = await case.read()
    assert (claim["status"], claim["deadlines"]["creance_deadline"], claim["deadlines"]["relief_deadline"]) == (
        "insolvency",
        "2027-01-04",  # 2 January 2027 is a Saturday
        None,
    )
    at(clock, "2026-11-20")
    assert (await case.sweep("2026-11-20"))["forfeited"] == 0
    assert (await case.file("2026-11-20")).json()["status"] == "indemnifiable"


async def test_an_opening_set_aside_on_appeal_puts_the_claim_back_to_open(
    case: Claim, claims_service: httpx.AsyncClient, debtor_with_limit_id: str, clock: FixedClock
) -> None:
    at(clock, "2026-07-10")
    await procedure_event(claims_service, debtor_with_limit_id, "evt-a1", LJ)
    assert (await case.read())["status"] == "insolvency"
    set_aside = {
        "procedure": None,
        "open": False,
        "insolvent": False,
        "opened_on": None,
        "opening_publication_date": None,
        "creance_deadline": None,
        "opening_missing": False,
    }
    at(clock, "2026-08-20")
    await procedure_event(claims_service, debtor_with_limit_id, "evt-a2", set_aside)
    claim = await case.read()
    assert (claim["status"], claim["frozen"], claim["deadlines"]["creance_deadline"]) == ("open", False, None)
    at(clock, "2026-09-20")
    assert (await case.sweep("2026-09-20"))["forfeited"] == 0
    assert (await case.kinds())[-1] == "procedure_set_aside"


async def test_the_insurer_files_the_creance_for_its_insured_under_the_policys_mandate(
    case: Claim, claims_service: httpx.AsyncClient, debtor_with_limit_id: str, clock: FixedClock, tokens: Tokens
) -> None:
    at(clock, "2026-07-10")
    await procedure_event(claims_service, debtor_with_limit_id, "evt-lj-mandate", LJ)
    body = {"filed_on": "2026-07-10", "amount": "18000.00", "court_officer": "Me Durand, mandataire judiciaire"}
    handler = tokens.issuer.issue(
        Principal(client_id="claire.martin", roles=frozenset({Role.CLAIMS_HANDLER})), now=clock.now()
    )
    headers = await as_read(claims_service, case.url, {"Authorization": f"Bearer {handler}"})
    filed = await claims_service.post(f"{case.url}/creance-filings", json=body, headers=headers)
    assert filed.status_code == 201 and filed.json()["status"] == "indemnifiable", filed.text
    timeline = (await claims_service.get(f"{case.url}/timeline", headers=tokens.insured())).json()
    assert [entry["actor"] for entry in timeline if entry["kind"] == "creance_filed"] == ["claire.martin"]
    # An underwriter does not declare créances.
    refused = await claims_service.post(
        f"{case.url}/creance-filings", json=body, headers=await as_read(claims_service, case.url, tokens.underwriter())
    )
    assert refused.status_code == 403
