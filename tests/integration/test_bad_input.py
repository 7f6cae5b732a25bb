"""Bad input never answers 500: each gets a 4xx problem that names the field, and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.kit.clock import FixedClock
from services.kit.pagination import encode_cursor
from tests.conftest import INTERNAL_TOKEN
from tests.integration.test_declarations import declaration
from tests.shared.builders import invoice, policy_body
from tests.support import Tokens, at

SAMPLES = json.loads((Path(__file__).resolve().parents[1] / "data" / "bodacc" / "samples.json").read_text())


def names_the_field(answer: httpx.Response, field: str, status: int = 422) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert field in json.dumps(answer.json()), answer.json()


@pytest.mark.parametrize(
    "text",
    [
        "Dupont\x00SA",
        "Dupont\u202eAS",
        "Dupont\x1bSA",
        "Dupont\u061cSA",  # Arabic letter mark, a bidirectional mark
        "Dupont\u200fSA",  # right-to-left mark
        "Dupont\u200bSA",  # zero-width space
        "\ufeffDupont SA",  # byte order mark
        "Dupont SA\uffff",  # a noncharacter
        "Dupont\u00adSA",  # soft hyphen
        "Dupont\u200dSA",  # zero-width joiner
        "Dupont\u200cSA",  # zero-width non-joiner
        "Dupont\u034fSA",  # combining grapheme joiner
        "Dupont\u180eSA",  # Mongolian vowel separator
        "Dupont\u206aSA",  # inhibit symmetric swapping (deprecated format character)
        "Dupont\ufe0fSA",  # variation selector
        "\u3164",  # Hangul filler: a name that shows nothing
        "\u2800",  # Braille blank
        "\u115f\u1160",  # Hangul choseong and jungseong fillers
        "\uffa0",  # halfwidth Hangul filler
        " ",
        "\u3000",
        "\u00a0 \t",
    ],
)
async def test_control_invisible_or_blank_text_is_refused(
    debtors: httpx.AsyncClient, tokens: Tokens, text: str
) -> None:
    body = {"legal_name": text, "country": "FR", "siren": "552032534"}
    names_the_field(await debtors.post("/v1/debtors", json=body, headers=tokens.insured()), "legal_name")
    listed = await debtors.get("/v1/debtors", headers=tokens.underwriter())
    assert listed.json()["items"] == []


@pytest.mark.parametrize("query", ["name=Du%00pont", "siren=55203%002534", "vat=FR%0027552032534"])
async def test_control_characters_in_a_query_are_refused(
    debtors: httpx.AsyncClient, tokens: Tokens, query: str
) -> None:
    answer = await debtors.get(f"/v1/debtors?{query}", headers=tokens.underwriter())
    names_the_field(answer, query.split("=")[0])
    assert answer.json()["code"] == "INVALID_QUERY_PARAMETER"


@pytest.mark.parametrize(
    ("number", "amount"),
    [
        ("a\r\nb", "100.00"),
        ("F\u202e1-00", "100.00"),
        ("F-\x00", "100.00"),
        ("F-1", "\uff11\uff12\uff13.00"),  # full-width digits
        ("F-1", "1_000.00"),
        ("F-1", "+12.00"),
        ("F-1", " 12.00"),
        ("F-1", "12.00 "),
        ("F-1", "1e3"),
    ],
)
async def test_invoice_numbers_and_amounts_looser_than_documented_are_refused(
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    active_policy_id: str,
    registered_debtor_id: str,
    number: str,
    amount: str,
) -> None:
    body = declaration(
        active_policy_id, registered_debtor_id, invoices=[invoice(number, amount=amount, vat_amount="0.00")]
    )
    answer = await claims_service.post("/v1/claims", json=body, headers=tokens.insured())
    names_the_field(answer, "number" if number != "F-1" else "amount")
    assert (await claims_service.get("/v1/claims", headers=tokens.handler())).json()["items"] == []


@pytest.mark.parametrize("day", ["9999-12-31", "9999-12-30", "1899-12-31"])
async def test_dates_outside_business_time_are_refused_not_overflowed(
    claims_service: httpx.AsyncClient,
    policies: httpx.AsyncClient,
    tokens: Tokens,
    active_policy_id: str,
    registered_debtor_id: str,
    day: str,
) -> None:
    body = declaration(
        active_policy_id, registered_debtor_id, invoices=[invoice("F-9", invoice_date="2026-03-01", due_date=day)]
    )
    names_the_field(await claims_service.post("/v1/claims", json=body, headers=tokens.insured()), "due_date")
    check = {"debtor_country": "FR", "declaration_date": day, "invoices": [invoice()]}
    names_the_field(
        await policies.post(f"/v1/policies/{active_policy_id}/cover-checks", json=check, headers=tokens.insured()),
        "declaration_date",
    )


@pytest.mark.parametrize("key", [["x"], [None], [], [1], ["00000000-0000-0000-0000-000000000000", "x"], {"a": 1}])
async def test_forged_cursors_are_refused_on_every_list(
    policies: httpx.AsyncClient,
    debtors: httpx.AsyncClient,
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    key: Any,
) -> None:
    import base64

    cursor = (
        encode_cursor(key)
        if isinstance(key, list)
        else base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")
    )
    for client, path in (
        (policies, "/v1/policies"),
        (debtors, "/v1/debtors"),
        (debtors, "/v1/credit-limits"),
        (claims_service, "/v1/claims"),
    ):
        answer = await client.get(
            f"{path}?cursor={cursor}",
            headers=tokens.underwriter() if client is not claims_service else tokens.handler(),
        )
        assert (answer.status_code, answer.json()["code"]) == (422, "INVALID_CURSOR"), path


async def test_an_exposure_total_beyond_fifteen_digits_is_answered(
    debtors: httpx.AsyncClient, policies: httpx.AsyncClient, tokens: Tokens, registered_debtor_id: str
) -> None:
    largest = {"amount": "9999999999999.99", "currency": "EUR", "as_of_date": "2026-06-01"}
    for number in ("POL-A", "POL-B"):
        policy = (
            await policies.post("/v1/policies", json=policy_body(number=number), headers=tokens.underwriter())
        ).json()
        put = await debtors.put(
            f"/v1/exposures/{policy['id']}/{registered_debtor_id}", json=largest, headers=tokens.underwriter()
        )
        assert put.status_code == 201, put.text
    total = await debtors.get(f"/v1/debtors/{registered_debtor_id}/exposure", headers=tokens.underwriter())
    assert total.status_code == 200 and total.json()["totals"] == [{"currency": "EUR", "amount": "19999999999999.98"}]


@pytest.mark.parametrize(
    "data",
    [{}, {"debtor_id": "not-an-id", "state": {}}, {"debtor_id": "01a2196c-0cb4-7b68-9575-037cad08a135"}],
)
async def test_a_malformed_event_with_a_valid_token_is_refused_not_retried(
    claims_service: httpx.AsyncClient, debtors: httpx.AsyncClient, data: dict[str, Any]
) -> None:
    headers = {"X-Internal-Token": INTERNAL_TOKEN}
    envelope = {"event_id": "evt-bad", "type": "debtor.procedure_changed.v1", "occurred_at": "2026-06-15T10:00:00Z"}
    answer = await claims_service.post("/internal/events", json={**envelope, "data": data}, headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (422, "MALFORMED_EVENT")
    for kind in ("claim.opened.v1", "claim.closed.v1"):
        answer = await debtors.post("/internal/events", json={**envelope, "type": kind, "data": data}, headers=headers)
        assert (answer.status_code, answer.json()["code"]) == (422, "MALFORMED_EVENT")


async def test_one_bad_bodacc_record_is_reported_alone_and_the_rest_recorded(
    debtors: httpx.AsyncClient, tokens: Tokens, clock: FixedClock
) -> None:
    at(clock, "2026-11-30")
    nul = {**SAMPLES[1], "id": "BAD-NUL", "tribunal": "Tribunal\x00de commerce"}
    far = {
        **SAMPLES[1],
        "id": "BAD-FAR",
        "jugement": json.dumps({"nature": "Jugement d'ouverture de liquidation judiciaire", "date": "9999-12-31"}),
    }
    long_id = {**SAMPLES[1], "id": "X" * 65}
    report = await debtors.post(
        "/v1/procedure-announcements", json=[*SAMPLES, nul, far, long_id], headers=tokens.handler()
    )
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["recorded"], body["ignored"]) == (10, 4)
    reasons = {item["announcement_id"]: item["reason"] for item in body["ignored_details"]}
    assert "U+0000" in reasons["BAD-NUL"] and "not a date of a procedure" in reasons["BAD-FAR"]


@pytest.mark.parametrize(
    ("term", "value"),
    [
        ("max_credit_period_days", True),
        ("waiting_period_days", 180.0),
        ("notification_deadline_days", "90"),
        ("limit_reduction_notice_days", False),
        ("vat_covered", "yes"),
        ("vat_covered", 1),
        ("collection_duties_required", "false"),
    ],
)
async def test_numbers_and_flags_are_only_what_json_writes_them_as(
    policies: httpx.AsyncClient, tokens: Tokens, term: str, value: Any
) -> None:
    body = policy_body(number="POL-LOOSE", terms={term: value})
    names_the_field(await policies.post("/v1/policies", json=body, headers=tokens.underwriter()), term)
    assert (await policies.get("/v1/policies", headers=tokens.underwriter())).json()["items"] == []
