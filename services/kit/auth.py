"""Bearer tokens (EdDSA JWT): issued by the gateway, verified again by every service."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, TypeVar

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import Request

from services.kit.clock import wall_clock
from services.kit.errors import Forbidden, NotFound, Unauthenticated
from services.kit.identity_provider import ASYMMETRIC, IdentityProvider, claim_at
from services.kit.logs import note_caller

ALGORITHM = "EdDSA"


class _Insured(Protocol):
    @property
    def insured_id(self) -> str: ...


Owned = TypeVar("Owned", bound=_Insured)


class Role(StrEnum):
    INSURED = "insured"
    UNDERWRITER = "underwriter"
    CLAIMS_HANDLER = "claims_handler"
    ADMIN = "admin"


BACK_OFFICE = (Role.UNDERWRITER, Role.CLAIMS_HANDLER, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a registered client, its roles, and for an insured its insured id."""

    client_id: str
    roles: frozenset[Role]
    insured_id: str | None = None

    @property
    def is_back_office(self) -> bool:
        return any(role in self.roles for role in BACK_OFFICE)

    @property
    def scope_insured_id(self) -> str | None:
        """The insured id every read and write is confined to; None for the back office."""
        return None if self.is_back_office else self.insured_id

    def may_see(self, insured_id: str) -> bool:
        return self.is_back_office or insured_id == self.insured_id

    def ensure_sees(self, insured_id: str, not_found: NotFound) -> None:
        """Another insured's resource does not exist for this caller."""
        if not self.may_see(insured_id):
            raise not_found

    def acting_for(self, named: str | None) -> str | None:
        """The insured a write is for: an insured's own (naming another is refused), or the one the back office
        names (None when it names none)."""
        own = self.scope_insured_id
        if own is not None and named not in (None, own):
            raise Forbidden("An insured acts for itself only.")
        return own or named

    def readable(self, row: Owned | None, not_found: NotFound) -> Owned:
        """The row if it exists and this caller may see it; else the not-found kind (another's does not exist)."""
        if row is None:
            raise not_found
        self.ensure_sees(row.insured_id, not_found)
        return row


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def generate_key_pair() -> tuple[str, str]:
    """A new Ed25519 key pair as (private PEM, public PEM)."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


class TokenIssuer:
    """Signs short-lived access tokens."""

    def __init__(self, private_key_pem: str, *, issuer: str, audience: str, ttl: timedelta) -> None:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the signing key must be an Ed25519 private key")
        self._key = key
        self._kid = key_id(key.public_key())
        self.issuer, self.audience, self.ttl = issuer, audience, ttl

    def issue(self, principal: Principal, *, now: datetime, actor: str | None = None) -> str:
        """A signed token for the principal; `actor` names the client acting on a person's behalf (RFC 8693 act)."""
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": principal.client_id,
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int((now + self.ttl).timestamp()),
            "jti": uuid.uuid4().hex,
            "roles": sorted(principal.roles),
        }
        if principal.insured_id is not None:
            claims["insured_id"] = principal.insured_id
        if actor is not None:
            claims["act"] = {"sub": actor}
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self._kid})


VERIFIED_KEPT = 4096
Verified = tuple[Principal, int, int, str | None]
"""A checked token: its principal, valid from, expires (Unix seconds), and the provider's key id that signed it."""


