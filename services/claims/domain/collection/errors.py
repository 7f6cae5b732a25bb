"""What the collection routes refuse, each by the rule it breaks."""

from services.kit.errors import Conflict, Forbidden, RuleBroken

IP_DOCUMENTS = "an invoice and an order form or a delivery note"


class CollectionSuspended(RuleBroken):
    code = "COLLECTION_SUSPENDED"
    title = "A collective procedure is open: individual collection is stayed; declare the créance instead"


class ActionOutOfOrder(RuleBroken):
    code = "COLLECTION_ACTION_OUT_OF_ORDER"
    title = "This collection step does not follow from where the track stands"


class RouteInProgress(RuleBroken):
    code = "COLLECTION_ROUTE_IN_PROGRESS"
    title = "Another collection route is still running"


class TitleAlreadyObtained(RuleBroken):
    code = "ENFORCEABLE_TITLE_ALREADY_OBTAINED"
    title = "An enforceable title is already held; enforce it"


class ActionInFuture(RuleBroken):
    code = "COLLECTION_ACTION_IN_FUTURE"
    title = "A collection action is a fact: its date cannot be after today"


class ActionBeforePreviousStep(RuleBroken):
    code = "COLLECTION_ACTION_BEFORE_PREVIOUS_STEP"
    title = "A step cannot be dated before the step it follows"


class OrderLapsed(RuleBroken):
    code = "ORDER_LAPSED"
    title = "The injonction de payer is void: it was not served within 6 months of its date (CPC art. 1411)"


class OppositionOutOfTime(RuleBroken):
    code = "OPPOSITION_OUT_OF_TIME"
    title = "The debtor's opposition window had closed"


class EnforcementSuspended(RuleBroken):
    code = "ENFORCEMENT_SUSPENDED"
    title = "The month after the order's service suspends its enforcement (CPC art. 1422)"


class NoDispute(RuleBroken):
    code = "NO_DISPUTE_ON_RECORD"
    title = "A settlement ends a dispute; none is on record"


class ClaimContested(RuleBroken):
    code = "CLAIM_CONTESTED"
    title = "An injonction de payer is for an uncontested claim; summon the debtor instead"


class IndemnityHeldByDispute(Conflict):
    code = "CLAIM_CONTESTED"
    title = "The debtor disputes the debt: the indemnity waits for a title or a recorded settlement"


class CollectionDutiesUnmet(RuleBroken):
    code = "COLLECTION_DUTIES_UNMET"
    title = "The policy asks the insured to collect before a protracted-default indemnity: a duty is unmet"


class DocumentsMissing(RuleBroken):
    code = "COLLECTION_DOCUMENTS_MISSING"
    title = f"An injonction de payer needs {IP_DOCUMENTS}"


class SmallClaimOverLimit(RuleBroken):
    code = "SMALL_CLAIM_OVER_LIMIT"
    title = "The small-claims procedure is for claims up to 5,000 EUR"


class AnswerOutOfTime(RuleBroken):
    code = "SMALL_CLAIMS_ANSWER_OUT_OF_TIME"
    title = "The debtor had one month to accept; silence was a refusal"


class NoFundsPeriodRunning(RuleBroken):
    code = "NO_FUNDS_PERIOD_RUNNING"
    title = "The certificate of non-payment comes only 30 days after the first presentation"


class PaymentPeriodRunning(RuleBroken):
    code = "PAYMENT_PERIOD_RUNNING"
    title = "The drawer has 15 days from service of the certificate to pay"


class HandoverNotRequested(RuleBroken):
    code = "HANDOVER_NOT_REQUESTED"
    title = "The insurer takes collection over only when the insured asked for it"


class CollectionHandedOver(RuleBroken):
    code = "COLLECTION_HANDED_OVER"
    title = "The insurer has taken collection over; it records the steps"


class HandoverAcceptedByInsurer(Forbidden):
    code = "HANDOVER_ACCEPTED_BY_INSURER"
    title = "Only the insurer's back office accepts a handover"


class SettlementRecordedByInsurer(Forbidden):
    code = "SETTLEMENT_RECORDED_BY_INSURER"
    title = "The insurer's back office records the settlement that ends a dispute"
