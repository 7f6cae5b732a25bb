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
    title = "An invoice is already in a live claim, or was indemnified"


class CreanceDeadlineMissed(RuleBroken):
    code = "CREANCE_DEADLINE_MISSED"
    title = "The déclaration de créance was due earlier"


class NoCreanceDue(Conflict):
    code = "NO_CREANCE_DUE"
    title = "No collective procedure calls for a déclaration de créance on this claim"


class FilingBeforeOpening(RuleBroken):
    code = "FILING_BEFORE_OPENING"
    title = "A déclaration de créance is made in a procedure: not before the judgment that opened it"


class CreanceAlreadyFiled(Conflict):
    code = "CREANCE_ALREADY_FILED"
    title = "The déclaration de créance of this claim is already on record"


class ExtensionRefused(RuleBroken):
    code = "EXTENSION_BEYOND_MAXIMUM"
    title = "The new due date is past the maximum extension period"


class OverPayment(RuleBroken):
    code = "PAYMENT_EXCEEDS_UNPAID"
    title = "The payment is more than what is unpaid"


class NotIndemnified(Conflict):
    code = "NOT_INDEMNIFIED"
    title = "Recoveries are shared only after the indemnity"


class ReliefTooLate(RuleBroken):
    code = "RELIEF_TOO_LATE"
    title = "A relevé de forclusion must be asked within 6 months of the publication"


class ReliefNotApplicable(Conflict):
    code = "RELIEF_NOT_APPLICABLE"
    title = "A relevé de forclusion is only for a créance whose deadline passed without a filing"


class NotInCollection(Conflict):
    code = "CLAIM_NOT_IN_COLLECTION"
    title = "Collection steps are recorded only on a claim not yet indemnified, settled, withdrawn or closed"


class RecoveryBeforeIndemnity(RuleBroken):
    code = "RECOVERY_BEFORE_INDEMNITY"
    title = "A recovery is money received after the indemnity was paid"


class RecoveryExceedsOwed(RuleBroken):
    code = "RECOVERY_EXCEEDS_OWED"
    title = "A recovery cannot exceed what the debtor still owes"


class ClaimAlreadyOpen(Conflict):
    code = "CLAIM_ALREADY_OPEN"
    title = "A claim is live on this buyer under this policy: add the unpaid invoices to it"


class ClaimNotOpenToInvoices(Conflict):
    code = "CLAIM_CLOSED_TO_INVOICES"
    title = "Invoices are added to a claim only before its indemnity"


class InvoicesNotCovered(RuleBroken):
    code = "INVOICES_NOT_COVERED"
    title = "These invoices are not covered; see the reasons"
