"""Our webhook signatures verify with the Standard Webhooks library partners use, through a secret's rotation."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from services.webhooks.domain.signing import InvalidSecret, secret_from, signature, signed_headers

OLD, NEW = secret_from(bytes(range(32))), secret_from(bytes(range(100, 132)))
PAYLOAD = json.dumps({"type": "claim.opened", "data": {"claim_id": "7c4e2a19"}}).encode()


def now() -> datetime:
    """Real time: the library refuses a message signed more than five minutes from its own clock."""
    return datetime.now(UTC)


def test_a_signed_message_verifies_with_the_standard_library() -> None:
    sent = now()
    headers = signed_headers([NEW], message_id="msg_2Lc9", timestamp=sent, payload=PAYLOAD)
    assert Webhook(NEW).verify(PAYLOAD, headers) == json.loads(PAYLOAD)
    assert headers["webhook-signature"].startswith("v1,") and headers["webhook-timestamp"] == str(int(sent.timestamp()))


def test_during_a_rotation_a_receiver_holding_either_secret_verifies() -> None:
    headers = signed_headers([NEW, OLD], message_id="msg_2Lc9", timestamp=now(), payload=PAYLOAD)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (NEW, OLD):
        Webhook(secret).verify(PAYLOAD, headers)


@pytest.mark.parametrize("change", ["payload", "id", "timestamp", "secret"])
def test_any_change_to_a_signed_message_fails_verification(change: str) -> None:
    sent = now()
    headers = signed_headers([NEW], message_id="msg_2Lc9", timestamp=sent, payload=PAYLOAD)
    payload, secret = PAYLOAD, NEW
    if change == "payload":
        payload = PAYLOAD.replace(b"opened", b"rejected")
    elif change == "id":
        headers["webhook-id"] = "msg_other"
    elif change == "timestamp":
        headers["webhook-timestamp"] = str(int(sent.timestamp()) - 1)
    else:
        secret = OLD
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(payload, headers)


def test_the_signature_is_the_hmac_of_id_timestamp_and_payload() -> None:
    # The specification's own example: its secret, id, timestamp and body give this signature.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    sent = datetime.fromtimestamp(1614265330, UTC)
    body = b'{"test": 2432232314}'
    assert (
        signature(secret, message_id="msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp=sent, payload=body)
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


@pytest.mark.parametrize("secret", ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!", "whsec_c2hvcnQ="])
def test_a_secret_that_is_not_whsec_and_24_to_64_bytes_is_refused(secret: str) -> None:
    with pytest.raises(InvalidSecret):
        signature(secret, message_id="msg_1", timestamp=now(), payload=b"{}")


def test_a_message_is_signed_with_at_least_one_secret() -> None:
    with pytest.raises(InvalidSecret):
        signed_headers([], message_id="msg_1", timestamp=now(), payload=b"{}")
