"""Two copies of every service on one PostgreSQL, the gateway's calls spread over them as a Kubernetes Service
spreads connections: declarations, BODACC, payment, sweeps and the relays run on both at once, each effect once;
then one copy of each is killed mid-run and the other carries on with nothing lost."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from deploy.local import DEV_CLIENTS, SERVICES, Suite
from services.kit.db import async_url
from tests.e2e.balancer import Balancer
from tests.e2e.webhook_receiver import Receiver
from tests.e2e.world import World, eventually, ok
from tests.shared.builders import invoice
from tests.shared.ports import free_port, free_ports
from tests.support import BACKEND, Databases, in_thread

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(BACKEND != "postgresql", reason="replicas share a database server: PostgreSQL, not SQLite"),
]
SAMPLES = json.loads((Path(__file__).resolve().parents[1] / "data" / "bodacc" / "samples.json").read_text())
RECORDED_FROM_SAMPLES = 10  # what one upload of the samples records (tests/integration/test_outbox_delivery.py)
SIRENS = ["482309382", "853479236", "534640974", "302466339", "629923129", "973669468", "164808941", "819248659"]
FAST = {
    "CLAIMS_RELAY_POLL_SECONDS": "0.1",
    "DEBTORS_RELAY_POLL_SECONDS": "0.1",
    "CLAIMS_RELAY_LEASE_SECONDS": "3",  # a killed copy's batch is taken by the other after 3 s
    "DEBTORS_RELAY_LEASE_SECONDS": "3",
    # The partner's receiver is on loopback: only a sandboxed webhooks service posts there (its clock is not moved).
    "WEBHOOKS_SANDBOX": "true",
    "WEBHOOKS_DELIVERY_POLL_SECONDS": "0.1",
    "WEBHOOKS_DELIVERY_LEASE_SECONDS": "3",
    # A key taken by a copy that died is free again after this long (60 s in production).
    **{f"{service.upper()}_IDEMPOTENCY_LEASE_SECONDS": "4" for service in SERVICES},
}
TODAY = date.today()


@dataclass
class Replicas:
    suite: Suite
    copies: dict[str, list[int]]
    balancers: dict[str, Balancer]
    databases: dict[str, str]

    def copy(self, service: str, index: int) -> str:
        return f"http://127.0.0.1:{self.copies[service][index]}"


@pytest.fixture(scope="module")
def replicas(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    workdir = tmp_path_factory.mktemp("replicas")
    copies = {service: list(free_ports([f"{service}-1", f"{service}-2"]).values()) for service in SERVICES}
    balancers = {service: Balancer(ports) for service, ports in copies.items()}
    ports = {service: balancer.start() for service, balancer in balancers.items()} | {"gateway": free_port()}
    urls = {service: databases.fresh(service) for service in SERVICES}
    suite = Suite(
        ports=ports,
        database_urls=urls,
        keys_dir=workdir / "keys",
        clients_file=DEV_CLIENTS,
        log_dir=workdir,
        extra_env=FAST,
    )
    env = suite.environment()
    for service, pair in copies.items():
        for index, port in enumerate(pair, 1):
            suite.start_copy(service, port=port, env=env, key=f"{service}-{index}")
    suite.start_copy("gateway", port=ports["gateway"], env=env)
    running = Replicas(suite, copies, balancers, urls)
    try:
        suite.wait_ready(timeout=60)
        every_copy = [running.copy(service, index) for service in SERVICES for index in (0, 1)]
        for copy in every_copy:  # the gateway's readiness saw one copy of each; both must be
            assert eventually(lambda at=copy: httpx.get(f"{at}/readyz").status_code == 200), copy
        yield running
    finally:
        suite.stop()
        for balancer in balancers.values():
            balancer.stop()


@pytest.fixture(scope="module")
def suite(replicas: Replicas) -> Suite:
    return replicas.suite


def scalar(url: str, sql: str) -> Any:
    async def read() -> Any:
        engine = create_async_engine(async_url(url))
        try:
            async with engine.connect() as conn:
                return (await conn.execute(text(sql))).scalar()
        finally:
            await engine.dispose()

    return in_thread(read)


def unpaid(number: str) -> dict[str, Any]:
    """An invoice 35 days overdue today: a declaration in time."""
    return invoice(
        number,
        invoice_date=(TODAY - timedelta(days=95)).isoformat(),
        due_date=(TODAY - timedelta(days=35)).isoformat(),
    )


RETRIED = {"IDEMPOTENCY_KEY_IN_FLIGHT"}


def declare(base: str, who: dict[str, str], policy_id: str, debtor_id: str, key: str) -> str:
    """Declare with an Idempotency-Key until answered, as a partner retries on failure: the claim's id."""
    body = {"policy_id": policy_id, "debtor_id": debtor_id, "invoices": [unpaid(f"R-{key}")]}
    deadline, answer = time.monotonic() + 60, None
    while time.monotonic() < deadline:
        try:
            answer = httpx.post(f"{base}/v1/claims", json=body, headers={**who, "Idempotency-Key": key}, timeout=20)
        except httpx.HTTPError:
            time.sleep(0.2)
            continue
        if answer.status_code in (200, 201):
            return str(answer.json()["id"])
        code = answer.json().get("code") if answer.headers.get("content-type", "").endswith("json") else None
        if answer.status_code >= 500 or code in RETRIED:
            time.sleep(0.2)
            continue
        if code == "IDEMPOTENCY_RESPONSE_LOST":  # committed, answer lost: read the resource
            [claim] = httpx.get(f"{base}/v1/claims", params={"debtor_id": debtor_id}, headers=who).json()["items"]
            return str(claim["id"])
        raise AssertionError(f"{answer.status_code} {answer.text}")
    raise AssertionError(f"no answer for {key}: {answer.text if answer is not None else 'no connection'}")


