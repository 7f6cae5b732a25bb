"""The words of collection: routes, stages, actions, documents, and the periods the law and the policy set."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Route(StrEnum):
    INJONCTION_DE_PAYER = "injonction_de_payer"
    REFERE_PROVISION = "refere_provision"
    ASSIGNATION = "assignation"
    SMALL_CLAIMS = "small_claims"
    BOUNCED_CHEQUE = "bounced_cheque"
    ONLINE_RECOVERY = "online_recovery"  # a commissaire de justice's amicable recovery through the registry's service


class Stage(StrEnum):
    REQUESTED = "requested"
    ORDER_GRANTED = "order_granted"
    ORDER_REFUSED = "order_refused"
    ORDER_SERVED = "order_served"
    OPPOSED = "opposed"
    SUMMONED = "summoned"
    DISMISSED = "dismissed"
    REFUSED = "refused"
    STARTED = "started"
    BOUNCED = "bounced"
    PRESENTED_AGAIN = "presented_again"
    CERTIFICATE_ISSUED = "certificate_issued"
    CERTIFICATE_SERVED = "certificate_served"
    ENFORCEABLE_TITLE = "enforceable_title"
    LAPSED = "lapsed"
    HANDED_OVER = "handed_over"
    RECOVERED = "recovered"
    PAID_IN_PART = "paid_in_part"
    FAILED = "failed"


# A route that reached one of these is over without a title; another route may start.
ENDED = frozenset(
    {
        Stage.ORDER_REFUSED,
        Stage.DISMISSED,
        Stage.REFUSED,
        Stage.LAPSED,
        Stage.RECOVERED,
        Stage.PAID_IN_PART,
        Stage.FAILED,
    }
)


class ActionKind(StrEnum):
    REMINDER = "reminder"
    FORMAL_NOTICE = "formal_notice"
    DISPUTE = "dispute"
    DISPUTE_SETTLED = "dispute_settled"
    DOCUMENTS_ADDED = "documents_added"
    PAYMENT_OBTAINED = "payment_obtained"
    INJONCTION_REQUESTED = "injonction_requested"
    INJONCTION_GRANTED = "injonction_granted"
    INJONCTION_REFUSED = "injonction_refused"
    INJONCTION_SERVED = "injonction_served"
    INJONCTION_OPPOSED = "injonction_opposed"
    # Before 1 March 2022 the creditor asked for the executory formula after the opposition window; such steps
    # recorded then are kept as facts and move nothing (the order now carries the formula when it is issued).
    LEGACY_EXECUTORY_FORMULA = "legacy_executory_formula"
    ENFORCEMENT_MEASURE = "enforcement_measure"
    REFERE_SUMMONED = "refere_summoned"
    REFERE_GRANTED = "refere_granted"
    REFERE_REFUSED = "refere_refused"
    ASSIGNATION_SERVED = "assignation_served"
    JUDGMENT_GRANTED = "judgment_granted"
    JUDGMENT_DISMISSED = "judgment_dismissed"
    SMALL_CLAIMS_STARTED = "small_claims_started"
    SMALL_CLAIMS_AGREED = "small_claims_agreed"
    SMALL_CLAIMS_REFUSED = "small_claims_refused"
    CHEQUE_BOUNCED = "cheque_bounced"
    CHEQUE_PRESENTED_AGAIN = "cheque_presented_again"
    CHEQUE_CERTIFICATE_ISSUED = "cheque_certificate_issued"
    CHEQUE_CERTIFICATE_SERVED = "cheque_certificate_served"
    CHEQUE_ENFORCEABLE = "cheque_enforceable"
    HANDOVER_REQUESTED = "handover_requested"
    HANDOVER_ACCEPTED = "handover_accepted"
    ONLINE_RECOVERY_HANDED_OVER = "online_recovery_handed_over"
    ONLINE_RECOVERY_PAID = "online_recovery_paid"
    ONLINE_RECOVERY_FAILED = "online_recovery_failed"


class DocumentKind(StrEnum):
    ORDER_FORM = "order_form"
    INVOICE = "invoice"
    DELIVERY_NOTE = "delivery_note"
    ACKNOWLEDGMENT_OF_RECEIPT = "acknowledgment_of_receipt"
    SERVICE_RECORD = "service_record"
    COURT_DECISION = "court_decision"
    CERTIFICATE_OF_NON_PAYMENT = "certificate_of_non_payment"
    CHEQUE = "cheque"
    OTHER = "other"


class NoticeMethod(StrEnum):
    REGISTERED_LETTER = "registered_letter_with_acknowledgment"
    COMMISSAIRE_DE_JUSTICE = "commissaire_de_justice"


@dataclass(frozen=True, slots=True)
class CollectionRules:
    """Periods of the collection routes; the legal ones are the law's defaults."""

    reminder_to_notice_days: int = 15
    formal_notice_days: int = 8
    court_action_days: int = 30
    order_service_months: int = 6
    opposition_months: int = 1
    small_claims_limit: Decimal = Decimal("5000.00")
    small_claims_currency: str = "EUR"
    small_claims_answer_months: int = 1
    cheque_no_funds_days: int = 30
    cheque_payment_days: int = 15
    handover_answer_days: int = 15
    online_recovery_days: int = 60

    def changed(self, overrides: dict[str, Any] | None) -> CollectionRules:
        """These rules with a policy's or a setting's values where given."""
        if not overrides:
            return self
        known = {
            name: value for name, value in overrides.items() if name in self.__dataclass_fields__ and value is not None
        }
        if "small_claims_limit" in known:
            known["small_claims_limit"] = Decimal(str(known["small_claims_limit"]))
        return replace(self, **known)
