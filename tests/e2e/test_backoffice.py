"""The back office in a real browser (the machine's Chromium) against the real processes: a claims handler takes a
claim from the worklist to its recovery, an underwriter decides a limit, and every action is in the record under the
person's name. Screenshots of each page are kept under var/screens/backoffice for review."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from deploy.local import Suite
from services.kit.settings import PROJECT_ROOT
from tests.e2e.conftest import suite_running
from tests.e2e.world import World, ok
from tests.shared.builders import invoice
from tests.support import Databases

pytestmark = pytest.mark.e2e
SCREENS = PROJECT_ROOT / "var" / "screens" / "backoffice"
HANDLER, UNDERWRITER = "claire.martin", "paul.bernard"


@pytest.fixture(scope="module")
def suite(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    fast = {"DEBTORS_RELAY_POLL_SECONDS": "0.1", "CLAIMS_RELAY_POLL_SECONDS": "0.1"}
    workdir = tmp_path_factory.mktemp("suite-backoffice")
    with suite_running(databases, workdir, fast, sandbox=True, backoffice=True) as running:
        yield running


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter(field => !field.labels || field.labels.length === 0).map(field => field.name)"""


def shot(page: Page, name: str) -> None:
    """The page kept for review, once it shows the basics: one h1, and a label for every field."""
    assert page.locator("h1").count() == 1, name
    assert page.evaluate(UNLABELLED) == [], name
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENS / f"{name}.png", full_page=True)


def log_in(page: Page, base: str, login: str, password: str | None = None) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(password or f"{login}-password")
    page.get_by_role("button", name="Log in").click()


def reload_until(page: Page, check: Callable[[], bool], tries: int = 50) -> None:
    """Reload until the page shows what an event relayed between services changes."""
    for _ in range(tries):
        if check():
            return
        page.wait_for_timeout(200)
        page.reload()
    assert check()


def declared_claim(world: World, gateway: httpx.Client, people: dict[str, dict[str, str]], number: int) -> str:
    """A claim opened by the insured through the API: one invoice due 45 days ago, under a granted limit."""
    policy_id, debtor_id = world.policy(f"BO-{number}", "INS-ACME"), world.debtor(number)
    world.limit_granted(policy_id, debtor_id)
    today = date.fromisoformat(world.today)
    sold = invoice(
        f"BO-{number}",
        invoice_date=(today - timedelta(days=75)).isoformat(),
        due_date=(today - timedelta(days=45)).isoformat(),
        amount="12000.00",
        vat_amount="2000.00",
    )
    body = {"policy_id": policy_id, "debtor_id": debtor_id, "invoices": [sold]}
    claim = ok(gateway.post("/v1/claims", json=body, headers=people["insured"]), 201)
    assert claim["status"] == "open"
    return str(claim["id"])