def posted(base: str, path: str, body: Any, who: dict[str, str]) -> dict[str, Any]:
    return ok(httpx.post(f"{base}{path}", json=body, headers=who, timeout=30))


def claims_of(gateway: httpx.Client, who: dict[str, str], debtor_id: str) -> list[dict[str, Any]]:
    return ok(gateway.get("/v1/claims", params={"debtor_id": debtor_id}, headers=who))["items"]


def served_by(replicas: Replicas, service: str, index: int, route: str) -> float:
    text_ = httpx.get(f"{replicas.copy(service, index)}/metrics").text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text_.splitlines()
        if line.startswith("http_requests_total{") and f'route="{route}"' in line
    )


def test_each_idempotency_key_is_one_claim_whichever_copies_its_requests_reach(
    gateway: httpx.Client, people: dict[str, dict[str, str]], replicas: Replicas
) -> None:
    world = World(gateway, people)
    policy_id = world.policy("REPL-1", "INS-ACME")
    debtors = [world.debtor(9200 + number) for number in range(13)]
    base = replicas.suite.url("gateway")
    jobs = [(debtors[n], f"repl-decl-{n}") for n in range(12) for _ in range(2)]  # each key sent twice at once
    with ThreadPoolExecutor(12) as pool:
        ids = list(pool.map(lambda job: declare(base, people["insured"], policy_id, *job), jobs))
    for n in range(12):
        assert ids[2 * n] == ids[2 * n + 1], f"key repl-decl-{n} made two claims"
        assert [claim["id"] for claim in claims_of(gateway, people["insured"], debtors[n])] == [ids[2 * n]]
    # The same key at both copies directly, at the same moment.
    copies = [replicas.copy("claims", index) for index in (0, 1, 0, 1)]
    with ThreadPoolExecutor(4) as pool:
        direct = list(
            pool.map(lambda at: declare(at, people["insured"], policy_id, debtors[12], "repl-direct"), copies)
        )
    assert len(set(direct)) == 1 and len(claims_of(gateway, people["insured"], debtors[12])) == 1
    for index in (0, 1):  # both copies served declarations
        assert served_by(replicas, "claims", index, "/v1/claims") > 0, index