class TokenVerifier:
    """Checks signature, key id, algorithm, issuer, audience and expiry; returns the principal.

    Two issuers may be trusted: the suite's own token endpoint (its Ed25519 key) and the insurer's identity
    provider (its JWKS); a token's key id says which signed it.
    """

    def __init__(
        self,
        public_key_pem: str | None,
        *,
        issuer: str,
        audience: str,
        leeway: int = 5,
        idp: IdentityProvider | None = None,
    ) -> None:
        self._key: Ed25519PublicKey | None = None
        self._kid: str | None = None
        if public_key_pem is not None:
            key = serialization.load_pem_public_key(public_key_pem.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("the verifying key must be an Ed25519 public key")
            self._key, self._kid = key, key_id(key)
        if self._key is None and idp is None:
            raise ValueError("no issuer to trust: give the suite's public key or an identity provider")
        self.idp = idp
        self.issuer, self.audience, self.leeway = issuer, audience, leeway
        # A client sends the same token for its lifetime: its signature is checked once, its times every time.
        self._verified: dict[str, Verified] = {}

    async def authenticate(self, token: str, *, now: datetime) -> Principal:
        """`verify`, once the identity provider's keys are fresh and hold the token's key id (fetched if need be)."""
        if self.idp is not None:
            known = self._verified.get(token)
            if known is None:
                try:
                    kid = jwt.get_unverified_header(token).get("kid")
                except jwt.PyJWTError:
                    kid = None  # verify says what is wrong with it
                if kid is None or kid != self._kid:
                    await self.idp.keys_for(kid if isinstance(kid, str) else None)
            elif known[3] is not None:  # the provider's: its keys kept fresh, so a withdrawn one stops here too
                await self.idp.keys_for(known[3])
        return self.verify(token, now=now)

    def verify(self, token: str, *, now: datetime) -> Principal:
        known = self._verified.get(token)
        if known is not None and known[3] is not None and self.idp is not None and known[3] not in self.idp.keys:
            known = None  # signed by a key the provider has since withdrawn: checked again, and refused
        if known is None:
            known = self._check(token)
            if len(self._verified) >= VERIFIED_KEPT:
                del self._verified[next(iter(self._verified))]
            self._verified[token] = known
        principal, valid_from, expires, _ = known
        if expires + self.leeway < now.timestamp():
            raise Unauthenticated("The token has expired.")
        if valid_from - self.leeway > now.timestamp():
            raise Unauthenticated("The token is not valid yet.")
        return principal

    def _check(self, token: str) -> Verified:
        """Signature, algorithm, key id, issuer, audience and claims; the times are the caller's to read."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthenticated("The token cannot be read.") from exc
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in ASYMMETRIC:  # none, or a shared secret: never
            raise Unauthenticated("The token is not signed with an accepted algorithm.")
        if self._key is None or header.get("kid") != self._kid:
            if self.idp is None:
                raise Unauthenticated("The token is signed with an unknown key.")
            return self._from_provider(self.idp, token, header)
        if header.get("alg") != ALGORITHM:
            raise Unauthenticated("The token is not signed with the expected algorithm.")
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={
                    "require": ["exp", "iat", "sub", "iss", "aud"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"The token is not valid: {exc}.") from exc
        try:
            roles = frozenset(Role(role) for role in claims.get("roles", []))
        except ValueError as exc:
            raise Unauthenticated("The token names an unknown role.") from exc
        insured_id = claims.get("insured_id")
        if not roles or (roles == {Role.INSURED} and not insured_id):
            raise Unauthenticated("The token grants no usable role.")
        principal = Principal(client_id=str(claims["sub"]), roles=roles, insured_id=insured_id)
        # Times are read against the injected clock, not the wall clock.
        return principal, max(int(claims["iat"]), int(claims.get("nbf", 0))), int(claims["exp"]), None

    def _from_provider(self, idp: IdentityProvider, token: str, header: dict[str, Any]) -> Verified:
        """An identity provider's token: its claims mapped to the suite's principal through settings."""
        claims = idp.check(token, header, leeway=self.leeway)
        client_id = claim_at(claims, idp.client_id_claim) or claims.get("sub")
        roles = frozenset(Role(role) for role in idp.roles_of(claims))
        insured_id = claim_at(claims, idp.insured_id_claim)
        if not isinstance(client_id, str) or not isinstance(insured_id, str | None):
            raise Unauthenticated("The token's client id and insured id must be strings.")
        if not client_id or not roles or (roles == {Role.INSURED} and not insured_id):
            raise Unauthenticated("The token grants no usable role.")
        principal = Principal(client_id=client_id, roles=roles, insured_id=insured_id)
        valid_from = max(int(claims["iat"]), int(claims.get("nbf", 0)))
        return principal, valid_from, int(claims["exp"]), str(header["kid"])


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated("Send an Authorization: Bearer <token> header.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Send an Authorization: Bearer <token> header.")
    return token.strip()


class Allow:
    """FastAPI dependency: authenticate the caller and require one of these roles.

    Every route declares one; its `roles` are the route's declared policy.
    """

    def __init__(self, *roles: Role) -> None:
        if not roles:
            raise ValueError("a route must allow at least one role")
        self.roles = frozenset(roles)

    async def __call__(self, request: Request) -> Principal:
        verifier: TokenVerifier = request.app.state.token_verifier
        principal = await verifier.authenticate(
            bearer_token(request.headers.get("authorization")), now=wall_clock(request.app.state.clock).now()
        )
        note_caller(principal.client_id)
        if not (principal.roles & self.roles):
            raise Forbidden(f"This operation is for: {', '.join(sorted(self.roles))}.")
        return principal