def test_a_claims_handler_takes_a_claim_from_the_worklist_to_its_recovery_under_her_name(
    suite: Suite, gateway: httpx.Client, people: dict[str, dict[str, str]], page: Page
) -> None:
    world = World(gateway, people)
    claim_id = declared_claim(world, gateway, people, 9101)
    base = suite.url("backoffice")
    log_in(page, base, HANDLER)
    expect(page.get_by_role("heading", name="Worklist")).to_be_visible()
    page.get_by_label("Insured").fill("INS-ACME")
    page.get_by_label("Within (days)").fill("365")
    page.get_by_role("button", name="Filter").click()
    shot(page, "worklist")
    page.locator(f'a[href="/claims/{claim_id}"]').first.click()
    expect(page.get_by_role("heading", name=re.compile(f"Claim {claim_id[:8]}"))).to_be_visible()
    expect(page.locator("h1 .status")).to_have_text("open")
    shot(page, "claim-open")

    # A liquidation judiciaire recorded on the debtor: the claim moves to insolvency when the event reaches claims.
    page.get_by_text("Record a judgment").click()
    page.get_by_label("Procedure", exact=True).select_option("liquidation_judiciaire")
    page.get_by_label("Event", exact=True).select_option("opening")
    page.get_by_label("Judgment date").fill(world.today)
    page.get_by_label("BODACC publication date").fill(world.today)
    page.get_by_role("button", name="Record the judgment").click()
    expect(page.get_by_role("status")).to_contain_text("judgment is recorded")
    reload_until(page, lambda: page.locator("h1 .status").inner_text() == "insolvency")
    expect(page.get_by_role("heading", name="Déclaration de créance")).to_be_visible()

    # A refused créance shows the API's reason next to the field it names, and writes nothing.
    page.get_by_label("Filed on").fill((date.fromisoformat(world.today) + timedelta(days=3)).isoformat())
    page.get_by_label(re.compile("Amount declared")).fill("12000.00")
    page.get_by_label("Mandataire judiciaire").fill("Me Dupont")
    page.get_by_role("button", name="File the créance").click()
    expect(page.locator("#creance-filed_on-error")).to_be_visible()
    shot(page, "claim-creance-refused")
    page.get_by_label("Filed on").fill(world.today)
    page.get_by_role("button", name="File the créance").click()
    expect(page.get_by_role("status")).to_contain_text("créance filing is recorded")
    expect(page.locator("h1 .status")).to_have_text("indemnifiable")

    # The indemnity: its breakdown shown, paid only once confirmed.
    page.get_by_role("link", name="Review and pay the indemnity").click()
    expect(page.locator(".breakdown")).to_contain_text("indemnity")
    to_pay = page.locator("#to-pay").inner_text()
    assert re.fullmatch(r"[\d,]+\.\d\d EUR", to_pay), to_pay
    shot(page, "indemnity-to-confirm")
    page.get_by_role("button", name="Pay the indemnity").click()
    expect(page.locator("#confirm-error")).to_contain_text("confirm")
    assert ok(gateway.get(f"/v1/claims/{claim_id}", headers=people["handler"]))["status"] == "indemnifiable"
    page.get_by_label(re.compile("I confirm the payment")).check()
    page.get_by_role("button", name="Pay the indemnity").click()
    expect(page.get_by_role("status")).to_contain_text(f"Indemnity paid: {to_pay}")
    expect(page.locator("h1 .status")).to_have_text("indemnified")
    shot(page, "claim-indemnified")

    # A recovery: its split shown before it is saved.
    page.get_by_role("link", name="Record a recovery").click()
    page.get_by_label(re.compile("Amount recovered")).fill("1000.00")
    page.get_by_label("Received on").fill(world.today)
    page.get_by_role("button", name="Show the split").click()
    expect(page.locator("#split")).to_contain_text("Insurer's share")
    shot(page, "recovery-split")
    assert "recovery" not in kinds(gateway, claim_id, people)
    page.get_by_role("button", name="Save the recovery").click()
    expect(page.get_by_role("status")).to_contain_text("Recovery of 1,000.00 EUR recorded (insurer 850.00 EUR")

    # Every action is in the timeline under her name, once.
    timeline = ok(gateway.get(f"/v1/claims/{claim_id}/timeline", headers=people["handler"]))
    by_her = [entry["kind"] for entry in timeline if entry["actor"] == HANDLER]
    # The judgment she recorded on the debtor moved the claim: the move is hers too, from the debtors' event.
    assert by_her == [
        "insolvency",
        "collection_suspended",
        "creance_filed",
        "loss_established",
        "indemnified",
        "recovery",
    ], timeline
    rows = page.locator("#timeline tbody tr")
    expect(rows.filter(has_text="créance filed")).to_contain_text(HANDLER)
    expect(rows.filter(has_text="indemnified").first).to_contain_text(HANDLER)
    shot(page, "claim-timeline")
    debtor_url = f"/v1/debtors/{claim_debtor(gateway, claim_id, people)}"
    assert (
        ok(gateway.get(f"{debtor_url}/procedure", headers=people["handler"]))["procedure"] == "liquidation_judiciaire"
    )


def claim_debtor(gateway: httpx.Client, claim_id: str, people: dict[str, dict[str, str]]) -> str:
    return str(ok(gateway.get(f"/v1/claims/{claim_id}", headers=people["handler"]))["debtor_id"])


def kinds(gateway: httpx.Client, claim_id: str, people: dict[str, dict[str, str]]) -> list[str]:
    return [entry["kind"] for entry in ok(gateway.get(f"/v1/claims/{claim_id}/timeline", headers=people["handler"]))]


