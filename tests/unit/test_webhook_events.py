"""Which partner event an event of the suite becomes: only the fields partners are told of, and whose it is."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.webhooks.domain.endpoint import EventType
from services.webhooks.domain.events import PARTNER_TYPE, MalformedEvent, partner_event, relates

AT = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
OPENED = {"claim_id": "c1", "insured_id": "INS-ACME", "policy_id": "p1", "debtor_id": "d1", "opened_on": "2026-11-30"}


def test_a_claim_event_goes_to_its_insured_with_the_fields_partners_are_told_of() -> None:
    event = partner_event("claim.opened.v1", {**OPENED, "internal_note": "x"}, occurred_at=AT)
    assert event is not None and event.type is EventType.CLAIM_OPENED and event.insured_id == "INS-ACME"
    assert event.body == {
        "type": "claim.opened",
        "timestamp": "2026-11-30T09:30:00+00:00",
        "data": {"claim_id": "c1", "policy_id": "p1", "debtor_id": "d1", "opened_on": "2026-11-30"},
    }
    assert relates(event)  # the insured now hears of this debtor's procedure


def test_a_procedure_change_is_for_every_insured_related_to_the_debtor() -> None:
    internal = {"debtor_id": "d1", "siren": "732829320", "state": {}, "recorded_by": "claire.martin"}
    event = partner_event("debtor.procedure_changed.v1", internal, occurred_at=AT)
    assert event is not None and event.insured_id is None and event.debtor_id == "d1" and not relates(event)
    assert "recorded_by" not in event.body["data"]  # the insurer's staff stay the insurer's


def test_an_event_partners_are_not_told_of_becomes_none() -> None:
    assert partner_event("claim.closed.v1", OPENED, occurred_at=AT) is None


@pytest.mark.parametrize("internal", sorted(set(PARTNER_TYPE) - {"debtor.procedure_changed.v1"}))
def test_an_event_that_names_no_insured_is_malformed(internal: str) -> None:
    with pytest.raises(MalformedEvent):
        partner_event(internal, {"claim_id": "c1", "debtor_id": "d1"}, occurred_at=AT)


def test_every_partner_event_type_comes_from_an_event_of_the_suite() -> None:
    assert set(PARTNER_TYPE.values()) == set(EventType)


def test_only_an_opened_claim_or_a_granted_limit_ties_an_insured_to_a_debtor() -> None:
    rejected = partner_event("claim.rejected.v1", {**OPENED, "reasons": []}, occurred_at=AT)
    refused = partner_event("credit_limit.decided.v1", {**OPENED, "decision": "refused"}, occurred_at=AT)
    granted = partner_event("credit_limit.decided.v1", {**OPENED, "decision": "granted"}, occurred_at=AT)
    assert rejected is not None and refused is not None and granted is not None
    assert (relates(rejected), relates(refused), relates(granted)) == (False, False, True)
