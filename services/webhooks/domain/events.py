"""Which partner event an event of the suite becomes, and whose it is (an insured's own, never another's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.webhooks.domain.endpoint import EventType

# The suite's internal events (versioned) and the partner event each becomes.
PARTNER_TYPE = {
    "claim.opened.v1": EventType.CLAIM_OPENED,
    "claim.rejected.v1": EventType.CLAIM_REJECTED,
    "claim.status_changed.v1": EventType.CLAIM_STATUS_CHANGED,
    "claim.deadline_approaching.v1": EventType.CLAIM_DEADLINE_APPROACHING,
    "claim.indemnified.v1": EventType.CLAIM_INDEMNITY_PAID,
    "claim.recovery_shared.v1": EventType.CLAIM_RECOVERY_SHARED,
    "credit_limit.decided.v1": EventType.CREDIT_LIMIT_DECIDED,
    "debtor.procedure_changed.v1": EventType.DEBTOR_PROCEDURE_CHANGED,
}
# What partners are told of each, field by field: nothing internal leaves by accident.
SHOWN = {
    EventType.CLAIM_OPENED: ("claim_id", "policy_id", "debtor_id", "opened_on"),
    EventType.CLAIM_REJECTED: ("claim_id", "policy_id", "debtor_id", "reasons"),
    EventType.CLAIM_STATUS_CHANGED: ("claim_id", "policy_id", "debtor_id", "status_from", "status_to", "why", "at"),
    EventType.CLAIM_DEADLINE_APPROACHING: (
        "claim_id",
        "policy_id",
        "debtor_id",
        "action",
        "due",
        "due_legal",
        "days_left",
        "detail",
    ),
    EventType.CLAIM_INDEMNITY_PAID: ("claim_id", "policy_id", "debtor_id", "amount", "currency"),
    EventType.CLAIM_RECOVERY_SHARED: (
        "claim_id",
        "policy_id",
        "debtor_id",
        "amount",
        "insurer_share",
        "insured_share",
        "currency",
        "received_on",
    ),
    EventType.CREDIT_LIMIT_DECIDED: (
        "credit_limit_id",
        "policy_id",
        "debtor_id",
        "decision",
        "amount",
        "currency",
        "effective_date",
    ),
    EventType.DEBTOR_PROCEDURE_CHANGED: ("debtor_id", "siren", "procedure_event", "state"),
}


class MalformedEvent(ValueError):
    """An internal event without what its partner event needs."""


@dataclass(frozen=True, slots=True)
class PartnerEvent:
    """One event for partners: its type, whose it is, and the body every endpoint of theirs receives."""

    type: EventType
    insured_id: str | None  # None: every insured related to the debtor
    debtor_id: str | None
    body: dict[str, Any]


def partner_event(internal_type: str, data: dict[str, Any], *, occurred_at: datetime) -> PartnerEvent | None:
    """The partner event for this internal one, or None when partners are not told of it."""
    kind = PARTNER_TYPE.get(internal_type)
    if kind is None:
        return None
    debtor_id = data.get("debtor_id")
    insured_id = data.get("insured_id")
    if kind is not EventType.DEBTOR_PROCEDURE_CHANGED and not isinstance(insured_id, str):
        raise MalformedEvent(f"{internal_type} names no insured")
    if kind is EventType.DEBTOR_PROCEDURE_CHANGED and not isinstance(debtor_id, str):
        raise MalformedEvent(f"{internal_type} names no debtor")
    shown = {name: data[name] for name in SHOWN[kind] if name in data}
    body = {"type": kind.value, "timestamp": occurred_at.isoformat(), "data": shown}
    return PartnerEvent(
        type=kind,
        insured_id=None if kind is EventType.DEBTOR_PROCEDURE_CHANGED else insured_id,
        debtor_id=debtor_id if isinstance(debtor_id, str) else None,
        body=body,
    )


def relates(event: PartnerEvent) -> bool:
    """Whether the event ties its insured to its debtor, for later procedure news: a claim opened on it, or a
    credit limit granted on it (a rejected declaration or a refused limit ties nothing)."""
    if event.insured_id is None or event.debtor_id is None:
        return False
    if event.type is EventType.CLAIM_OPENED:
        return True
    return event.type is EventType.CREDIT_LIMIT_DECIDED and event.body["data"].get("decision") != "refused"
