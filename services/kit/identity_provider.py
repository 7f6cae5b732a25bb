"""Tokens from the insurer's identity provider (Keycloak, Entra ID, Okta…): keys from its JWKS URL, kept and
refreshed, and its claims mapped to the suite's principal through settings."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from pydantic import field_validator
from pydantic_settings import BaseSettings

from services.kit.errors import Unauthenticated, UpstreamUnavailable

log = logging.getLogger("credit_claims.auth")
FETCH_SECONDS = 5.0
"""The longest a fetch of the provider's keys may take in all (a provider trickling its answer included)."""

# Asymmetric only: a symmetric algorithm would take the provider's public key for a shared secret.
ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"})


class IdentityProviderSettings(BaseSettings):
    """The insurer's identity provider; each process reads these under its own prefix (CLAIMS_IDP_JWKS_URL…).
    Unset, the suite's own token endpoint is the only issuer."""

    idp_jwks_url: str | None = None
    """The provider's JWKS (e.g. https://sso.example/realms/insurer/protocol/openid-connect/certs)."""
    idp_issuer: str | None = None
    """The `iss` its tokens carry (required with idp_jwks_url)."""
    idp_audience: str = "credit-claims"
    idp_algorithms: list[str] = ["RS256", "ES256"]
    idp_client_id_claim: str = "azp"
    """The claim naming the calling client (Keycloak and Entra ID: azp; Okta: cid)."""
    idp_roles_claim: str = "roles"
    """Where the roles are, a dotted path into the token (Keycloak realm roles: realm_access.roles)."""
    idp_insured_id_claim: str = "insured_id"
    idp_role_names: dict[str, str] = {}
    """The provider's role names → the suite's (insured, underwriter, claims_handler, admin); others are ignored."""
    idp_jwks_cache_seconds: float = 300.0
    """Keys are fetched again after this long, so a key the provider withdrew stops being accepted."""
    idp_jwks_refresh_min_seconds: float = 10.0
    """A token with an unknown key id fetches the keys again, at most this often (forged ids fetch once)."""

    @field_validator("idp_algorithms")
    @classmethod
    def _asymmetric_only(cls, algorithms: list[str]) -> list[str]:
        refused = set(algorithms) - ASYMMETRIC
        if refused:
            raise ValueError(f"only asymmetric algorithms are accepted, not {sorted(refused)}")
        return algorithms


def claim_at(claims: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of the token's claims (None when absent)."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


@dataclass
class IdentityProvider:
    """The provider's signing keys by key id, fetched from its JWKS URL and kept `cache_seconds`."""

    jwks_url: str
    issuer: str
    audience: str
    algorithms: frozenset[str]
    client_id_claim: str = "azp"
    roles_claim: str = "roles"
    insured_id_claim: str = "insured_id"
    role_names: Mapping[str, str] = field(default_factory=dict)
    cache_seconds: float = 300.0
    refresh_min_seconds: float = 10.0
    monotonic: Callable[[], float] = time.monotonic
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    fetched_at: float = float("-inf")
    tried_at: float = float("-inf")
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def stale(self) -> bool:
        return self.monotonic() - self.fetched_at > self.cache_seconds

    async def keys_for(self, kid: str | None) -> None:
        """Fetch the keys if they are stale, or if `kid` is unknown and the last try is old enough."""
        if not self.stale and (kid is None or kid in self.keys):
            return
        if kid in self.keys and self.lock.locked():
            return  # another request is fetching them: this one goes on with the keys held
        async with self.lock:
            if not self.stale and (kid is None or kid in self.keys):
                return  # another request fetched them meanwhile
            if self.monotonic() - self.tried_at < self.refresh_min_seconds:
                return
            self.tried_at = self.monotonic()
            await self._fetch()

    async def _fetch(self) -> None:
        try:
            async with asyncio.timeout(FETCH_SECONDS), httpx.AsyncClient(timeout=FETCH_SECONDS) as client:
                answer = await client.get(self.jwks_url)
                answer.raise_for_status()
                # Signing keys only: a key published for encryption verifies nothing.
                published = [key for key in answer.json().get("keys", []) if key.get("use", "sig") == "sig"]
                key_set = jwt.PyJWKSet.from_dict({"keys": published})
        except (httpx.HTTPError, ValueError, TimeoutError, AttributeError, jwt.PyJWTError) as exc:
            log.warning("identity provider keys not fetched from %s: %s", self.jwks_url, exc)
            if not self.keys:
                raise UpstreamUnavailable("The identity provider's keys cannot be read.") from exc
            return  # the keys held stay in use until the provider answers again
        self.keys = {key.key_id: key for key in key_set.keys if key.key_id}
        self.fetched_at = self.monotonic()

    def check(self, token: str, header: Mapping[str, Any], *, leeway: int) -> dict[str, Any]:
        """The token's claims once its key, algorithm, issuer and audience are the provider's."""
        key = self.keys.get(str(header.get("kid")))
        if key is None:
            raise Unauthenticated("The token is signed with an unknown key.")
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self.algorithms or key.algorithm_name != algorithm:
            raise Unauthenticated("The token is not signed with an accepted algorithm.")
        try:
            return jwt.decode(
                token,
                key.key,
                algorithms=[str(algorithm)],
                audience=self.audience,
                issuer=self.issuer,
                leeway=leeway,
                options={"require": ["exp", "iat", "iss", "aud"], "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"The token is not valid: {exc}.") from exc

    def roles_of(self, claims: Mapping[str, Any]) -> list[str]:
        """The suite's role names the token's roles map to (a role the suite does not know is left out)."""
        given = claim_at(claims, self.roles_claim)
        if isinstance(given, str):
            given = given.split()
        if not isinstance(given, list):
            return []
        # With a map, only the roles it names count: a provider's own "admin" (another application's) grants nothing.
        mapped = (self.role_names.get(str(role)) if self.role_names else str(role) for role in given)
        return [role for role in mapped if role in {"insured", "underwriter", "claims_handler", "admin"}]


def identity_provider_from(settings: IdentityProviderSettings) -> IdentityProvider | None:
    if not settings.idp_jwks_url:
        return None
    if not settings.idp_issuer:
        raise ValueError("set the identity provider's issuer (IDP_ISSUER) beside its JWKS URL")
    return IdentityProvider(
        jwks_url=settings.idp_jwks_url,
        issuer=settings.idp_issuer,
        audience=settings.idp_audience,
        algorithms=frozenset(settings.idp_algorithms),
        client_id_claim=settings.idp_client_id_claim,
        roles_claim=settings.idp_roles_claim,
        insured_id_claim=settings.idp_insured_id_claim,
        role_names=dict(settings.idp_role_names),
        cache_seconds=settings.idp_jwks_cache_seconds,
        refresh_min_seconds=settings.idp_jwks_refresh_min_seconds,
    )