def test_bodacc_sent_to_both_copies_at_once_is_recorded_once_and_reaches_claims_once(
    gateway: httpx.Client, people: dict[str, dict[str, str]], replicas: Replicas
) -> None:
    for siren in SIRENS:
        body = {"legal_name": f"Company {siren}", "country": "FR", "siren": siren}
        assert gateway.post("/v1/debtors", json=body, headers=people["underwriter"]).status_code in (201, 409)
    copies = [replicas.copy("debtors", index) for index in (0, 1, 0, 1)]
    with ThreadPoolExecutor(4) as pool:
        reports = list(
            pool.map(lambda at: posted(at, "/v1/procedure-announcements", SAMPLES, people["handler"]), copies)
        )
    assert sum(report["recorded"] for report in reports) == RECORDED_FROM_SAMPLES
    debtors_db, claims_db = replicas.databases["debtors"], replicas.databases["claims"]
    undelivered = "SELECT count(*) FROM outbox WHERE delivered_at IS NULL"
    assert eventually(lambda: scalar(debtors_db, undelivered) == 0), "the relays of both copies left events behind"
    sent = scalar(
        debtors_db,
        "SELECT count(DISTINCT event_id) FROM outbox WHERE event_type = 'debtor.procedure_changed.v1' "
        f"AND destination LIKE '%{replicas.suite.ports['claims']}/internal/events'",
    )
    taken = scalar(claims_db, "SELECT count(*) FROM inbox WHERE event_type = 'debtor.procedure_changed.v1'")
    assert sent > 0 and taken == sent
    assert scalar(claims_db, "SELECT count(*) FROM debtor_procedures") == len(SIRENS)


def judgment(debtor_id: str, *, published_days_ago: int) -> dict[str, Any]:
    day = (TODAY - timedelta(days=published_days_ago)).isoformat()
    return {"procedure": "liquidation_judiciaire", "event": "opening", "judgment_date": day, "publication_date": day}


def insolvent_claim(
    gateway: httpx.Client, people: dict[str, dict[str, str]], world: World, policy_id: str, number: int, days_ago: int
) -> str:
    """A claim whose debtor went into liquidation judiciaire `days_ago` days ago, moved into insolvency."""
    debtor_id = world.debtor(number)
    claim_id = declare(str(gateway.base_url).rstrip("/"), people["insured"], policy_id, debtor_id, f"repl-ins-{number}")
    event = judgment(debtor_id, published_days_ago=days_ago)
    ok(gateway.post(f"/v1/debtors/{debtor_id}/procedure-events", json=event, headers=people["handler"]), 201)
    read = lambda: ok(gateway.get(f"/v1/claims/{claim_id}", headers=people["insured"]))["status"]  # noqa: E731
    assert eventually(lambda: read() == "insolvency"), read()
    return claim_id


def test_an_indemnity_asked_of_both_copies_at_once_is_paid_and_reserved_once(
    gateway: httpx.Client, people: dict[str, dict[str, str]], replicas: Replicas
) -> None:
    world = World(gateway, people)
    policy_id = world.policy("REPL-PAY", "INS-ACME")
    claim_id = insolvent_claim(gateway, people, world, policy_id, 9300, days_ago=0)
    url = f"/v1/claims/{claim_id}"
    filing = {"filed_on": TODAY.isoformat(), "amount": "12000.00", "court_officer": "Me Dupont"}
    as_read = {**people["insured"], "If-Match": gateway.get(url, headers=people["insured"]).headers["ETag"]}
    assert ok(gateway.post(f"{url}/creance-filings", json=filing, headers=as_read), 201)["status"] == "indemnifiable"
    asks = [(replicas.copy("claims", index % 2), f"repl-pay-{index}") for index in range(6)]

    def pay(ask: tuple[str, str]) -> httpx.Response:
        at, key = ask
        return httpx.post(f"{at}{url}/indemnity", headers={**people["handler"], "Idempotency-Key": key}, timeout=30)

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(pay, asks))
    assert all(answer.status_code < 500 for answer in answers), [answer.text for answer in answers]
    [paid] = [answer.json() for answer in answers if answer.status_code == 201]
    assert ok(gateway.get(url, headers=people["insured"]))["status"] == "indemnified"
    liability = ok(gateway.get(f"/v1/policies/{policy_id}/liability", headers=people["underwriter"]))
    assert liability["reservations"] == 1 and liability["consumed"] == paid["amount"]


