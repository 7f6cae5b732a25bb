"""Another insured sees nothing of INS-ACME's, on every route an insured may call (walked from the routes).

Each such route is declared below in one class, with what another insured must get; a new route an insured
may call and that is declared nowhere fails the walk.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from services.kit.auth import Role
from tests.integration.test_route_policies import declared_roles, public_routes
from tests.shared.builders import cover_check, invoice
from tests.support import Tokens

# Routes whose path names an INS-ACME resource: another insured gets 404, whatever the method.
OWNED = {
    ("POST", "/v1/claims/{claim_id:uuid}/invoices"),
    ("GET", "/v1/policies/{policy_id:uuid}"),
    ("POST", "/v1/policies/{policy_id:uuid}/cover-checks"),
    ("GET", "/v1/policies/{policy_id:uuid}/liability"),
    ("GET", "/v1/credit-limits/{limit_id:uuid}"),
    ("PUT", "/v1/exposures/{policy_id:uuid}/{debtor_id:uuid}"),
    ("GET", "/v1/claims/{claim_id:uuid}"),
    ("GET", "/v1/claims/{claim_id:uuid}/timeline"),
    ("GET", "/v1/claims/{claim_id:uuid}/indemnity"),
    ("GET", "/v1/claims/{claim_id:uuid}/collection"),
    ("POST", "/v1/claims/{claim_id:uuid}/payments-received"),
    ("POST", "/v1/claims/{claim_id:uuid}/due-date-extensions"),
    ("POST", "/v1/claims/{claim_id:uuid}/creance-filings"),
    ("POST", "/v1/claims/{claim_id:uuid}/withdrawal"),
    ("POST", "/v1/claims/{claim_id:uuid}/collection-actions"),
}
# Routes whose body or query names an INS-ACME policy: another insured gets 404 and nothing is created.
NAMED_IN_REQUEST = {
    ("POST", "/v1/credit-limits"),
    ("POST", "/v1/claims"),
    ("GET", "/v1/credit-limits/in-force"),
    ("GET", "/v1/debtors/{debtor_id:uuid}/declaration-context"),
}
# Lists: another insured gets 200 and none of INS-ACME's rows.
LISTS = {
    ("GET", "/v1/policies"),
    ("GET", "/v1/credit-limits"),
    ("GET", "/v1/claims"),
    ("GET", "/v1/debtors/{debtor_id:uuid}/exposure"),
}
# The debtor registry and its procedures are shared by every insured: companies and BODACC judgments are
# public facts; what an insured holds on a debtor (limits, exposure, claims) is in the classes above.
SHARED = {
    ("POST", "/v1/debtors"),
    ("GET", "/v1/debtors"),
    ("GET", "/v1/debtors/{debtor_id:uuid}"),
    ("GET", "/v1/debtors/{debtor_id:uuid}/procedure"),
}


# Routes whose query names the INS-ACME resources: the query each one is walked with (names are filled in).
QUERIES = {
    "/v1/credit-limits/in-force": {"policy_id": "policy_id", "debtor_id": "debtor_id", "on": "2026-06-01"},
    "/v1/debtors/{debtor_id:uuid}/declaration-context": {"policy_id": "policy_id", "on": "2026-06-01"},
}


def bodies(policy_id: str, debtor_id: str) -> dict[tuple[str, str], Any]:
    """A well-formed body for each write an insured may make, so that only ownership can refuse it."""
    return {
        ("POST", "/v1/claims/{claim_id:uuid}/invoices"): {"invoices": [invoice("F-99")]},
        ("POST", "/v1/policies/{policy_id:uuid}/cover-checks"): cover_check(),
        ("PUT", "/v1/exposures/{policy_id:uuid}/{debtor_id:uuid}"): {
            "amount": "100.00",
            "currency": "EUR",
            "as_of_date": "2026-06-01",
        },
        ("POST", "/v1/claims/{claim_id:uuid}/payments-received"): {"amount": "10.00", "received_on": "2026-06-15"},
        ("POST", "/v1/claims/{claim_id:uuid}/due-date-extensions"): {
            "invoice_number": "F-001",
            "new_due_date": "2026-05-30",
        },
        ("POST", "/v1/claims/{claim_id:uuid}/creance-filings"): {
            "filed_on": "2026-06-15",
            "amount": "10.00",
            "court_officer": "Me X",
        },
        ("POST", "/v1/claims/{claim_id:uuid}/withdrawal"): {"reason": "probe"},
        ("POST", "/v1/claims/{claim_id:uuid}/collection-actions"): {"kind": "reminder", "done_on": "2026-06-15"},
        ("POST", "/v1/credit-limits"): {
            "policy_id": policy_id,
            "debtor_id": debtor_id,
            "amount": "1000.00",
            "currency": "EUR",
        },
        ("POST", "/v1/claims"): {"policy_id": policy_id, "debtor_id": debtor_id, "invoices": [invoice("PROBE")]},
    }


def acme_rows(payload: Any, acme_ids: set[str]) -> list[Any]:
    """Rows in an answer that belong to INS-ACME: by insured id, or by naming one of its resources."""
    items = payload.get("items", payload.get("lines", [])) if isinstance(payload, dict) else payload
    return [
        item
        for item in items
        if item.get("insured_id") == "INS-ACME" or {str(value) for value in item.values()} & acme_ids
    ]


@pytest.fixture
async def acme(
    policies: httpx.AsyncClient,
    debtors: httpx.AsyncClient,
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    active_policy_id: str,
    registered_debtor_id: str,
) -> dict[str, str]:
    """INS-ACME's policy, a credit limit request, an exposure line and a claim."""
    insured = tokens.insured()
    limit = await debtors.post(
        "/v1/credit-limits",
        json={"policy_id": active_policy_id, "debtor_id": registered_debtor_id, "amount": "5000.00", "currency": "EUR"},
        headers=insured,
    )
    exposure = await debtors.put(
        f"/v1/exposures/{active_policy_id}/{registered_debtor_id}",
        json={"amount": "900.00", "currency": "EUR", "as_of_date": "2026-06-01"},
        headers=insured,
    )
    claim = await claims_service.post(
        "/v1/claims",
        json={"policy_id": active_policy_id, "debtor_id": registered_debtor_id, "invoices": [invoice()]},
        headers=insured,
    )
    assert (limit.status_code, exposure.status_code, claim.status_code) == (201, 201, 201), claim.text
    return {
        "policy_id": active_policy_id,
        "debtor_id": registered_debtor_id,
        "limit_id": limit.json()["id"],
        "claim_id": claim.json()["id"],
    }


