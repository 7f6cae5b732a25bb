"""Tokens of the insurer's identity provider, verified against its JWKS served over HTTP on loopback: claims mapped
through settings, keys rotated, forged tokens refused; the gateway and a service accept them end to end."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import ValidationError

from gateway.config import GatewaySettings
from gateway.main import create_app as create_gateway
from services.kit.auth import Principal, Role, TokenVerifier
from services.kit.clock import FixedClock
from services.kit.errors import Unauthenticated, UpstreamUnavailable
from services.kit.identity_provider import IdentityProviderSettings, identity_provider_from
from services.policies.config import PoliciesSettings
from services.policies.main import create_app as create_policies
from tests.support import running

ISSUER = "https://sso.insurer.example/realms/partners"
NOW = datetime(2026, 12, 1, 9, 0).astimezone()
KEYCLOAK = {  # how a Keycloak realm hands the suite's roles to a partner's client
    "idp_client_id_claim": "azp",
    "idp_roles_claim": "realm_access.roles",
    "idp_role_names": {"cc-insured": "insured", "cc-underwriter": "underwriter"},
}


class Jwks:
    """The provider's JWKS endpoint: serves the key set it is given, counts the times it is read."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.reads = 0
        self.down = False
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                jwks.reads += 1
                body = json.dumps({"keys": jwks.keys}).encode()
                self.send_response(503 if jwks.down else 200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/certs"


@pytest.fixture
def jwks() -> Iterator[Jwks]:
    served = Jwks()
    yield served
    served.server.shutdown()


class SigningKey:
    def __init__(self, kid: str, algorithm: str = "RS256") -> None:
        self.kid, self.algorithm = kid, algorithm
        self.private: Any = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            if algorithm == "RS256"
            else ec.generate_private_key(ec.SECP256R1())
        )

    def jwk(self) -> dict[str, Any]:
        public = self.private.public_key()
        as_jwk = jwt.algorithms.RSAAlgorithm if self.algorithm == "RS256" else jwt.algorithms.ECAlgorithm
        return {**as_jwk.to_jwk(public, as_dict=True), "kid": self.kid, "alg": self.algorithm, "use": "sig"}

    def token(self, *, now: datetime = NOW, **overrides: Any) -> str:
        claims = {
            "iss": ISSUER,
            "aud": "credit-claims",
            "sub": "4c3e0a6e-service-account",
            "azp": "acme-erp",
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(minutes=5)).timestamp()),
            "realm_access": {"roles": ["offline_access", "cc-insured"]},
            "insured_id": "INS-ACME",
        }
        claims.update(overrides)
        return jwt.encode(claims, self.private, algorithm=self.algorithm, headers={"kid": self.kid})


