"""The gateway in process, in front of the real service apps (upstream calls over ASGI)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import urllib.parse
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from jsonschema_rs import Draft202012Validator

from gateway.config import GatewaySettings
from gateway.main import create_app as create_gateway
from services.claims.config import ClaimsSettings
from services.claims.main import create_app as create_claims
from services.debtors.config import DebtorsSettings
from services.debtors.main import create_app as create_debtors
from services.kit.auth import generate_key_pair, key_id
from services.kit.clock import FixedClock
from services.kit.secrets import hash_secret
from tests.conftest import NOW
from tests.shared.builders import cover_check, policy_body
from tests.support import Databases, running

CLIENTS = [
    {"client_id": "acme-erp", "roles": ["insured"], "insured_id": "INS-ACME"},
    {"client_id": "beta-erp", "roles": ["insured"], "insured_id": "INS-BETA"},
    {"client_id": "underwriting", "roles": ["underwriter"]},
    {"client_id": "back-office", "roles": [], "acts_for": ["claims_handler", "underwriter"]},
]


@pytest.fixture(scope="module")
def clients_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gateway") / "clients.json"
    entries = [{**client, "secret_hash": hash_secret(f"{client['client_id']}-pw")} for client in CLIENTS]
    path.write_text(json.dumps(entries))
    return path


def gateway_settings(key_pair: tuple[str, str], clients_file: Path, **overrides: Any) -> GatewaySettings:
    return GatewaySettings(jwt_private_key=key_pair[0], clients_file=clients_file, **overrides)


@pytest.fixture
async def gateway(
    policies_app: Any,
    webhooks_app: Any,
    databases: Databases,
    key_pair: tuple[str, str],
    clients_file: Path,
    clock: FixedClock,
) -> AsyncIterator[httpx.AsyncClient]:
    debtors = create_debtors(
        DebtorsSettings(database_url=databases.fresh("debtors"), jwt_public_key=key_pair[1]), clock
    )
    claims = create_claims(ClaimsSettings(database_url=databases.fresh("claims"), jwt_public_key=key_pair[1]), clock)
    async with running(debtors), running(claims):
        transports = {
            "policies": httpx.ASGITransport(app=policies_app),
            "debtors": httpx.ASGITransport(app=debtors),
            "claims": httpx.ASGITransport(app=claims),
            "webhooks": httpx.ASGITransport(app=webhooks_app),
        }
        app = create_gateway(gateway_settings(key_pair, clients_file), clock, transports)
        async with (
            running(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client,
        ):
            yield client


async def token(gateway: httpx.AsyncClient, client_id: str) -> dict[str, str]:
    response = await gateway.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": f"{client_id}-pw"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_token_then_policy_then_cover_check_through_the_gateway(gateway: httpx.AsyncClient) -> None:
    underwriter = await token(gateway, "underwriting")
    created = await gateway.post("/v1/policies", json=policy_body(), headers=underwriter)
    assert created.status_code == 201
    policy_id = created.json()["id"]
    activated = await gateway.patch(
        f"/v1/policies/{policy_id}",
        json={"status": "active"},
        headers={**underwriter, "If-Match": created.headers["ETag"]},
    )
    assert activated.status_code == 200 and activated.json()["status"] == "active"
    acme = await token(gateway, "acme-erp")
    check = await gateway.post(f"/v1/policies/{policy_id}/cover-checks", json=cover_check(), headers=acme)
    assert check.status_code == 200 and check.json()["covered"] is True
    beta = await token(gateway, "beta-erp")
    hidden = await gateway.get(f"/v1/policies/{policy_id}", headers=beta)
    assert hidden.status_code == 404 and hidden.json()["code"] == "POLICY_NOT_FOUND"


async def test_token_with_basic_credentials(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("acme-erp", "acme-erp-pw")
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer" and response.json()["scope"] == "insured"


@pytest.mark.parametrize(
    ("form", "status", "code"),
    [
        (
            {"grant_type": "client_credentials", "client_id": "acme-erp", "client_secret": "wrong"},
            401,
            "INVALID_CLIENT",
        ),
        ({"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}, 401, "INVALID_CLIENT"),
        (
            {"grant_type": "password", "client_id": "acme-erp", "client_secret": "acme-erp-pw"},
            422,
            "UNSUPPORTED_GRANT_TYPE",
        ),
    ],
)
async def test_token_refusals(gateway: httpx.AsyncClient, form: dict[str, str], status: int, code: str) -> None:
    response = await gateway.post("/oauth/token", data=form)
    assert response.status_code == status and response.json()["code"] == code


def exchange(login: str, scope: str, **overrides: str) -> dict[str, str]:
    return {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "client_id": "back-office",
        "client_secret": "back-office-pw",
        "subject_token": login,
        "subject_token_type": "urn:credit-claims:token-type:person",
        "scope": scope,
        **overrides,
    }


async def test_the_back_office_application_gets_a_token_naming_the_person_it_logged_in(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.post("/oauth/token", data=exchange("claire.martin", "claims_handler"))
    assert response.status_code == 200, response.text
    issued = response.json()
    assert issued["scope"] == "claims_handler"
    assert issued["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    claims = jwt.decode(issued["access_token"], options={"verify_signature": False})
    assert claims["sub"] == "claire.martin" and claims["roles"] == ["claims_handler"]
    assert claims["act"] == {"sub": "back-office"}
    worklist = await gateway.get("/v1/worklist", headers={"Authorization": f"Bearer {issued['access_token']}"})
    assert worklist.status_code == 200, worklist.text


@pytest.mark.parametrize(
    ("form", "code"),
    [
        (
            exchange("claire.martin", "claims_handler", client_id="acme-erp", client_secret="acme-erp-pw"),
            "UNAUTHORIZED_CLIENT",
        ),
        (exchange("claire.martin", "insured"), "INVALID_TOKEN_REQUEST"),
        (exchange("claire.martin", "admin"), "INVALID_TOKEN_REQUEST"),
        (exchange("claire.martin", ""), "INVALID_TOKEN_REQUEST"),
        (exchange("claire.martin", "claims_handler root"), "INVALID_TOKEN_REQUEST"),
        (exchange("underwriting", "underwriter"), "INVALID_TOKEN_REQUEST"),
        (exchange("Claire Martin", "claims_handler"), "INVALID_TOKEN_REQUEST"),
        (exchange("", "claims_handler"), "INVALID_TOKEN_REQUEST"),
        (exchange("claire.martin", "claims_handler", subject_token_type="urn:x:jwt"), "INVALID_TOKEN_REQUEST"),
        (
            {"grant_type": "client_credentials", "client_id": "back-office", "client_secret": "back-office-pw"},
            "UNAUTHORIZED_CLIENT",
        ),
    ],
)
async def test_only_a_client_trusted_with_people_gets_a_token_for_a_back_office_person(
    gateway: httpx.AsyncClient, form: dict[str, str], code: str
) -> None:
    response = await gateway.post("/oauth/token", data=form)
    assert response.status_code == 422 and response.json()["code"] == code, response.text
    assert "access_token" not in response.json()


async def test_a_token_exchange_with_a_wrong_secret_is_refused(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post("/oauth/token", data=exchange("claire.martin", "claims_handler", client_secret="x"))
    assert response.status_code == 401 and response.json()["code"] == "INVALID_CLIENT"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Basic abc", "Bearer not.a.jwt", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."],
)
async def test_gateway_refuses_requests_without_a_valid_token(
    gateway: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = await gateway.get("/v1/policies", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="credit-claims"')


async def test_request_id_is_kept_or_made_and_passed_on(gateway: httpx.AsyncClient) -> None:
    headers = await token(gateway, "underwriting")
    given = await gateway.get("/v1/policies", headers={**headers, "X-Request-ID": "trace-123"})
    assert given.headers["X-Request-ID"] == "trace-123"
    made = await gateway.get("/v1/policies/not-a-uuid", headers=headers)
    assert len(made.headers["X-Request-ID"]) == 32 and made.json()["request_id"] == made.headers["X-Request-ID"]


async def test_body_over_one_mebibyte_is_refused_before_any_upstream_call(gateway: httpx.AsyncClient) -> None:
    headers = {**(await token(gateway, "underwriting")), "content-type": "application/json"}
    response = await gateway.post("/v1/policies", content=b"{" + b" " * (1024 * 1024) + b"}", headers=headers)
    assert response.status_code == 413 and response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert (await gateway.get("/v1/policies", headers=headers)).json()["items"] == []


async def test_unknown_public_path_is_a_404_problem(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/v1/nothing-here", headers=await token(gateway, "underwriting"))
    assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"


async def test_readyz_reports_every_service(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/readyz")
    assert response.status_code == 200
    assert response.json()["services"] == dict.fromkeys(("policies", "debtors", "claims", "webhooks"), "ready")


async def test_the_gateways_root_leads_to_the_docs_the_contract_and_the_token(gateway: httpx.AsyncClient) -> None:
    home = await gateway.get("/")
    assert home.status_code == 200, home.text
    links = home.json()
    assert (links["docs"], links["openapi"], links["token"]) == ("/docs", "/openapi.json", "/oauth/token")
    assert links["redoc"] == "/redoc"
    assert (await gateway.get(links["openapi"])).status_code == 200


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_load_every_asset_from_the_gateway_itself(gateway: httpx.AsyncClient, page: str) -> None:
    html = await gateway.get(page)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    # Every script, style, font or icon the page loads, and anything it could call: nothing from elsewhere.
    assert not re.findall(r"https?://|//cdn|fonts\.googleapis", html.text), re.findall(r"https?://\S+", html.text)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html.text) + re.findall(r"url: '([^']+)'", html.text)
    assert len(assets) >= 2, assets
    for asset in assets:
        loaded = await gateway.get(asset)
        assert loaded.status_code == 200, asset
        assert len(loaded.content) > 1000 or asset == "/openapi.json", asset
    if page == "/docs":
        assert '"validatorUrl": null' in html.text


async def test_merged_openapi_lists_each_public_operation_once_with_problem_answers(gateway: httpx.AsyncClient) -> None:
    document = (await gateway.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    assert "/oauth/token" in paths and "/healthz" not in paths
    # The docs' Authorize button obtains a token by the client-credentials flow of the token endpoint.
    flow = document["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/oauth/token" and document["servers"] == [{"url": "/", "description": "this gateway"}]
    assert paths["/v1/claims"]["post"]["security"] == [{"oauth2": []}, {"bearer": []}]
    create = paths["/v1/policies"]["post"]["responses"]
    for status in ("400", "401", "403", "409", "413", "422", "503", "504"):
        assert create[status]["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }
    # The gateway refuses a path with dot segments or encoded slashes (400) on any operation, a read included; an
    # exposure older than the one on record is 409.
    assert "400" in paths["/v1/credit-limits/{limit_id}"]["get"]["responses"]
    assert "409" in paths["/v1/exposures/{policy_id}/{debtor_id}"]["put"]["responses"]
    patch = paths["/v1/policies/{policy_id}"]["patch"]["responses"]
    assert {"404", "412", "428"} <= set(patch)
    # The headers a client reads: where a creation is, its version, a replay's mark, when to retry.
    declared = paths["/v1/claims"]["post"]["responses"]
    assert {"Location", "ETag", "Idempotent-Replayed"} <= set(declared["201"]["headers"])
    assert "Retry-After" in declared["503"]["headers"]
    # Where a missing If-Match answers 428, the header is documented as required.
    for path, method in (("/v1/policies/{policy_id}", "patch"), ("/v1/claims/{claim_id}/withdrawal", "post")):
        [if_match] = [p for p in paths[path][method]["parameters"] if p["name"].lower() == "if-match"]
        assert if_match["in"] == "header" and if_match["required"] is True, (path, if_match)
    operation_ids = [op["operationId"] for item in paths.values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))
    # Readable, stable ids a generator turns into method names: declareClaim, decideCreditLimit, checkCover.
    assert all(re.fullmatch(r"[a-z][A-Za-z]+", operation_id) for operation_id in operation_ids), operation_ids
    assert {"declareClaim", "decideCreditLimit", "checkCover", "issueToken"} <= set(operation_ids)
    assert "HTTPValidationError" not in document["components"]["schemas"]
    # Schemas two services name alike are kept apart, and every reference resolves.
    references = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(document)))
    assert references <= set(document["components"]["schemas"]), references - set(document["components"]["schemas"])
    assert "DebtorsDecisionIn" in references
    # Each schema's title is its own: a generator that names classes by title finds every reference.
    titles = [schema["title"] for schema in document["components"]["schemas"].values() if "title" in schema]
    assert len(titles) == len(set(titles)), sorted(title for title in titles if titles.count(title) > 1)
    # Created resources link to what comes next, by operations that exist.
    links = {
        (source, name, target["operationId"])
        for source, item in paths.items()
        for operation in item.values()
        for response in operation["responses"].values()
        for name, target in response.get("links", {}).items()
    }
    assert {source for source, _, _ in links} == {
        "/v1/policies",
        "/v1/debtors",
        "/v1/credit-limits",
        "/v1/claims",
        "/v1/webhook-endpoints",
    }
    assert {target for _, _, target in links} <= set(operation_ids) and len(links) >= 15


async def test_every_body_shows_an_example_its_schema_accepts(gateway: httpx.AsyncClient) -> None:
    document = (await gateway.get("/openapi.json")).json()
    shown = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                assert "example" in media, f"{method.upper()} {path} {media_type} has no example"
                schema = {**media["schema"], "components": document["components"]}
                errors = [error.message for error in Draft202012Validator(schema).iter_errors(media["example"])]
                assert not errors, (method, path, errors)
                shown += 1
    assert shown >= 20


async def test_every_post_documents_its_idempotency_key_and_problems_their_members(gateway: httpx.AsyncClient) -> None:
    document = (await gateway.get("/openapi.json")).json()
    posts = {path: item["post"] for path, item in document["paths"].items() if "post" in item}
    for path, operation in posts.items():
        if path.startswith("/v1/"):
            [key] = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
            assert key["in"] == "header" and key["schema"]["maxLength"] == 255, path
            assert {"409", "422"} <= set(operation["responses"]), path
    assert all(p["name"] != "Idempotency-Key" for p in posts["/oauth/token"].get("parameters", []))
    members = document["components"]["schemas"]["Problem"]["properties"]
    # What an answer always carries is required: a generated client never leaves it Unset.
    answers = {
        response["content"]["application/json"]["schema"].get("$ref", "").rsplit("/", 1)[-1]
        for item in document["paths"].values()
        for operation in item.values()
        for status, response in operation["responses"].items()
        if status.startswith("2") and "application/json" in response.get("content", {})
    } - {""}
    schemas = document["components"]["schemas"]
    answers |= {name for name in schemas if name.endswith("Out")}  # and what they nest
    optional = {name: set(schemas[name]["properties"]) - set(schemas[name].get("required", [])) for name in answers}
    assert len(answers) >= 20 and not any(optional.values()), {k: v for k, v in optional.items() if v}
    assert {"errors", "current_etag", "existing_debtor_id", "claim_id", "reasons"} <= set(members)


async def test_upstream_down_is_503_with_retry_after(
    key_pair: tuple[str, str], clients_file: Path, clock: FixedClock
) -> None:
    # Nothing listens on port 9 (discard) of loopback: the connection is refused.
    settings = gateway_settings(key_pair, clients_file, policies_url="http://127.0.0.1:9")
    app = create_gateway(settings, clock)
    async with (
        running(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client,
    ):
        response = await client.get("/v1/policies", headers=await token(client, "underwriting"))
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert response.json()["code"] == "UPSTREAM_UNAVAILABLE"
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["services"]["policies"].startswith("unreachable")


async def test_upstream_timeout_is_504(key_pair: tuple[str, str], clients_file: Path, clock: FixedClock) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    app = create_gateway(gateway_settings(key_pair, clients_file), clock, {"policies": httpx.MockTransport(slow)})
    async with (
        running(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client,
    ):
        response = await client.get("/v1/policies", headers=await token(client, "underwriting"))
        assert response.status_code == 504 and response.json()["code"] == "UPSTREAM_TIMEOUT"


async def test_hop_by_hop_headers_are_not_forwarded(
    key_pair: tuple[str, str], clients_file: Path, clock: FixedClock
) -> None:
    seen: list[httpx.Headers] = []

    async def echo(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(
            200, json={"ok": True}, headers={"Connection": "close", "X-Upstream": "yes", "Keep-Alive": "5"}
        )

    app = create_gateway(gateway_settings(key_pair, clients_file), clock, {"policies": httpx.MockTransport(echo)})
    async with (
        running(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client,
    ):
        headers = {**(await token(client, "underwriting")), "Connection": "X-Secret", "X-Secret": "1", "TE": "trailers"}
        response = await client.get("/v1/policies?x=1", headers=headers)
    assert response.status_code == 200 and response.headers["X-Upstream"] == "yes"
    assert "keep-alive" not in response.headers
    forwarded = seen[0]
    assert "x-secret" not in forwarded and "te" not in forwarded
    assert forwarded["authorization"].startswith("Bearer ") and forwarded["x-request-id"]


async def test_services_learn_where_a_request_came_from_from_the_gateway_not_the_caller(
    key_pair: tuple[str, str], clients_file: Path, clock: FixedClock
) -> None:
    seen: list[httpx.Headers] = []

    async def echo(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(200, json={"ok": True})

    app = create_gateway(gateway_settings(key_pair, clients_file), clock, {"policies": httpx.MockTransport(echo)})
    caller = httpx.ASGITransport(app=app, client=("203.0.113.5", 40000))
    async with running(app), httpx.AsyncClient(transport=caller, base_url="http://gateway") as client:
        spoofed = {"X-Forwarded-For": "198.51.100.1", "Forwarded": "for=198.51.100.1", "X-Real-IP": "198.51.100.1"}
        response = await client.get("/v1/policies", headers={**(await token(client, "underwriting")), **spoofed})
    assert response.status_code == 200
    assert seen[0].get_list("x-forwarded-for") == ["203.0.113.5"]
    assert "forwarded" not in seen[0] and "x-real-ip" not in seen[0]


async def test_bulk_announcements_get_a_larger_body_limit(gateway: httpx.AsyncClient) -> None:
    headers = {**(await token(gateway, "underwriting")), "content-type": "application/json"}
    two_mib = b"[" + b" " * (2 * 1024 * 1024) + b"]"
    bulk = await gateway.post("/v1/procedure-announcements", content=two_mib, headers=headers)
    assert bulk.status_code == 403  # through to the debtors service, which refuses the underwriter
    other = await gateway.post("/v1/policies", content=two_mib, headers=headers)
    assert other.status_code == 413


def _answering(content: bytes, content_type: str) -> httpx.MockTransport:
    """A policies service that answers every request with this body."""

    async def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=content, headers={"content-type": content_type})

    return httpx.MockTransport(answer)


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"items": [', "application/json", 502),
        (b"\xff\xfe not json", "application/problem+json", 502),
        (b'{"items": ["' + b"x" * 5000 + b'"]}', "application/json", 502),
        (b"plain words", "text/plain", 200),
    ],
    ids=["truncated-json", "garbage-problem", "oversized", "not-json-passes"],
)
async def test_a_malformed_or_oversized_upstream_answer_is_502_never_500(
    key_pair: tuple[str, str], clients_file: Path, clock: FixedClock, content: bytes, content_type: str, status: int
) -> None:
    settings = gateway_settings(key_pair, clients_file, max_upstream_body_bytes=4096)
    app = create_gateway(settings, clock, {"policies": _answering(content, content_type)})
    async with (
        running(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client,
    ):
        response = await client.get("/v1/policies", headers=await token(client, "underwriting"))
    assert response.status_code == status
    if status == 502:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "UPSTREAM_INVALID"
    else:
        assert response.content == content


async def test_rate_limit_per_client_answers_429_with_retry_after(
    policies_app: Any, key_pair: tuple[str, str], clients_file: Path, clock: FixedClock
) -> None:
    settings = gateway_settings(key_pair, clients_file, rate_limit_per_second=0.5, rate_limit_burst=2)
    app = create_gateway(settings, clock, {"policies": httpx.ASGITransport(app=policies_app)})
    async with (
        running(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client,
    ):
        underwriter, insured = await token(client, "underwriting"), await token(client, "acme-erp")
        statuses = [(await client.get("/v1/policies", headers=underwriter)).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = await client.get("/v1/policies", headers=underwriter)
        assert limited.headers["Retry-After"] == "2"
        assert limited.headers["content-type"] == "application/problem+json"
        assert limited.json()["code"] == "RATE_LIMITED"
        assert (await client.get("/v1/policies", headers=insured)).status_code == 200  # each client its own
        assert (await client.get("/oauth/token")).status_code != 429  # only /v1 is limited
        clock.advance(timedelta(seconds=2))
        assert (await client.get("/v1/policies", headers=underwriter)).status_code == 200


def _claims() -> dict[str, Any]:
    now = int(NOW.timestamp())
    return {
        "sub": "x",
        "roles": ["admin"],
        "iss": "credit-claims",
        "aud": "credit-claims",
        "iat": now,
        "exp": now + 600,
    }


def _token(private_pem: str, *, kid: str | None = None, **changes: Any) -> str:
    """A token signed with this key as the gateway would sign it, but for the changes."""
    private = load_pem_private_key(private_pem.encode(), None)
    claims = _claims() | changes
    return jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": kid or key_id(private.public_key())})


def _hmac_with_public_key(public_pem: str, kid: str) -> str:
    """The HS/RS confusion: a token MACed with the public key, which anyone has."""

    def encoded(part: dict[str, Any]) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=")

    signing_input = encoded({"alg": "HS256", "typ": "JWT", "kid": kid}) + b"." + encoded(_claims())
    mac = hmac.new(public_pem.encode(), signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()


@pytest.mark.parametrize(
    "attack",
    ["alg-none", "hmac-with-public-key", "wrong-audience", "wrong-issuer", "expired", "unknown-kid", "other-key"],
)
async def test_forged_or_stale_tokens_are_401_at_the_gateway(
    gateway: httpx.AsyncClient, key_pair: tuple[str, str], attack: str
) -> None:
    private_pem, public_pem = key_pair
    kid = key_id(load_pem_private_key(private_pem.encode(), None).public_key())
    now = int(NOW.timestamp())
    forged = {
        "alg-none": lambda: jwt.encode({"sub": "x", "roles": ["admin"]}, None, algorithm="none", headers={"kid": kid}),
        "hmac-with-public-key": lambda: _hmac_with_public_key(public_pem, kid),
        "wrong-audience": lambda: _token(private_pem, aud="another-api"),
        "wrong-issuer": lambda: _token(private_pem, iss="someone-else"),
        "expired": lambda: _token(private_pem, iat=now - 3600, exp=now - 60),
        "unknown-kid": lambda: _token(private_pem, kid="not-our-key"),
        "other-key": lambda: _token(generate_key_pair()[0], kid=kid),
    }[attack]()
    assert (
        await gateway.get("/v1/policies", headers={"Authorization": f"Bearer {_token(private_pem)}"})
    ).status_code == 200
    response = await gateway.get("/v1/policies", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401, attack
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "UNAUTHENTICATED"


async def test_outside_sandbox_mode_nothing_can_move_time(
    gateway: httpx.AsyncClient, claims_app: Any, key_pair: tuple[str, str], clock: FixedClock
) -> None:
    from services.kit.auth import Role
    from tests.support import Tokens

    admin = {"Authorization": f"Bearer {Tokens(key_pair[0], clock).token(Role.ADMIN)}"}
    for method in ("GET", "POST"):
        answer = await gateway.request(method, "/v1/sandbox/clock", json={"advance_days": 30}, headers=admin)
        assert answer.status_code == 404 and answer.json()["code"] == "NOT_FOUND", answer.text
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=claims_app), base_url="http://claims") as claims:
        internal = await claims.post(
            "/internal/sandbox/clock", json={"today": "2027-01-01"}, headers={"X-Internal-Token": "test-internal-token"}
        )
    assert internal.status_code == 404
    assert clock.today().isoformat() == "2026-06-15"


class Recorder(httpx.AsyncBaseTransport):
    """An upstream that notes every request it is sent."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.raw_path.decode())
        return httpx.Response(200, json={})