async def test_another_insured_sees_nothing_of_acme_on_any_route(
    policies: httpx.AsyncClient,
    debtors: httpx.AsyncClient,
    claims_service: httpx.AsyncClient,
    tokens: Tokens,
    acme: dict[str, str],
) -> None:
    clients = {"policies": policies, "debtors": debtors, "claims": claims_service}
    apps = {name: client._transport.app for name, client in clients.items()}  # type: ignore[attr-defined]
    stranger = tokens.insured("INS-BETA")
    acme_ids = set(acme.values()) - {acme["debtor_id"]}
    examples = bodies(acme["policy_id"], acme["debtor_id"])
    walked: set[tuple[str, str]] = set()
    for name, app in apps.items():
        for route in public_routes(app):
            if Role.INSURED not in (declared_roles(route.dependant) or frozenset()):
                continue
            for method in route.methods:
                walked.add((method, route.path))
                path = re.sub(r"\{(\w+)(:\w+)?\}", lambda match: acme[match.group(1)], route.path)
                params = QUERIES.get(route.path, {})
                params = {key: acme.get(value, value) for key, value in params.items()}
                body = examples.get((method, route.path))
                answer = await clients[name].request(method, path, json=body, params=params, headers=stranger)
                where = f"{method} {route.path}: {answer.status_code} {answer.text[:200]}"
                if (method, route.path) in OWNED | NAMED_IN_REQUEST:
                    assert answer.status_code == 404, where
                elif (method, route.path) in LISTS:
                    assert answer.status_code == 200, where
                    assert acme_rows(answer.json(), acme_ids) == [], where
                    own = await clients[name].request(method, path, params=params, headers=tokens.insured())
                    assert acme_rows(own.json(), acme_ids) != [], f"{where}: the probe would miss INS-ACME's rows"
                else:
                    assert (method, route.path) in SHARED, f"{method} {route.path} is in no isolation class"
    assert walked == OWNED | NAMED_IN_REQUEST | LISTS | SHARED

    # Nothing the walk sent was written for INS-ACME or on its resources.
    insured = tokens.insured()
    claims = (await claims_service.get("/v1/claims", headers=insured)).json()["items"]
    assert [claim["id"] for claim in claims] == [acme["claim_id"]]
    collection = (await claims_service.get(f"/v1/claims/{acme['claim_id']}/collection", headers=insured)).json()
    assert collection["actions"] == [] and claims[0]["status"] == "open"
    limits = (await debtors.get("/v1/credit-limits", headers=insured)).json()["items"]
    assert [limit["id"] for limit in limits] == [acme["limit_id"]]
    exposure = (await debtors.get(f"/v1/debtors/{acme['debtor_id']}/exposure", headers=insured)).json()
    assert [line["amount"] for line in exposure["lines"]] == ["900.00"]