def test_an_underwriter_decides_a_limit_and_a_stale_form_is_shown_anew(
    suite: Suite, gateway: httpx.Client, people: dict[str, dict[str, str]], browser: Browser
) -> None:
    world = World(gateway, people)
    policy_id, debtor_id = world.policy("BO-LIMIT", "INS-ACME"), world.debtor(9120)
    body = {"policy_id": policy_id, "debtor_id": debtor_id, "amount": "80000.00", "currency": "EUR"}
    limit_id = ok(gateway.post("/v1/credit-limits", json=body, headers=people["insured"]), 201)["id"]
    base = suite.url("backoffice")
    context = browser.new_context()
    page, other = context.new_page(), context.new_page()
    log_in(page, base, UNDERWRITER)
    page.get_by_role("link", name="Limits to decide").click()
    shot(page, "limits-to-decide")
    page.locator(f'a[href="/credit-limits/{limit_id}"]').click()
    other.goto(page.url)  # the same record open twice
    shot(page, "limit-to-decide")
    # The API's reason, next to the field: a partial grant needs an amount below the one asked.
    page.get_by_label("Decision").select_option("partially_granted")
    page.get_by_label(re.compile("^Amount")).fill("90000.00")
    page.get_by_label("Reason").fill("Accounts 2025 reviewed")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert ok(gateway.get(f"/v1/credit-limits/{limit_id}", headers=people["underwriter"]))["versions"] == []
    page.get_by_label(re.compile("^Amount")).fill("50000.00")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("status")).to_contain_text("new version")
    expect(page.locator("#versions")).to_contain_text(UNDERWRITER)
    expect(page.locator("#versions")).to_contain_text("50,000.00 EUR")
    # The other tab still shows the limit before the decision: its form is stale, so the page says so and reloads.
    other.get_by_label("Decision").select_option("refused")
    other.get_by_label("Reason").fill("Too late")
    other.get_by_role("button", name="Record the decision").click()
    expect(other.get_by_role("status")).to_contain_text("Someone else changed this record")
    expect(other.locator("#versions")).to_contain_text("50,000.00 EUR")
    shot(other, "limit-stale")
    limit = ok(gateway.get(f"/v1/credit-limits/{limit_id}", headers=people["underwriter"]))
    assert [(v["kind"], v["recorded_by"]) for v in limit["versions"]] == [("partially_granted", UNDERWRITER)]
    context.close()


def test_a_person_logs_in_with_the_keyboard_alone(suite: Suite, page: Page) -> None:
    page.goto(f"{suite.url('backoffice')}/login")
    expect(page.get_by_label("Login")).to_be_focused()  # the page starts where the person types
    page.keyboard.type(UNDERWRITER)
    page.keyboard.press("Tab")
    page.keyboard.type(f"{UNDERWRITER}-password")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Credit-limit requests to decide")).to_be_visible()


def test_an_insureds_credentials_do_not_open_the_back_office(suite: Suite, page: Page) -> None:
    log_in(page, suite.url("backoffice"), "demo-insured", "demo-insured-secret")
    expect(page.get_by_role("alert")).to_have_text("Wrong login or password.")
    page.goto(f"{suite.url('backoffice')}/")
    expect(page).to_have_url(re.compile("/login"))
    shot(page, "login-refused")


def test_bodacc_records_uploaded_say_what_became_of_each(
    suite: Suite, gateway: httpx.Client, people: dict[str, dict[str, str]], page: Page, tmp_path: Path
) -> None:
    sample = PROJECT_ROOT / "tests" / "data" / "bodacc" / "samples.json"
    log_in(page, suite.url("backoffice"), HANDLER)
    page.get_by_role("link", name="BODACC").click()
    page.get_by_label("File of records").set_input_files(sample)
    page.get_by_role("button", name="Ingest").click()
    report = page.locator("#report")
    expect(report).to_contain_text("Received")
    shot(page, "bodacc-report")
    received, recorded, duplicates, unknown, ignored = (int(text) for text in report.locator("dd").all_inner_texts())
    # Each record recorded (some for a SIREN no debtor has yet), a duplicate, or ignored with its reason.
    assert (received, recorded + duplicates + ignored) == (11, 11) and unknown <= recorded and ignored >= 1
    expect(page.locator("table")).to_contain_text("Why ignored")
    page.get_by_label("File of records").set_input_files(sample)
    page.get_by_role("button", name="Ingest").click()
    expect(report.locator("dd").nth(2)).to_have_text(str(recorded))  # sent again: each one a duplicate
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    page.get_by_label("File of records").set_input_files(broken)
    page.get_by_role("button", name="Ingest").click()
    expect(page.locator("#upload-error")).to_contain_text("not BODACC open-data records")


