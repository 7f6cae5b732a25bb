"""`make demo`: the newcomer's tour, against a running suite (`make run`).

Creates a policy, debtors and a limit, declares two defaults, records the collection steps on one,
ingests the BODACC samples, pays, shares a recovery, and prints each claim's collection track, timeline
and indemnity. Time passes only through the sandbox clock (POST /v1/sandbox/clock, as an admin), which
sweeps every day it skips: nothing is dated after the suite's today.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date, timedelta
from typing import Any

import httpx

from services.kit.settings import PROJECT_ROOT

GATEWAY = os.environ.get("GATEWAY_URL", "http://127.0.0.1:8000")
SAMPLES = PROJECT_ROOT / "tests" / "data" / "bodacc" / "samples.json"


class Tour:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.tokens: dict[str, dict[str, str]] = {}
        self.start = date.today()

    def day(self, offset: int) -> str:
        """A date counted from the sandbox's today when the tour began."""
        return (self.start + timedelta(days=offset)).isoformat()

    def move_to(self, offset: int, why: str = "") -> None:
        """Move the suite's sandbox clock forward (an admin's move): no fact is ever dated after its today."""
        target = self.day(offset)
        moved = self.call("POST", "/v1/sandbox/clock", "demo-admin", json={"today": target}).json()
        if why:
            swept = moved["effects"].get("claims", {})
            print(f"\n-- sandbox clock {moved['previous']} -> {moved['today']}: {why} (swept: {swept})", flush=True)

    def as_(self, client_id: str) -> dict[str, str]:
        if client_id not in self.tokens:
            form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": f"{client_id}-secret"}
            answer = self.client.post("/oauth/token", data=form)
            answer.raise_for_status()
            self.tokens[client_id] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        return self.tokens[client_id]

    def call(
        self, method: str, path: str, who: str, *, expect: tuple[int, ...] = (200, 201), **kwargs: Any
    ) -> httpx.Response:
        headers = {**self.as_(who), **kwargs.pop("headers", {})}
        answer = self.client.request(method, path, headers=headers, **kwargs)
        if answer.status_code not in expect:
            raise SystemExit(f"{method} {path} answered {answer.status_code}: {answer.text}")
        return answer

    def debtor(self, siren: str, name: str) -> str:
        answer = self.call(
            "POST",
            "/v1/debtors",
            "demo-insured",
            json={"legal_name": name, "country": "FR", "siren": siren},
            expect=(201, 409),
        )
        return answer.headers["Location"].rsplit("/", 1)[1]


def say(text: str) -> None:
    print(f"\n== {text}", flush=True)


def show_claim(tour: Tour, url: str) -> None:
    claim = tour.call("GET", url, "demo-handler").json()
    print(f"claim {claim['id']}  status={claim['status']}  deadlines={claim['deadlines']}")
    for entry in tour.call("GET", f"{url}/timeline", "demo-handler").json():
        move = f"{entry['status_from'] or ''} -> {entry['status_to']}" if entry["status_to"] else ""
        kind = entry["kind"] if entry["kind"] != "collection_action" else f"collection:{entry['detail']['action']}"
        print(f"  {entry['at'][:19]}  {kind:<31} {move:<28} by {entry['actor']:<18} {entry['source'] or ''}")
    indemnity = tour.call("GET", f"{url}/indemnity", "demo-handler", expect=(200, 409))
    if indemnity.status_code == 200:
        body = indemnity.json()
        print(f"  indemnity {body['amount']} {body['currency']} (eligible loss {body['eligible_loss']})")
        for line in body["breakdown"]:
            print(f"    {line['rule']:<36} {line['invoice_number'] or '':<4} {line['amount']:>12}  {line['detail']}")


def show_collection(tour: Tour, url: str) -> None:
    track = tour.call("GET", f"{url}/collection", "demo-insured").json()
    print(f"collection: route={track['route']} stage={track['stage']} duties met={track['duties_met']}")
    for action in track["actions"]:
        documents = ", ".join(f"{item['kind']} {item['reference']}" for item in action["documents"])
        stage, who = action["stage"] or "", action["recorded_by"]
        print(f"  {action['done_on']}  {action['kind']:<22} {stage:<14} by {who:<14} {documents}")
    step = track["next_step"]
    if step:
        print(f"  next: {step['action']} by {step['by']}, due {step['due']} — {step['detail']}")


