"""What the collection routes refuse, each by the rule it breaks."""

from services.kit.errors import Forbidden, RuleBroken

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
    title = "The injonction de payer lapsed: it was not served, or its executory formula not asked, in time"


class OppositionOutOfTime(RuleBroken):
    code = "OPPOSITION_OUT_OF_TIME"
    title = "The debtor's opposition window had closed"


class OppositionWindowOpen(RuleBroken):
    code = "OPPOSITION_WINDOW_OPEN"
    title = "The order becomes enforceable only once the opposition window has closed"


class ClaimContested(RuleBroken):
    code = "CLAIM_CONTESTED"
    title = "An injonction de payer is for an uncontested claim; summon the debtor instead"


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
