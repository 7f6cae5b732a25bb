import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from services.kit.auth import Principal, Role, TokenIssuer, TokenVerifier, generate_key_pair
from services.kit.errors import Unauthenticated

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
PRIVATE, PUBLIC = generate_key_pair()
ISSUER = TokenIssuer(PRIVATE, issuer="credit-claims", audience="credit-claims", ttl=timedelta(minutes=15))
VERIFIER = TokenVerifier(PUBLIC, issuer="credit-claims", audience="credit-claims")
INSURED = Principal(client_id="acme-erp", roles=frozenset({Role.INSURED}), insured_id="INS-ACME")


def test_issued_token_gives_back_the_principal() -> None:
    assert VERIFIER.verify(ISSUER.issue(INSURED, now=NOW), now=NOW) == INSURED


def test_expired_token_is_refused() -> None:
    token = ISSUER.issue(INSURED, now=NOW)
    with pytest.raises(Unauthenticated, match="expired"):
        VERIFIER.verify(token, now=NOW + timedelta(minutes=16))


def test_token_signed_by_another_key_is_refused() -> None:
    other = TokenIssuer(
        generate_key_pair()[0], issuer="credit-claims", audience="credit-claims", ttl=timedelta(minutes=5)
    )
    with pytest.raises(Unauthenticated, match="unknown key"):
        VERIFIER.verify(other.issue(INSURED, now=NOW), now=NOW)


def test_unsigned_token_is_refused() -> None:
    token = jwt.encode(
        {"sub": "x", "roles": ["admin"], "iss": "credit-claims", "aud": "credit-claims"}, None, algorithm="none"
    )
    with pytest.raises(Unauthenticated, match="algorithm"):
        VERIFIER.verify(token, now=NOW)


@pytest.mark.parametrize("algorithm", [["EdDSA"], {"EdDSA": 1}, 7, None])
def test_an_algorithm_that_is_not_a_name_is_refused_not_a_crash(algorithm: object) -> None:
    encode = lambda part: base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()  # noqa: E731
    token = f"{encode({'alg': algorithm, 'kid': 'x'})}.{encode({'sub': 'x'})}.c2ln"
    with pytest.raises(Unauthenticated, match="algorithm"):
        VERIFIER.verify(token, now=NOW)


def test_hmac_token_using_the_public_key_as_secret_is_refused() -> None:
    claims = {"sub": "x", "roles": ["admin"], "iss": "credit-claims", "aud": "credit-claims", "iat": 0, "exp": 2**40}
    token = jwt.encode(claims, "a-secret-anyone-could-guess-if-public", algorithm="HS256")
    with pytest.raises(Unauthenticated):
        VERIFIER.verify(token, now=NOW)


def test_wrong_audience_is_refused() -> None:
    issuer = TokenIssuer(PRIVATE, issuer="credit-claims", audience="someone-else", ttl=timedelta(minutes=5))
    with pytest.raises(Unauthenticated):
        VERIFIER.verify(issuer.issue(INSURED, now=NOW), now=NOW)


def test_insured_principal_is_confined_to_its_insured_id() -> None:
    assert INSURED.may_see("INS-ACME") and not INSURED.may_see("INS-BETA")
    assert INSURED.scope_insured_id == "INS-ACME"
    handler = Principal(client_id="desk", roles=frozenset({Role.CLAIMS_HANDLER}))
    assert handler.may_see("INS-BETA") and handler.scope_insured_id is None


def test_token_times_are_read_against_the_injected_clock_not_the_wall_clock() -> None:
    next_year = NOW + timedelta(days=400)
    assert VERIFIER.verify(ISSUER.issue(INSURED, now=next_year), now=next_year) == INSURED
    with pytest.raises(Unauthenticated, match="not valid yet"):
        VERIFIER.verify(ISSUER.issue(INSURED, now=NOW + timedelta(minutes=1)), now=NOW)


def test_wrong_issuer_is_refused() -> None:
    issuer = TokenIssuer(PRIVATE, issuer="someone-else", audience="credit-claims", ttl=timedelta(minutes=5))
    with pytest.raises(Unauthenticated, match="issuer"):
        VERIFIER.verify(issuer.issue(INSURED, now=NOW), now=NOW)


def test_a_token_already_verified_still_expires_and_still_waits_for_its_start() -> None:
    token = ISSUER.issue(INSURED, now=NOW)
    assert VERIFIER.verify(token, now=NOW) == INSURED  # verified once, then remembered
    assert VERIFIER.verify(token, now=NOW + timedelta(minutes=10)) == INSURED
    with pytest.raises(Unauthenticated, match="expired"):
        VERIFIER.verify(token, now=NOW + timedelta(minutes=16))
    with pytest.raises(Unauthenticated, match="not valid yet"):
        VERIFIER.verify(token, now=NOW - timedelta(minutes=1))