def invoice(number: str, invoice_date: str, due_date: str, amount: str, vat: str) -> dict[str, str]:
    return {
        "number": number,
        "invoice_date": invoice_date,
        "due_date": due_date,
        "amount": amount,
        "vat_amount": vat,
        "currency": "EUR",
    }


def main() -> int:
    with httpx.Client(base_url=GATEWAY, timeout=60) as client:
        try:
            client.get("/readyz").raise_for_status()
        except httpx.HTTPError:
            print(f"No suite answers at {GATEWAY}: start it with `make run` first.", file=sys.stderr)
            return 1
        tour = Tour(client)
        clock = tour.call("GET", "/v1/sandbox/clock", "demo-admin", expect=(200, 404))
        if clock.status_code == 404:
            print(
                "The tour moves the suite's sandbox clock: run it against `make run` (sandbox mode).", file=sys.stderr
            )
            return 1
        tour.start = date.fromisoformat(clock.json()["today"])
        return walk(tour)


def walk(tour: Tour) -> int:
    """Both claims, each to a paid indemnity, with time moved forward through the sandbox clock only."""
    say(f"The sandbox's today is {tour.start}: every date below is counted from it")
    policy_id = open_policy(tour)
    say("The insured registers two buyers; one gets a named credit limit of 10,000 from today")
    in_lj = tour.debtor("552100554", "Evry Distribution SARL")
    slow_payer = tour.debtor("732829320", "Dupont Lyon SA")
    requested = tour.call(
        "POST",
        "/v1/credit-limits",
        "demo-insured",
        json={"policy_id": policy_id, "debtor_id": in_lj, "amount": "10000.00", "currency": "EUR"},
    )
    tour.call(
        "POST",
        f"{requested.headers['Location']}/decision",
        "demo-underwriter",
        json={"decision": "granted", "reason": "2025 accounts", "effective_date": tour.day(0)},
        headers={"If-Match": requested.headers["ETag"]},
    )
    tour.move_to(20, "deliveries are made and invoiced on credit")
    tour.move_to(100, "the invoices are overdue: the insured declares two defaults")
    first = declare(
        tour,
        policy_id,
        in_lj,
        [
            invoice("A", tour.day(5), tour.day(65), "12000.00", "2000.00"),
            invoice("B", tour.day(20), tour.day(80), "6000.00", "1000.00"),
        ],
    )
    second = declare(tour, policy_id, slow_payer, [invoice("C", tour.day(5), tour.day(65), "24000.00", "4000.00")])
    tour.call(
        "POST",
        f"{first}/payments-received",
        "demo-insured",
        json={"amount": "3000.00", "received_on": tour.day(100)},
    )
    collect(tour, second)
    insolvency(tour, first)
    waiting_ends = date.fromisoformat(
        tour.call("GET", second, "demo-handler").json()["deadlines"]["waiting_period_end"]
    )
    tour.move_to((waiting_ends - tour.start).days + 1, "the second claim's waiting period has run out")
    say("The claims handler's worklist")
    for item in tour.call("GET", "/v1/worklist", "demo-handler").json()["items"]:
        print(f"  {item['due']}  {item['action']:<34} claim {item['claim_id']}")
    say("Indemnities paid (once), a recovery shared")
    for url in (first, second):
        tour.call("POST", f"{url}/indemnity", "demo-handler")
    today = tour.day((waiting_ends - tour.start).days + 1)
    tour.call("POST", f"{first}/recoveries", "demo-handler", json={"amount": "1000.00", "received_on": today})
    for url in (first, second):
        say(f"Claim {url}")
        show_claim(tour, url)
        show_collection(tour, url)
    liability = tour.call("GET", f"/v1/policies/{policy_id}/liability?on={tour.day(5)}", "demo-insured").json()
    say(
        f"Maximum liability of the year: {liability['max_liability']}, consumed {liability['consumed']}, "
        f"remaining {liability['remaining']}"
    )
    return 0