class Ticking:
    """Monotonic seconds a test moves."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def verifier_for(jwks: Jwks, clock: Ticking | None = None, **settings: Any) -> TokenVerifier:
    """The verifier the apps build from these settings, on a monotonic clock the test moves."""
    chosen = IdentityProviderSettings(idp_jwks_url=jwks.url, idp_issuer=ISSUER, **{**KEYCLOAK, **settings})
    provider = identity_provider_from(chosen)
    assert provider is not None
    provider.monotonic = clock or Ticking()
    return TokenVerifier(None, issuer="credit-claims", audience="credit-claims", idp=provider)


async def test_a_providers_token_becomes_the_principal_its_claims_name_through_settings(jwks: Jwks) -> None:
    key = SigningKey("2026-11")
    jwks.keys = [key.jwk()]
    principal = await verifier_for(jwks).authenticate(key.token(), now=NOW)
    assert principal == Principal(client_id="acme-erp", roles=frozenset({Role.INSURED}), insured_id="INS-ACME")
    staff = key.token(azp="uw-console", realm_access={"roles": ["cc-underwriter"]}, insured_id=None)
    assert (await verifier_for(jwks).authenticate(staff, now=NOW)).roles == {Role.UNDERWRITER}
    with pytest.raises(Unauthenticated, match="no usable role"):  # only roles the suite does not know
        await verifier_for(jwks).authenticate(key.token(realm_access={"roles": ["offline_access"]}), now=NOW)
    with pytest.raises(Unauthenticated, match="no usable role"):  # the realm's own admin: the map does not name it
        await verifier_for(jwks).authenticate(key.token(realm_access={"roles": ["admin"]}), now=NOW)
    with pytest.raises(Unauthenticated, match="strings"):
        await verifier_for(jwks).authenticate(key.token(insured_id=["INS-ACME", "INS-BETA"]), now=NOW)


async def test_a_rotated_key_is_fetched_at_its_first_token_and_a_withdrawn_one_refused_once_the_cache_ends(
    jwks: Jwks,
) -> None:
    old, new = SigningKey("2026-11"), SigningKey("2026-12")
    jwks.keys = [old.jwk()]
    ticking = Ticking()
    verifier = verifier_for(jwks, ticking, idp_jwks_cache_seconds=300, idp_jwks_refresh_min_seconds=10)
    held = old.token()
    await verifier.authenticate(held, now=NOW)
    jwks.keys = [old.jwk(), new.jwk()]  # the provider publishes its next key, then signs with it
    ticking.seconds += 11
    assert (await verifier.authenticate(new.token(), now=NOW)).client_id == "acme-erp"
    assert jwks.reads == 2
    jwks.keys = [new.jwk()]  # the old key withdrawn: accepted until the keys held are stale, then refused
    assert (await verifier.authenticate(held, now=NOW)).client_id == "acme-erp"
    ticking.seconds += 301
    for token in (held, old.token(jti="after-withdrawal")):  # a token verified before is not kept past its key
        with pytest.raises(Unauthenticated, match="unknown key"):
            await verifier.authenticate(token, now=NOW)


async def test_a_flood_of_unknown_key_ids_reads_the_providers_keys_once_per_interval(jwks: Jwks) -> None:
    key = SigningKey("2026-11")
    jwks.keys = [key.jwk()]
    ticking = Ticking()
    verifier = verifier_for(jwks, ticking, idp_jwks_refresh_min_seconds=10)
    await verifier.authenticate(key.token(), now=NOW)
    ticking.seconds += 11
    forger = SigningKey("forger")
    for number in range(50):
        with pytest.raises(Unauthenticated, match="unknown key"):
            await verifier.authenticate(forger.token(jti=f"forged-{number}"), now=NOW)
    assert jwks.reads == 2  # the first fetch, and one more for the first unknown id of the interval
    ticking.seconds += 11
    with pytest.raises(Unauthenticated, match="unknown key"):
        await verifier.authenticate(forger.token(jti="next-interval"), now=NOW)
    assert jwks.reads == 3


async def test_keys_held_stay_in_use_while_the_provider_is_down_and_none_held_is_a_503(jwks: Jwks) -> None:
    key = SigningKey("2026-11")
    jwks.keys = [key.jwk()]
    ticking = Ticking()
    verifier = verifier_for(jwks, ticking, idp_jwks_cache_seconds=60)
    await verifier.authenticate(key.token(), now=NOW)
    jwks.down = True
    ticking.seconds += 120
    assert (await verifier.authenticate(key.token(jti="while-down"), now=NOW)).client_id == "acme-erp"
    with pytest.raises(UpstreamUnavailable):
        await verifier_for(jwks).authenticate(key.token(), now=NOW)


def keyed_with(secret: bytes, claims: dict[str, Any], *, kid: str, algorithm: Any = "HS256") -> str:
    """HS256 with the provider's public key as the secret: the classic confusion a verifier must refuse."""
    encode = lambda part: base64.urlsafe_b64encode(part).rstrip(b"=")  # noqa: E731
    signed = b".".join(encode(json.dumps(part).encode()) for part in ({"alg": algorithm, "kid": kid}, claims))
    return (signed + b"." + encode(hmac.new(secret, signed, hashlib.sha256).digest())).decode()


