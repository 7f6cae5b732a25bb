"""What the claims domain refuses, by business fact."""

from services.kit.errors import Conflict, NotFound, RuleBroken


class ClaimNotFound(NotFound):
    code = "CLAIM_NOT_FOUND"
    title = "Claim not found"


class PolicyNotFound(NotFound):
    code = "POLICY_NOT_FOUND"
    title = "Policy not found"


class DebtorNotFound(NotFound):
    code = "DEBTOR_NOT_FOUND"
    title = "Debtor not found"


class DeclarationRejected(RuleBroken):
    code = "DECLARATION_REJECTED"
    title = "The default is not covered; see the reasons"


class InvoiceAlreadyClaimed(Conflict):
    code = "INVOICE_ALREADY_CLAIMED"
    title = "An invoice is already in another live claim"
