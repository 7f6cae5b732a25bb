"""The debtor registry: identifiers validated, one debtor per (country, national id), search."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import Tokens

ACME_SIREN = "732829320"  # a valid SIREN (Luhn)
ACME_SIRET = "73282932000074"


def debtor_body(**overrides: Any) -> dict[str, Any]:
    body = {"legal_name": "Dupont Distribution SA", "country": "FR", "siren": ACME_SIREN, "city": "Lyon"}
    body.update(overrides)
    return body


async def count(debtors: httpx.AsyncClient, tokens: Tokens) -> int:
    return len((await debtors.get("/v1/debtors?limit=200", headers=tokens.underwriter())).json()["items"])


async def test_french_debtor_is_registered_by_siren(debtors: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await debtors.post("/v1/debtors", json=debtor_body(siren="732 829 320"), headers=tokens.insured())
    assert response.status_code == 201, response.text
    debtor = response.json()
    assert response.headers["Location"] == f"/v1/debtors/{debtor['id']}"
    assert (debtor["national_id"], debtor["siren"]) == (ACME_SIREN, ACME_SIREN)


async def test_siret_gives_the_siren(debtors: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await debtors.post(
        "/v1/debtors", json=debtor_body(siren=None, siret=ACME_SIRET), headers=tokens.insured()
    )
    assert response.status_code == 201 and response.json()["siren"] == ACME_SIREN


async def test_la_poste_siret_is_accepted(debtors: httpx.AsyncClient, tokens: Tokens) -> None:
    # La Poste's establishments do not pass the Luhn check on the SIRET; their digit sum does.
    body = debtor_body(legal_name="La Poste", siren=None, siret="35600000000048")
    response = await debtors.post("/v1/debtors", json=body, headers=tokens.underwriter())
    assert response.status_code == 201 and response.json()["siren"] == "356000000"


@pytest.mark.parametrize(
    "body",
    [
        debtor_body(siren="732829321"),
        debtor_body(siren=None),
        debtor_body(siren=None, siret="73282932000075"),
        debtor_body(siret="44306184100047"),
        debtor_body(vat_number="FR00732829320"),
        debtor_body(vat_number="FR59542051180"),  # TotalEnergies' own number, valid but not this debtor's
        debtor_body(country="DE", siren=None),
        debtor_body(country="DE", siren=ACME_SIREN, national_id="HRB 12345"),
        debtor_body(lei="5493001KJTIIGC8Y1R13"),
    ],
)
async def test_bad_identifier_is_refused_with_the_reason_and_writes_nothing(
    debtors: httpx.AsyncClient, tokens: Tokens, body: dict[str, Any]
) -> None:
    response = await debtors.post("/v1/debtors", json=body, headers=tokens.insured())
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "INVALID_IDENTIFIER" and response.json()["detail"]
    assert await count(debtors, tokens) == 0


async def test_duplicate_answers_409_with_the_existing_location(debtors: httpx.AsyncClient, tokens: Tokens) -> None:
    first = await debtors.post("/v1/debtors", json=debtor_body(), headers=tokens.insured())
    again = await debtors.post(
        "/v1/debtors", json=debtor_body(legal_name="Other name", siret=ACME_SIRET), headers=tokens.insured()
    )
    assert again.status_code == 409 and again.json()["code"] == "DEBTOR_EXISTS"
    assert again.headers["Location"] == first.headers["Location"]
    assert await count(debtors, tokens) == 1


async def test_foreign_debtor_by_national_id_and_vat(debtors: httpx.AsyncClient, tokens: Tokens) -> None:
    body = {"legal_name": "Müller GmbH", "country": "DE", "national_id": "HRB 86891", "vat_number": "DE136695976"}
    response = await debtors.post("/v1/debtors", json=body, headers=tokens.insured())
    assert response.status_code == 201, response.text
    assert response.json()["vat_number"] == "DE136695976" and response.json()["siren"] is None


async def test_search_by_siren_siret_vat_and_name_prefix(debtors: httpx.AsyncClient, tokens: Tokens) -> None:
    await debtors.post("/v1/debtors", json=debtor_body(vat_number="FR44732829320"), headers=tokens.insured())
    await debtors.post(
        "/v1/debtors",
        json={"legal_name": "Müller GmbH", "country": "DE", "national_id": "HRB 86891"},
        headers=tokens.insured(),
    )
    headers = tokens.insured()

    async def names(query: str) -> list[str]:
        response = await debtors.get(f"/v1/debtors?{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [item["legal_name"] for item in response.json()["items"]]

    assert await names(f"siren={ACME_SIREN}") == ["Dupont Distribution SA"]
    assert await names(f"siret={ACME_SIRET}") == ["Dupont Distribution SA"]
    assert await names("vat=FR44732829320") == ["Dupont Distribution SA"]
    assert await names("name=mull") == ["Müller GmbH"]
    assert await names("name=dupont%20dis") == ["Dupont Distribution SA"]
    assert await names("name=%25") == []
    assert (await debtors.get("/v1/debtors?siret=123", headers=headers)).status_code == 422