async def raw_request(app: Any, path: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """A GET sent as is (no client normalises its dot segments), straight to the ASGI app."""
    raw_path = path.encode("latin-1")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": urllib.parse.unquote(path),
        "raw_path": raw_path,
        "query_string": b"",
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("gateway", 80),
        "state": {},
    }
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    start = next(message for message in messages if message["type"] == "http.response.start")
    body = b"".join(message.get("body", b"") for message in messages if message["type"] == "http.response.body")
    return start["status"], json.loads(body) if body else {}


@pytest.mark.parametrize(
    "path",
    [
        "/v1/claims/../../internal/events",
        "/v1/claims/../../metrics",
        "/v1/policies/../../openapi.json",
        "/v1/policies/./x",
        "/v1/claims/%2e%2e/%2e%2e/internal/events",
        "/v1/claims/..%2f..%2finternal%2fevents",
        "/v1/claims/%2E%2E%2F%2E%2E%2Fdocs",
        "/v1/claims\\..\\..\\internal\\events",
        "/v1/claims/%5c..%5cinternal",
        "/v1/debtors/x%00y",
    ],
)
async def test_paths_that_could_leave_their_resource_are_refused_before_any_service(
    key_pair: tuple[str, str], clients_file: Path, clock: FixedClock, path: str
) -> None:
    from services.kit.auth import Role
    from tests.support import Tokens

    upstream = Recorder()
    app = create_gateway(
        gateway_settings(key_pair, clients_file),
        clock,
        {name: upstream for name in ("policies", "debtors", "claims", "webhooks")},
    )
    admin = {"Authorization": f"Bearer {Tokens(key_pair[0], clock).token(Role.ADMIN)}"}
    async with running(app):
        status, body = await raw_request(app, path, admin)
        allowed, _ = await raw_request(app, "/v1/claims/01a2196c-0cb4-7b68-9575-037cad08a135", admin)
    assert (status, body["code"]) == (400, "INVALID_PATH")
    assert allowed == 200 and upstream.paths == ["/v1/claims/01a2196c-0cb4-7b68-9575-037cad08a135"]
