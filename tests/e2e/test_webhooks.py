"""Signed webhooks over the real processes: every signature verifies with the Standard Webhooks library, an insured
never receives another's events, retries deliver once in effect, a dead receiver ends disabled, and SIGKILL of the
delivering process loses nothing."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from deploy.local import Suite
from tests.e2e.conftest import suite_running, token
from tests.e2e.webhook_receiver import Receiver
from tests.e2e.world import World, eventually, ok
from tests.shared.builders import invoice
from tests.shared.metrics import by_outcome
from tests.support import Databases

pytestmark = pytest.mark.e2e
# 27 h 35 min of retries in about ten seconds; a lease of two seconds so that a killed worker's batch comes back.
FAST = {
    "WEBHOOKS_RETRY_TIME_SCALE": "0.0001",
    "WEBHOOKS_DELIVERY_POLL_SECONDS": "0.1",
    "WEBHOOKS_DELIVERY_LEASE_SECONDS": "2",
    "WEBHOOKS_DELIVERY_TIMEOUT_SECONDS": "3",
    "DEBTORS_RELAY_POLL_SECONDS": "0.1",
    "CLAIMS_RELAY_POLL_SECONDS": "0.1",
}
ALL_EVENTS = [
    "claim.opened",
    "claim.rejected",
    "claim.indemnity_paid",
    "credit_limit.decided",
    "debtor.procedure_changed",
]


@pytest.fixture(scope="module")
def suite(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    with suite_running(databases, tmp_path_factory.mktemp("suite-webhooks"), FAST, sandbox=True) as running:
        yield running


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, str]]:
    partner = Receiver()
    base = partner.start()
    yield partner, base
    partner.stop()


def register(gateway: httpx.Client, who: dict[str, str], url: str, events: list[str]) -> dict[str, Any]:
    return ok(gateway.post("/v1/webhook-endpoints", json={"url": url, "event_types": events}, headers=who), 201)


def all_delivered(gateway: httpx.Client, url: str, who: dict[str, str], *, count: int) -> list[dict[str, Any]]:
    """The delivery log once it holds this many messages, all delivered; empty until then."""
    log: list[dict[str, Any]] = ok(gateway.get(url, headers=who))["items"]
    return log if len(log) == count and {item["state"] for item in log} == {"delivered"} else []


def shown_version(gateway: httpx.Client, url: str, people: dict[str, dict[str, str]]) -> str:
    return gateway.get(url, headers=people["insured"]).headers["ETag"].strip('"')


def ids(received: list[Any]) -> list[dict[str, str]]:
    return [got.headers for got in received]


def test_signed_events_reach_their_insured_only(
    gateway: httpx.Client, people: dict[str, dict[str, str]], receiver: tuple[Receiver, str]
) -> None:
    partner, base = receiver
    acme = register(gateway, people["insured"], f"{base}/ok-acme", ALL_EVENTS)
    beta = register(gateway, people["insured-beta"], f"{base}/ok-beta", ALL_EVENTS)
    assert acme["secret"].startswith("whsec_") and "secret" not in ok(
        gateway.get(f"/v1/webhook-endpoints/{acme['id']}", headers=people["insured"])
    )
    # Another insured's endpoint does not exist for ACME.
    assert gateway.get(f"/v1/webhook-endpoints/{beta['id']}", headers=people["insured"]).status_code == 404
    world = World(gateway, people)
    acme_policy, beta_policy = world.policy("WH-ACME", "INS-ACME"), world.policy("WH-BETA", "INS-BETA")
    shared_debtor = world.debtor(9001)
    world.limit_granted(acme_policy, shared_debtor)
    world.limit_granted(beta_policy, world.debtor(9002, "insured-beta"), who="insured-beta")
    judgment = {
        "procedure": "redressement_judiciaire",
        "event": "opening",
        "judgment_date": world.today,
        "publication_date": world.today,
    }
    ok(gateway.post(f"/v1/debtors/{shared_debtor}/procedure-events", json=judgment, headers=people["handler"]), 201)

    got_acme = eventually(
        lambda: len(partner.verified("/ok-acme", acme["secret"])) >= 2 and partner.verified("/ok-acme", acme["secret"])
    )
    got_beta = eventually(lambda: partner.verified("/ok-beta", beta["secret"]))
    assert sorted(event["type"] for event in got_acme) == ["credit_limit.decided", "debtor.procedure_changed"]
    assert [event["type"] for event in got_beta] == ["credit_limit.decided"]
    decided = next(event for event in got_acme if event["type"] == "credit_limit.decided")
    assert got_beta[0]["data"]["policy_id"] == beta_policy and decided["data"]["policy_id"] == acme_policy
    procedure = next(event for event in got_acme if event["type"] == "debtor.procedure_changed")
    assert procedure["data"]["debtor_id"] == shared_debtor and procedure["data"]["state"]["insolvent"] is True
    # The delivery log says what happened, attempt by attempt.
    # The receiver answered before the worker recorded it: the log says so a moment later.
    deliveries = f"/v1/webhook-endpoints/{acme['id']}/deliveries"
    log = eventually(lambda: all_delivered(gateway, deliveries, people["insured"], count=2))
    assert log and all(item["attempts"][0]["status"] == 204 for item in log)
    assert gateway.get(deliveries, headers=people["insured-beta"]).status_code == 404


def scraped(url: str) -> dict[tuple[str, str], float]:
    return by_outcome(httpx.get(f"{url}/metrics").text)


def test_a_receiver_failing_twice_gets_the_event_once_in_effect(
    gateway: httpx.Client, people: dict[str, dict[str, str]], receiver: tuple[Receiver, str], suite: Suite
) -> None:
    partner, base = receiver
    flaky = register(gateway, people["insured"], f"{base}/flaky", ["credit_limit.decided"])
    world = World(gateway, people)
    world.limit_granted(world.policy("WH-FLAKY", "INS-ACME"), world.debtor(9003))
    assert eventually(lambda: len(partner.at("/flaky")) >= 3)
    tries = partner.at("/flaky")
    assert len({got.headers["webhook-id"] for got in tries}) == 1  # one message, tried three times
    assert len(partner.verified("/flaky", flaky["secret"])) == 1
    [delivery] = eventually(
        lambda: all_delivered(gateway, f"/v1/webhook-endpoints/{flaky['id']}/deliveries", people["insured"], count=1)
    )
    assert [attempt["status"] for attempt in delivery["attempts"]] == [500, 500, 204]
    # What an operator sees: the attempts by outcome, the debtors' relay passing.
    webhooks, debtors = scraped(suite.url("webhooks")), scraped(suite.url("debtors"))
    assert (
        webhooks[("webhook_deliveries_total", "retry")] >= 2
        and webhooks[("webhook_deliveries_total", "delivered")] >= 1
    )
    assert webhooks[("background_job_runs_total", "succeeded")] >= 1
    assert debtors[("outbox_events_settled_total", "delivered")] >= 1 and debtors[("database_up", "")] == 1
    assert debtors[("outbox_relay_last_pass_timestamp_seconds", "")] > time.time() - 60


def test_a_receiver_down_for_the_whole_window_ends_disabled_and_disturbs_nothing(
    gateway: httpx.Client, people: dict[str, dict[str, str]], receiver: tuple[Receiver, str]
) -> None:
    partner, base = receiver
    down = register(gateway, people["insured"], f"{base}/down", ["credit_limit.decided"])
    fine = register(gateway, people["insured"], f"{base}/ok-beside", ["credit_limit.decided"])
    world = World(gateway, people)
    world.limit_granted(world.policy("WH-DOWN", "INS-ACME"), world.debtor(9004))
    endpoint_url = f"/v1/webhook-endpoints/{down['id']}"
    disabled = eventually(lambda: not ok(gateway.get(endpoint_url, headers=people["insured"]))["enabled"], within=60)
    assert disabled
    shown = ok(gateway.get(endpoint_url, headers=people["insured"]))
    assert "No delivery succeeded" in shown["disabled_reason"] and "HTTP 503" in shown["disabled_reason"]
    [delivery] = ok(gateway.get(f"{endpoint_url}/deliveries", headers=people["insured"]))["items"]
    assert delivery["state"] == "failed" and len(delivery["attempts"]) == 8
    assert len(partner.verified("/ok-beside", fine["secret"])) == 1
    # Nothing is sent to a disabled endpoint, by hand either; enabled again, the message is tried once more.
    redeliver = f"{endpoint_url}/deliveries/{delivery['id']}/redeliver"
    assert gateway.post(redeliver, headers=people["insured"]).json()["code"] == "WEBHOOK_ENDPOINT_DISABLED"
    tried = len(partner.at("/down"))
    enable = {**people["insured"], "If-Match": f'"{shown_version(gateway, endpoint_url, people)}"'}
    ok(gateway.patch(endpoint_url, json={"enabled": True}, headers=enable))
    assert ok(gateway.post(redeliver, headers=people["insured"]))["state"] == "pending"
    assert eventually(lambda: len(partner.at("/down")) > tried)


def test_a_receiver_answering_410_is_tried_once_and_its_endpoint_disabled(
    gateway: httpx.Client, people: dict[str, dict[str, str]], receiver: tuple[Receiver, str]
) -> None:
    partner, base = receiver
    gone = register(gateway, people["insured"], f"{base}/gone", ["credit_limit.decided"])
    world = World(gateway, people)
    world.limit_granted(world.policy("WH-GONE", "INS-ACME"), world.debtor(9005))
    endpoint_url = f"/v1/webhook-endpoints/{gone['id']}"
    assert eventually(lambda: not ok(gateway.get(endpoint_url, headers=people["insured"]))["enabled"])
    assert (
        ok(gateway.get(endpoint_url, headers=people["insured"]))["disabled_reason"] == "The endpoint answered 410 Gone."
    )
    [delivery] = ok(gateway.get(f"{endpoint_url}/deliveries", headers=people["insured"]))["items"]
    assert delivery["state"] == "failed" and [a["status"] for a in delivery["attempts"]] == [410]
    assert len(partner.at("/gone")) == 1


def test_sigkill_of_the_delivering_process_loses_nothing(
    suite: Suite, gateway: httpx.Client, people: dict[str, dict[str, str]], receiver: tuple[Receiver, str]
) -> None:
    partner, base = receiver
    slow = register(gateway, people["insured"], f"{base}/slow", ["credit_limit.decided"])
    world = World(gateway, people)
    policy_id = world.policy("WH-KILL", "INS-ACME")
    for number in range(9010, 9022):
        world.limit_granted(policy_id, world.debtor(number))
    assert eventually(lambda: partner.at("/slow"))  # deliveries are under way
    suite.stop("webhooks", sig=signal.SIGKILL)
    suite.start("webhooks")
    suite.wait_ready(timeout=60)
    deliveries = f"/v1/webhook-endpoints/{slow['id']}/deliveries"

    def settled() -> list[dict[str, Any]]:
        log = ok(gateway.get(deliveries, headers=people["insured"]))["items"]
        return log if len(log) == 12 and {item["state"] for item in log} == {"delivered"} else []

    log = eventually(settled, within=60)
    assert log, ok(gateway.get(deliveries, headers=people["insured"]))["items"]
    # Each message reached the receiver (a batch the kill interrupted, twice: same webhook-id, dropped by it).
    assert {item["id"] for item in log} == {message["webhook-id"] for message in ids(partner.at("/slow"))}
    assert len(partner.verified("/slow", slow["secret"])) == 12


def test_a_claim_walk_tells_its_insured_each_step(
    gateway: httpx.Client, people: dict[str, dict[str, str]], receiver: tuple[Receiver, str]
) -> None:
    partner, base = receiver
    claims = [
        "claim.opened",
        "claim.status_changed",
        "claim.deadline_approaching",
        "claim.indemnity_paid",
        "claim.recovery_shared",
    ]
    endpoint = register(gateway, people["insured"], f"{base}/ok-claims", claims)
    world = World(gateway, people)
    debtor_id, policy_id = world.debtor(9030), world.policy("WH-CLAIM", "INS-ACME")
    world.limit_granted(policy_id, debtor_id)
    start = date.fromisoformat(world.today)
    day = lambda offset: (start + timedelta(days=offset)).isoformat()  # noqa: E731
    ok(gateway.post("/v1/sandbox/clock", json={"today": day(100)}, headers=token(gateway, "demo-admin")))
    lines = [invoice("W-1", invoice_date=day(5), due_date=day(65), amount="12000.00", vat_amount="2000.00")]
    declared = gateway.post(
        "/v1/claims",
        json={"policy_id": policy_id, "debtor_id": debtor_id, "invoices": lines},
        headers=people["insured"],
    )
    claim_url = declared.headers["Location"]
    judgment = {
        "procedure": "liquidation_judiciaire",
        "event": "opening",
        "judgment_date": day(100),
        "publication_date": day(100),
    }
    ok(gateway.post(f"/v1/debtors/{debtor_id}/procedure-events", json=judgment, headers=people["handler"]), 201)
    read = eventually(
        lambda: (r := gateway.get(claim_url, headers=people["insured"])).json()["status"] == "insolvency" and r
    )
    deadline = date.fromisoformat(read.json()["deadlines"]["creance_deadline"])
    # Three days before the créance is due, the insured is reminded of it.
    filed_on = (deadline - timedelta(days=3)).isoformat()
    ok(gateway.post("/v1/sandbox/clock", json={"today": filed_on}, headers=token(gateway, "demo-admin")))
    filing = {"filed_on": filed_on, "amount": "12000.00", "court_officer": "Me Dupont"}
    as_read = {**people["insured"], "If-Match": gateway.get(claim_url, headers=people["insured"]).headers["ETag"]}
    ok(gateway.post(f"{claim_url}/creance-filings", json=filing, headers=as_read), 201)
    ok(gateway.post(f"{claim_url}/indemnity", headers=people["handler"]), 201)
    recovery = {"amount": "1000.00", "received_on": filed_on}
    ok(gateway.post(f"{claim_url}/recoveries", json=recovery, headers=people["handler"]), 201)

    got = eventually(lambda: (m := partner.verified("/ok-claims", endpoint["secret"])) and len(m) >= 8 and m)
    kinds = [event["type"] for event in got]
    assert {"claim.opened", "claim.indemnity_paid", "claim.recovery_shared"} <= set(kinds), kinds
    [reminder] = [event["data"] for event in got if event["type"] == "claim.deadline_approaching"]
    assert (reminder["action"], reminder["due"], reminder["days_left"]) == ("creance_to_file", deadline.isoformat(), 3)
    moves = [(e["data"]["status_from"], e["data"]["status_to"]) for e in got if e["type"] == "claim.status_changed"]
    assert {("open", "insolvency"), ("insolvency", "indemnifiable"), ("indemnifiable", "indemnified")} <= set(moves)
    shared = next(event["data"] for event in got if event["type"] == "claim.recovery_shared")
    assert shared["claim_id"] == claim_url.rsplit("/", 1)[1] and shared["amount"] == "1000.00"
