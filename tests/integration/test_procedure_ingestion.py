"""BODACC ingestion and manual judgments: history, deadlines, unknown SIRENs kept, events queued."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from services.debtors.adapters.tables import outbox
from services.kit.clock import FixedClock
from tests.support import Tokens, at

DATA = Path(__file__).resolve().parents[1] / "data" / "bodacc"
SAMPLES: list[dict[str, Any]] = json.loads((DATA / "samples.json").read_text())
EXPECTED: dict[str, Any] = json.loads((DATA / "expected.json").read_text())


@pytest.fixture(autouse=True)
def after_the_samples_were_published(clock: FixedClock) -> None:
    """The samples were published up to October 2026: they are read once their day has come."""
    at(clock, "2026-11-30")


async def register(debtors: httpx.AsyncClient, tokens: Tokens, siren: str) -> str:
    body = {"legal_name": f"Company {siren}", "country": "FR", "siren": siren}
    response = await debtors.post("/v1/debtors", json=body, headers=tokens.underwriter())
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def outbox_rows(debtors_app: Any) -> list[dict[str, Any]]:
    async with debtors_app.state.db.readers() as session:
        return [dict(row._mapping) for row in await session.execute(select(outbox).order_by(outbox.c.id))]


async def test_every_sample_is_read_back_as_expected(
    debtors: httpx.AsyncClient, tokens: Tokens, debtors_app: Any
) -> None:
    sirens = sorted({item["siren"] for item in EXPECTED.values() if item})
    ids = {siren: await register(debtors, tokens, siren) for siren in sirens}
    report = await debtors.post("/v1/procedure-announcements", json=SAMPLES, headers=tokens.handler())
    assert report.status_code == 200, report.text
    assert report.json() | {"ignored_details": None} == {
        "received": 11,
        "recorded": 10,
        "duplicates": 0,
        "unknown_debtor": 0,
        "ignored": 1,
        "ignored_details": None,
    }
    for announcement_id, expected in EXPECTED.items():
        if expected is None:
            continue
        state = (await debtors.get(f"/v1/debtors/{ids[expected['siren']]}/procedure", headers=tokens.insured())).json()
        [event] = [item for item in state["history"] if item["announcement_id"] == announcement_id]
        assert {
            "siren": expected["siren"],
            "procedure": event["procedure"],
            "event": event["event"],
            "judgment_date": event["judgment_date"],
            "publication_date": event["publication_date"],
            "creance_deadline": event["creance_deadline"],
        } == expected
    rj_then_lj = (await debtors.get(f"/v1/debtors/{ids['302466339']}/procedure", headers=tokens.handler())).json()
    assert (rj_then_lj["procedure"], rj_then_lj["creance_deadline"], rj_then_lj["insolvent"]) == (
        "liquidation_judiciaire",
        "2026-06-02",
        True,
    )
    conversion_only = (await debtors.get(f"/v1/debtors/{ids['482309382']}/procedure", headers=tokens.handler())).json()
    assert conversion_only["opening_missing"] is True and conversion_only["creance_deadline"] is None
    events = await outbox_rows(debtors_app)
    assert len(events) == 10 and {row["event_type"] for row in events} == {"debtor.procedure_changed.v1"}
    assert all(row["destination"] == "http://claims/internal/events" for row in events)


async def test_reingesting_changes_nothing(debtors: httpx.AsyncClient, tokens: Tokens, debtors_app: Any) -> None:
    await register(debtors, tokens, "853479236")
    first = await debtors.post("/v1/procedure-announcements", json=SAMPLES, headers=tokens.handler())
    queued = len(await outbox_rows(debtors_app))
    again = await debtors.post("/v1/procedure-announcements", json=SAMPLES[1], headers=tokens.handler())
    assert first.json()["recorded"] == 10
    assert again.json() | {"ignored_details": []} == {
        "received": 1,
        "recorded": 0,
        "duplicates": 1,
        "unknown_debtor": 0,
        "ignored": 0,
        "ignored_details": [],
    }
    assert len(await outbox_rows(debtors_app)) == queued


async def test_each_event_carries_the_state_the_whole_history_leads_to(
    debtors: httpx.AsyncClient, tokens: Tokens, debtors_app: Any
) -> None:
    """The redressement's opening, then its conversion in a later batch: the liquidation keeps the RJ's deadline."""
    debtor_id = await register(debtors, tokens, "302466339")
    await debtors.post("/v1/procedure-announcements", json=[SAMPLES[3]], headers=tokens.handler())
    await debtors.post("/v1/procedure-announcements", json=[SAMPLES[4]], headers=tokens.handler())
    opening, conversion = [row["payload"] for row in await outbox_rows(debtors_app)]
    assert (opening["debtor_id"], opening["state"]["procedure"], opening["state"]["insolvent"]) == (
        debtor_id,
        "redressement_judiciaire",
        True,
    )
    assert conversion["procedure_event"]["event"] == "conversion"
    assert conversion["state"] == {
        "procedure": "liquidation_judiciaire",
        "open": True,
        "insolvent": True,
        "opened_on": "2026-03-25",
        "opening_publication_date": "2026-04-02",
        "creance_deadline": "2026-06-02",
        "creance_deadline_legal": "2026-06-02",
        "opening_missing": False,
        "opening_court": "Greffe du Tribunal de Commerce de Nanterre",
        "opening_court_seat": "FR",
    }


async def test_unknown_siren_is_kept_and_applied_when_the_debtor_is_created(
    debtors: httpx.AsyncClient, tokens: Tokens, debtors_app: Any
) -> None:
    report = await debtors.post("/v1/procedure-announcements", json=[SAMPLES[1]], headers=tokens.handler())
    assert report.json()["unknown_debtor"] == 1
    assert await outbox_rows(debtors_app) == []
    debtor_id = await register(debtors, tokens, "853479236")
    state = (await debtors.get(f"/v1/debtors/{debtor_id}/procedure", headers=tokens.handler())).json()
    assert (state["procedure"], state["creance_deadline"], state["insolvent"]) == (
        "liquidation_judiciaire",
        "2026-11-09",
        True,
    )
    [event] = await outbox_rows(debtors_app)
    assert event["payload"]["debtor_id"] == debtor_id and event["payload"]["state"]["insolvent"] is True


async def test_manual_judgment_by_a_claims_handler(debtors: httpx.AsyncClient, tokens: Tokens) -> None:
    debtor_id = await register(debtors, tokens, "534640974")
    body = {
        "procedure": "sauvegarde",
        "event": "opening",
        "judgment_date": "2026-03-04",
        "publication_date": "2026-03-12",
    }
    response = await debtors.post(f"/v1/debtors/{debtor_id}/procedure-events", json=body, headers=tokens.handler())
    assert response.status_code == 201, response.text
    assert (response.json()["creance_deadline"], response.json()["insolvent"], response.json()["open"]) == (
        "2026-05-12",
        False,
        True,
    )
    as_insured = await debtors.post(f"/v1/debtors/{debtor_id}/procedure-events", json=body, headers=tokens.insured())
    assert as_insured.status_code == 403
    bad = {**body, "publication_date": "2026-03-01"}
    assert (
        await debtors.post(f"/v1/debtors/{debtor_id}/procedure-events", json=bad, headers=tokens.handler())
    ).status_code == 422
    state = (await debtors.get(f"/v1/debtors/{debtor_id}/procedure", headers=tokens.handler())).json()
    assert len(state["history"]) == 1


async def test_procedure_opening_stops_cover_on_every_policy(
    debtors: httpx.AsyncClient, policies: httpx.AsyncClient, tokens: Tokens
) -> None:
    from tests.shared.builders import policy_body

    policy_id = (await policies.post("/v1/policies", json=policy_body(), headers=tokens.underwriter())).json()["id"]
    debtor_id = await register(debtors, tokens, "853479236")
    await debtors.post("/v1/procedure-announcements", json=SAMPLES[1], headers=tokens.handler())
    query = f"/v1/credit-limits/in-force?policy_id={policy_id}&debtor_id={debtor_id}&on=2026-08-30&on=2026-08-31"
    limits = (await debtors.get(query, headers=tokens.insured())).json()["limits"]
    assert [(item["amount"], item["stopped"]) for item in limits] == [("20000.00", None), ("0.00", "procedure_opened")]


async def test_batch_limit_and_bad_bodies(debtors: httpx.AsyncClient, tokens: Tokens) -> None:
    too_many = [SAMPLES[0]] * 10_001
    response = await debtors.post("/v1/procedure-announcements", json=too_many, headers=tokens.handler())
    assert response.status_code == 422
    junk = await debtors.post(
        "/v1/procedure-announcements", json=[{"id": "X", "familleavis": "collective"}], headers=tokens.handler()
    )
    assert junk.status_code == 200 and junk.json()["ignored"] == 1
    assert (await debtors.post("/v1/procedure-announcements", json="text", headers=tokens.handler())).status_code == 422
    assert (
        await debtors.post("/v1/procedure-announcements", json=SAMPLES, headers=tokens.insured())
    ).status_code == 403
