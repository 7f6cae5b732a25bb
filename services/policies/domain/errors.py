"""What the policies domain refuses, by business fact."""

from services.kit.errors import Conflict, InvalidInput, NotFound, RuleBroken


class PolicyNotFound(NotFound):
    code = "POLICY_NOT_FOUND"
    title = "Policy not found"


class PolicyNumberTaken(Conflict):
    code = "POLICY_NUMBER_TAKEN"
    title = "A policy with this number exists"


class IllegalStatusChange(Conflict):
    code = "ILLEGAL_STATUS_CHANGE"
    title = "This status change is not allowed from the current status"


class TermsLocked(Conflict):
    code = "POLICY_TERMS_LOCKED"
    title = "Terms can only change while the policy is a draft"


class InvalidPeriod(InvalidInput):
    code = "INVALID_INSURANCE_PERIOD"
    title = "The insurance period is not valid"


class DateOutsidePolicyPeriod(RuleBroken):
    code = "DATE_OUTSIDE_POLICY_PERIOD"
    title = "The date is outside the insurance period"


class CurrencyMismatch(RuleBroken):
    code = "CURRENCY_MISMATCH"
    title = "The amount is not in the policy currency"


class ReservationDiffers(Conflict):
    code = "RESERVATION_EXISTS"
    title = "This claim already has a different reservation"