def logged_in(base: str, login: str) -> tuple[httpx.Client, str]:
    """A plain HTTP client logged in as this person, and the CSRF token its pages carry."""
    client = httpx.Client(base_url=base, timeout=30)
    form = client.get("/login").text
    login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', form)
    assert login_csrf
    answer = client.post(
        "/login", data={"login": login, "password": f"{login}-password", "login_csrf": login_csrf[1], "next": "/"}
    )
    assert answer.status_code == 303, answer.text
    page = client.get("/debtors").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    return client, csrf[1]


def test_a_form_without_the_sessions_csrf_token_is_refused_and_sends_nothing(
    suite: Suite, gateway: httpx.Client, people: dict[str, dict[str, str]]
) -> None:
    world = World(gateway, people)
    claim_id = declared_claim(world, gateway, people, 9130)
    client, csrf = logged_in(suite.url("backoffice"), HANDLER)
    _, someone_elses = logged_in(suite.url("backoffice"), "nadia.roux")
    judgment = {"procedure": "redressement_judiciaire", "event": "opening", "judgment_date": world.today}
    for token_given in ({}, {"csrf": "forged"}, {"csrf": someone_elses}):
        refused = client.post(f"/claims/{claim_id}/procedure-events", data={**judgment, **token_given})
        assert refused.status_code == 403 and "Form refused" in refused.text
    procedure_url = f"/v1/debtors/{claim_debtor(gateway, claim_id, people)}/procedure"
    assert ok(gateway.get(procedure_url, headers=people["handler"]))["history"] == []
    # The same form sent twice (a double click, a re-sent page) is one judgment: the form's key is the request's.
    form = {**judgment, "csrf": csrf, "idempotency_key": "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"}
    assert [client.post(f"/claims/{claim_id}/procedure-events", data=form).status_code for _ in range(2)] == [303] * 2
    assert len(ok(gateway.get(procedure_url, headers=people["handler"]))["history"]) == 1
    client.close()


def test_the_session_cookie_is_httponly_and_strict_and_logout_ends_the_session(suite: Suite) -> None:
    base = suite.url("backoffice")
    client = httpx.Client(base_url=base, timeout=30)
    form = client.get("/login").text
    login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', form)
    assert login_csrf
    data = {
        "login": UNDERWRITER,
        "password": f"{UNDERWRITER}-password",
        "login_csrf": login_csrf[1],
        "next": "//x.example",
    }
    answer = client.post("/login", data=data)
    assert answer.status_code == 303 and answer.headers["location"] == "/"  # never a page elsewhere
    cookie = next(value for value in answer.headers.get_list("set-cookie") if value.startswith("backoffice="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    session = client.cookies["backoffice"]
    limits = client.get("/credit-limits")
    assert limits.status_code == 200 and "eyJ" not in limits.text and session not in limits.text  # no token in a page
    csrf = re.search(r'name="csrf" value="([^"]+)"', limits.text)
    assert csrf and client.post("/logout", data={"csrf": csrf[1]}).status_code == 303
    stale = httpx.get(f"{base}/credit-limits", cookies={"backoffice": session})
    assert stale.status_code == 303 and stale.headers["location"].startswith("/login")
    client.close()


def test_failed_logins_are_throttled_even_for_the_right_password(suite: Suite) -> None:
    base = suite.url("backoffice")
    client = httpx.Client(base_url=base, timeout=30)

    def attempt(password: str) -> httpx.Response:
        login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text)
        assert login_csrf
        return client.post("/login", data={"login": "nadia.roux", "password": password, "login_csrf": login_csrf[1]})

    assert [attempt("guess").status_code for _ in range(5)] == [401] * 5
    throttled = attempt("nadia.roux-password")
    assert throttled.status_code == 429 and "Too many failed logins" in throttled.text
    assert "backoffice" not in client.cookies
    client.close()


def test_a_login_form_from_elsewhere_is_refused(suite: Suite) -> None:
    data = {"login": HANDLER, "password": f"{HANDLER}-password", "login_csrf": "made-up"}
    answer = httpx.post(f"{suite.url('backoffice')}/login", data=data, cookies={"backoffice_login": "other"})
    assert answer.status_code == 403 and "set-cookie" not in {
        k.lower() for k in answer.headers if "backoffice=" in answer.headers[k]
    }
