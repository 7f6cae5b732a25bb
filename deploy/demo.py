"""`make demo`: the newcomer's tour, against a running suite (`make run`).

Creates a policy, debtors and a limit, declares two defaults, records the collection steps on one,
ingests the BODACC samples, sweeps the deadlines, pays, shares a recovery, and prints each claim's
collection track, timeline and indemnity.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from services.kit.settings import PROJECT_ROOT

GATEWAY = os.environ.get("GATEWAY_URL", "http://127.0.0.1:8000")
SAMPLES = PROJECT_ROOT / "tests" / "data" / "bodacc" / "samples.json"
TODAY = datetime.now(UTC).date()


def day(offset: int) -> str:
    """Dates are counted from today: the suite runs on the real clock."""
    return (TODAY + timedelta(days=offset)).isoformat()


class Tour:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.tokens: dict[str, dict[str, str]] = {}

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
    with httpx.Client(base_url=GATEWAY, timeout=15) as client:
        try:
            client.get("/readyz").raise_for_status()
        except httpx.HTTPError:
            print(f"No suite answers at {GATEWAY}: start it with `make run` first.", file=sys.stderr)
            return 1
        tour = Tour(client)
        say("An underwriter creates and activates a policy for INS-ACME")
        number = f"DEMO-{int(time.time())}"
        policy = {
            "number": number,
            "insured_id": "INS-ACME",
            "insured_name": "Acme Industries SAS",
            "insured_country": "FR",
            "currency": "EUR",
            "start_date": day(-200),
            "end_date": day(500),
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
        policy_id = created.json()["id"]
        print(f"policy {number} ({policy_id}) active")

        say("The insured registers two buyers; one gets a named credit limit of 10,000")
        in_lj, slow_payer = (
            tour.debtor("552100554", "Evry Distribution SARL"),
            tour.debtor("732829320", "Dupont Lyon SA"),
        )
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
            json={"decision": "granted", "reason": "2025 accounts", "effective_date": day(-200)},
            headers={"If-Match": requested.headers["ETag"]},
        )

        say("The insured declares two defaults (today)")

        def declare(debtor_id: str, invoices: list[dict[str, str]]) -> str:
            body = {"policy_id": policy_id, "debtor_id": debtor_id, "invoices": invoices}
            return tour.call("POST", "/v1/claims", "demo-insured", json=body).headers["Location"]

        first = declare(
            in_lj,
            [
                invoice("A", day(-100), day(-40), "12000.00", "2000.00"),
                invoice("B", day(-80), day(-20), "6000.00", "1000.00"),
            ],
        )
        second = declare(slow_payer, [invoice("C", day(-100), day(-40), "24000.00", "4000.00")])
        tour.call(
            "POST", f"{first}/payments-received", "demo-insured", json={"amount": "3000.00", "received_on": day(0)}
        )

        say("The insured records how it collected on the second claim: reminder, formal notice, injonction de payer")
        steps = [
            ("reminder", day(-35), {}),
            ("formal_notice", day(-30), {"method": "registered_letter_with_acknowledgment", "payment_period_days": 8}),
            (
                "injonction_requested",
                day(-20),
                {"documents": [{"kind": "invoice", "reference": "C"}, {"kind": "delivery_note", "reference": "BL-C"}]},
            ),
            ("injonction_granted", day(-10), {"documents": [{"kind": "court_decision", "reference": "IP-2026-118"}]}),
            ("injonction_served", day(-5), {"documents": [{"kind": "service_record", "reference": "CJ-5521"}]}),
        ]
        for kind, done_on, more in steps:
            tour.call(
                "POST", f"{second}/collection-actions", "demo-insured", json={"kind": kind, "done_on": done_on, **more}
            )
        show_collection(tour, second)

        say("A claims handler ingests the BODACC samples, and records a liquidation opened today on the first buyer")
        samples = json.loads(SAMPLES.read_text())
        report = tour.call("POST", "/v1/procedure-announcements", "demo-handler", json=samples).json()
        print({key: value for key, value in report.items() if key != "ignored_details"})
        judgment = {
            "procedure": "liquidation_judiciaire",
            "event": "opening",
            "judgment_date": day(0),
            "publication_date": day(0),
            "court": "Tribunal de commerce d'Evry",
        }
        tour.call("POST", f"/v1/debtors/{in_lj}/procedure-events", "demo-handler", json=judgment)
        for _ in range(100):
            if tour.call("GET", first, "demo-handler").json()["status"] == "insolvency":
                break
            time.sleep(0.2)
        read = tour.call("GET", first, "demo-insured")  # a change to the claim sends back the ETag it read
        tour.call(
            "POST",
            f"{first}/creance-filings",
            "demo-insured",
            json={"filed_on": day(0), "amount": "15000.00", "court_officer": "Me Dupont, mandataire judiciaire"},
            headers={"If-Match": read.headers["ETag"]},
        )

        waiting_ends = tour.call("GET", second, "demo-handler").json()["deadlines"]["waiting_period_end"]
        sweep_on = (date.fromisoformat(waiting_ends) + timedelta(days=1)).isoformat()
        say(f"The deadline sweep runs as of {sweep_on}: the second claim's waiting period is over")
        print(tour.call("POST", "/v1/claims/sweeps", "demo-handler", json={"on": sweep_on}).json())

        say("The claims handler's worklist")
        for item in tour.call("GET", "/v1/worklist", "demo-handler").json()["items"]:
            print(f"  {item['due']}  {item['action']:<34} claim {item['claim_id']}")

        say("Indemnities paid (once), a recovery shared")
        for url in (first, second):
            tour.call("POST", f"{url}/indemnity", "demo-handler")
        tour.call("POST", f"{first}/recoveries", "demo-handler", json={"amount": "1000.00", "received_on": day(0)})

        for url in (first, second):
            say(f"Claim {url}")
            show_claim(tour, url)
            show_collection(tour, url)
        liability = tour.call("GET", f"/v1/policies/{policy_id}/liability?on={day(-100)}", "demo-insured").json()
        say(
            f"Maximum liability of the year: {liability['max_liability']}, consumed {liability['consumed']}, "
            f"remaining {liability['remaining']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
