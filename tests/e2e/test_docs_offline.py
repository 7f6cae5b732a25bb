"""The gateway's docs in a real browser (the machine's Chromium) that may reach nothing but the gateway: Swagger UI
lists every operation, its Authorize button gets a token by client credentials, Try it out answers; ReDoc renders."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route

from deploy.local import Suite
from tests.e2e.conftest import suite_running
from tests.support import Databases

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def suite(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    with suite_running(databases, tmp_path_factory.mktemp("suite-docs")) as running:
        yield running


def operations_in(gateway: str) -> int:
    document = httpx.get(f"{gateway}/openapi.json").raise_for_status().json()
    return sum(len(item) for item in document["paths"].values())


def offline_page(browser: Browser, gateway: str, elsewhere: list[str]) -> Page:
    """A page whose every request to anywhere but the gateway fails, as on a machine with no internet."""
    page = browser.new_page()

    def only_the_gateway(route: Route) -> None:
        if route.request.url.startswith(gateway):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort("internetdisconnected")

    page.route("**/*", only_the_gateway)
    return page


def test_swagger_ui_works_offline_and_its_authorize_button_gets_a_token(
    suite: Suite, browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    gateway, elsewhere = suite.url("gateway"), []
    page = offline_page(browser, gateway, elsewhere)
    page.goto(f"{gateway}/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() == operations_in(gateway) >= 39
    page.click("button.authorize")
    page.fill("#client_id_clientCredentials", "demo-underwriter")
    page.fill("#client_secret_clientCredentials", "demo-underwriter-secret")
    oauth2 = page.locator(".modal-ux .auth-container").first
    oauth2.locator("button.authorize").click()
    oauth2.locator("button", has_text="Logout").wait_for(timeout=10_000)  # the token was issued
    page.locator(".modal-ux button.close-modal").first.click()
    operation = page.locator("#operations-policies-listPolicies")
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for(timeout=10_000)
    page.screenshot(path=tmp_path_factory.mktemp("screens") / "swagger-ui.png")
    assert status.inner_text().strip() == "200"
    assert elsewhere == []


def test_redoc_works_offline(suite: Suite, browser: Browser) -> None:
    gateway, elsewhere = suite.url("gateway"), []
    page = offline_page(browser, gateway, elsewhere)
    page.goto(f"{gateway}/redoc")
    page.wait_for_selector('h2:has-text("Declare a default")', timeout=30_000)
    assert page.locator("[data-section-id^='operation/']").count() == operations_in(gateway) >= 39
    assert elsewhere == []
