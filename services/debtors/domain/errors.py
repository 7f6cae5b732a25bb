"""What the debtors domain refuses, by business fact."""

from services.kit.errors import Conflict, InvalidInput, NotFound, RuleBroken


class DebtorNotFound(NotFound):
    code = "DEBTOR_NOT_FOUND"
    title = "Debtor not found"


class DebtorExists(Conflict):
    code = "DEBTOR_EXISTS"
    title = "This debtor is already registered"


class InvalidIdentifier(InvalidInput):
    code = "INVALID_IDENTIFIER"
    title = "A company identifier is not valid"


class PolicyNotFound(NotFound):
    code = "POLICY_NOT_FOUND"
    title = "Policy not found"


class CreditLimitNotFound(NotFound):
    code = "CREDIT_LIMIT_NOT_FOUND"
    title = "Credit limit not found"


class ExposureOutdated(Conflict):
    code = "EXPOSURE_OUTDATED"
    title = "A later exposure is on record for this policy and debtor"


class RequestPending(Conflict):
    code = "CREDIT_LIMIT_REQUEST_PENDING"
    title = "A request on this credit limit is already pending"


class NothingToDecide(Conflict):
    code = "NO_PENDING_REQUEST"
    title = "There is no pending request to decide"


class DecisionRefused(RuleBroken):
    code = "INVALID_DECISION"
    title = "This decision does not fit the request or the limit in force"


class CurrencyMismatch(RuleBroken):
    code = "CURRENCY_MISMATCH"
    title = "The amount is not in the policy currency"


class EffectiveTooEarly(RuleBroken):
    code = "EFFECTIVE_DATE_TOO_EARLY"
    title = "A credit limit is never cut retroactively, nor granted before it was asked"