async def test_a_key_published_for_encryption_verifies_nothing(jwks: Jwks) -> None:
    signing, encrypting = SigningKey("sig-1"), SigningKey("enc-1")
    jwks.keys = [signing.jwk(), {**encrypting.jwk(), "use": "enc"}]
    verifier = verifier_for(jwks)
    assert (await verifier.authenticate(signing.token(), now=NOW)).client_id == "acme-erp"
    with pytest.raises(Unauthenticated, match="unknown key"):
        await verifier.authenticate(encrypting.token(), now=NOW)


async def test_forged_or_foreign_tokens_are_refused(jwks: Jwks) -> None:
    key, curve = SigningKey("2026-11"), SigningKey("ec-1", "ES256")
    jwks.keys = [key.jwk(), curve.jwk()]
    verifier = verifier_for(jwks)  # RS256 and ES256 accepted by default
    public_pem = key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = jwt.decode(key.token(), options={"verify_signature": False})
    forged = {
        "symmetric, keyed with the public key": keyed_with(public_pem, claims, kid="2026-11"),
        "unsigned": jwt.encode(claims, None, "none", headers={"kid": "2026-11"}),
        "another issuer": key.token(iss="https://evil.example"),
        "another audience": key.token(aud="someone-else"),
        "expired": key.token(now=NOW - timedelta(hours=1)),
        "signed by another key under its key id": jwt.encode(
            claims, curve.private, "ES256", headers={"kid": "2026-11"}
        ),
        "an algorithm that is a list": keyed_with(b"x", claims, kid="2026-11", algorithm=["RS256"]),
    }
    for case, token in forged.items():
        with pytest.raises(Unauthenticated):
            await verifier.authenticate(token, now=NOW)
            pytest.fail(case)
    only_rsa = verifier_for(jwks, idp_algorithms=["RS256"])
    with pytest.raises(Unauthenticated, match="accepted algorithm"):
        await only_rsa.authenticate(curve.token(), now=NOW)
    with pytest.raises(ValidationError, match="asymmetric"):
        IdentityProviderSettings(idp_algorithms=["HS256"])


async def test_the_gateway_and_a_service_take_the_providers_token_and_still_their_own(
    jwks: Jwks, policies_settings: PoliciesSettings, key_pair: tuple[str, str], tmp_path: Path
) -> None:
    key = SigningKey("2026-11")
    jwks.keys = [key.jwk()]
    provider = {"idp_jwks_url": jwks.url, "idp_issuer": ISSUER, **KEYCLOAK}
    clock = FixedClock(NOW)
    policies = create_policies(policies_settings.model_copy(update=provider), clock)
    clients = tmp_path / "clients.json"
    clients.write_text("[]")
    settings = GatewaySettings(jwt_private_key=key_pair[0], clients_file=clients, **provider)
    async with running(policies):
        gateway = create_gateway(settings, clock, {"policies": httpx.ASGITransport(app=policies)})
        async with (
            running(gateway),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gateway") as client,
        ):
            listed = await client.get("/v1/policies", headers={"Authorization": f"Bearer {key.token()}"})
            assert listed.status_code == 200, listed.text
            forged = SigningKey("2026-11").token()  # the right key id, another key
            refused = await client.get("/v1/policies", headers={"Authorization": f"Bearer {forged}"})
            assert refused.status_code == 401 and refused.json()["code"] == "UNAUTHENTICATED"
            ours = await client.get("/v1/policies", headers=tokens_of(key_pair, clock))
            assert ours.status_code == 200, ours.text


def tokens_of(key_pair: tuple[str, str], clock: FixedClock) -> dict[str, str]:
    from tests.support import Tokens

    return Tokens(key_pair[0], clock).underwriter()