def test_sweeps_run_on_both_copies_at_once_forfeit_each_late_claim_once(
    gateway: httpx.Client, people: dict[str, dict[str, str]], replicas: Replicas
) -> None:
    world = World(gateway, people)
    policy_id = world.policy("REPL-SWEEP", "INS-ACME")
    # Published 70 days ago: the two months to file the créance ended ten days ago (Code de commerce R622-24).
    late = [insolvent_claim(gateway, people, world, policy_id, 9400 + number, days_ago=70) for number in range(3)]
    copies = [replicas.copy("claims", index % 2) for index in range(8)]
    with ThreadPoolExecutor(8) as pool:
        reports = list(pool.map(lambda at: posted(at, "/v1/claims/sweeps", {}, people["handler"]), copies))
    assert sum(report["forfeited"] for report in reports) == len(late)
    for claim_id in late:
        timeline = ok(gateway.get(f"/v1/claims/{claim_id}/timeline", headers=people["insured"]))
        assert [line["kind"] for line in timeline].count("forfeited") == 1


@pytest.fixture(scope="module")
def partner() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    base = receiver.start()
    yield receiver, base
    receiver.stop()


def test_one_copy_of_each_service_killed_mid_run_the_other_carries_on_and_nothing_is_lost(
    gateway: httpx.Client, people: dict[str, dict[str, str]], replicas: Replicas, partner: tuple[Receiver, str]
) -> None:
    receiver, partner_url = partner
    subscription = {"url": f"{partner_url}/ok-replicas", "event_types": ["claim.opened"]}
    endpoint = ok(gateway.post("/v1/webhook-endpoints", json=subscription, headers=people["insured"]), 201)
    world = World(gateway, people)
    policy_id = world.policy("REPL-KILL", "INS-ACME")
    debtors = [world.debtor(9500 + number) for number in range(16)]
    base = replicas.suite.url("gateway")
    done: list[str] = []

    def one(number: int) -> str:
        claim_id = declare(base, people["insured"], policy_id, debtors[number], f"repl-kill-{number}")
        done.append(claim_id)
        return claim_id

    with ThreadPoolExecutor(4) as pool:
        running = [pool.submit(one, number) for number in range(16)]
        assert eventually(lambda: len(done) >= 4)
        for service in SERVICES:
            replicas.suite.stop(f"{service}-1", sig=signal.SIGKILL)
        ids = [future.result(timeout=120) for future in running]
    assert len(set(ids)) == 16
    for number in range(16):
        assert [claim["id"] for claim in claims_of(gateway, people["insured"], debtors[number])] == [ids[number]]
    claims_db, debtors_db = replicas.databases["claims"], replicas.databases["debtors"]
    undelivered = "SELECT count(*) FROM outbox WHERE delivered_at IS NULL"
    assert eventually(lambda: scalar(claims_db, undelivered) == 0, within=60), "events lost with the killed copy"
    opened = scalar(
        claims_db,
        "SELECT count(DISTINCT event_id) FROM outbox WHERE event_type = 'claim.opened.v1' "
        f"AND destination LIKE '%{replicas.suite.ports['debtors']}/internal/events'",
    )
    assert scalar(debtors_db, "SELECT count(*) FROM inbox WHERE event_type = 'claim.opened.v1'") == opened
    # The partner is told of each claim once in effect (a message the killed copy was sending may come twice,
    # under the same webhook-id).
    told = eventually(lambda: len(receiver.verified("/ok-replicas", endpoint["secret"])) >= 16, within=60)
    assert told and {m["data"]["claim_id"] for m in receiver.verified("/ok-replicas", endpoint["secret"])} == set(ids)
