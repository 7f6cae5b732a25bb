"""Signatures of webhook messages, as the Standard Webhooks specification defines them (webhook-id,
webhook-timestamp, webhook-signature), so that any of its verifiers checks ours."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the specification allows 24 to 64


class InvalidSecret(ValueError):
    """A secret that is not whsec_ followed by the base64 of 24 to 64 bytes."""


def secret_from(random_bytes: bytes) -> str:
    """A signing secret as partners store it: whsec_ and the base64 of its bytes."""
    if not 24 <= len(random_bytes) <= 64:
        raise InvalidSecret("a secret is 24 to 64 random bytes")
    return SECRET_PREFIX + base64.b64encode(random_bytes).decode("ascii")


def _key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidSecret("a secret starts with whsec_")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except ValueError as exc:
        raise InvalidSecret("a secret is whsec_ and base64") from exc
    if not 24 <= len(key) <= 64:
        raise InvalidSecret("a secret is 24 to 64 random bytes")
    return key


def signature(secret: str, *, message_id: str, timestamp: datetime, payload: bytes) -> str:
    """v1 and the base64 HMAC-SHA256 of `id.timestamp.payload`, the timestamp in whole seconds since the epoch."""
    signed = f"{message_id}.{int(timestamp.timestamp())}.".encode() + payload
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode("ascii")


def signed_headers(secrets: Sequence[str], *, message_id: str, timestamp: datetime, payload: bytes) -> dict[str, str]:
    """The three headers of one attempt; while a rotated secret overlaps the new one, each signs (space-separated),
    so a receiver holding either verifies."""
    if not secrets:
        raise InvalidSecret("a message is signed with at least one secret")
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": " ".join(
            signature(secret, message_id=message_id, timestamp=timestamp, payload=payload) for secret in secrets
        ),
    }