def open_policy(tour: Tour) -> str:
    say("An underwriter creates and activates a policy for INS-ACME")
    number = f"DEMO-{int(time.time())}"
    policy = {
        "number": number,
        "insured_id": "INS-ACME",
        "insured_name": "Acme Industries SAS",
        "insured_country": "FR",
        "currency": "EUR",
        "start_date": tour.day(0),
        "end_date": tour.day(700),
        "terms": {
            "claim_threshold": "1000.00",
            "deductible": "500.00",
            "discretionary_limit": "20000.00",
            "max_liability": "1000000.00",
            "covered_countries": ["FR", "BE", "DE"],
        },
    }
    created = tour.call("POST", "/v1/policies", "demo-underwriter", json=policy)
    tour.call(
        "PATCH",
        created.headers["Location"],
        "demo-underwriter",
        json={"status": "active"},
        headers={"If-Match": created.headers["ETag"]},
    )
    print(f"policy {number} ({created.json()['id']}) active from {tour.day(0)}")
    return str(created.json()["id"])


def declare(tour: Tour, policy_id: str, debtor_id: str, invoices: list[dict[str, str]]) -> str:
    body = {"policy_id": policy_id, "debtor_id": debtor_id, "invoices": invoices}
    return tour.call("POST", "/v1/claims", "demo-insured", json=body).headers["Location"]


def collect(tour: Tour, claim: str) -> None:
    say("The insured collects on the second claim: reminder, formal notice, then an injonction de payer")
    steps = [
        (100, "reminder", {}),
        (105, "formal_notice", {"method": "registered_letter_with_acknowledgment", "payment_period_days": 8}),
        (
            120,
            "injonction_requested",
            {"documents": [{"kind": "invoice", "reference": "C"}, {"kind": "delivery_note", "reference": "BL-C"}]},
        ),
        (130, "injonction_granted", {"documents": [{"kind": "court_decision", "reference": "IP-2026-118"}]}),
        (
            140,
            "injonction_served",
            {"served_to_person": True, "documents": [{"kind": "service_record", "reference": "CJ-5521"}]},
        ),
    ]
    for offset, kind, more in steps:
        tour.move_to(offset)
        body = {"kind": kind, "done_on": tour.day(offset), **more}
        tour.call("POST", f"{claim}/collection-actions", "demo-insured", json=body)
    show_collection(tour, claim)


def insolvency(tour: Tour, claim: str) -> None:
    say("A claims handler ingests the BODACC samples, and records a liquidation opened today on the first buyer")
    samples = json.loads(SAMPLES.read_text())
    report = tour.call("POST", "/v1/procedure-announcements", "demo-handler", json=samples).json()
    print({key: value for key, value in report.items() if key != "ignored_details"})
    debtor_id = tour.call("GET", claim, "demo-handler").json()["debtor_id"]
    judgment = {
        "procedure": "liquidation_judiciaire",
        "event": "opening",
        "judgment_date": tour.day(140),
        "publication_date": tour.day(140),
        "court": "Tribunal de commerce d'Evry",
    }
    tour.call("POST", f"/v1/debtors/{debtor_id}/procedure-events", "demo-handler", json=judgment)
    for _ in range(100):
        if tour.call("GET", claim, "demo-handler").json()["status"] == "insolvency":
            break
        time.sleep(0.2)
    read = tour.call("GET", claim, "demo-insured")  # a change to the claim sends back the ETag it read
    print(f"créance due by {read.json()['deadlines']['creance_deadline']}; the insured files it today")
    tour.call(
        "POST",
        f"{claim}/creance-filings",
        "demo-insured",
        json={"filed_on": tour.day(140), "amount": "15000.00", "court_officer": "Me Dupont, mandataire judiciaire"},
        headers={"If-Match": read.headers["ETag"]},
    )


if __name__ == "__main__":
    raise SystemExit(main())
