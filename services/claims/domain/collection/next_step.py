"""Where a collection track stands today, whether the duties are met, and the next step with its deadline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from services.claims.domain.collection.errors import IP_DOCUMENTS
from services.claims.domain.collection.terms import CollectionRules, Route, Stage
from services.claims.domain.collection.track import (
    CaseFacts,
    Track,
    as_of,
    certificate_earliest,
    cheque_payment_end,
    dispute_holds,
    ip_documents_needed,
    online_recovery_end,
    opposition_end,
    running,
    service_deadline,
    small_claims_answer_end,
    suspension_end,
)
from services.kit.dates import Deadline


@dataclass(frozen=True, slots=True)
class NextStep:
    action: str
    due: date | None
    by: str
    detail: str
    route: Route | None = None
    due_legal: date | None = None  # the period's legal end where a day off moved `due` (CPC art. 642)


def _step(action: str, period: Deadline, by: str, detail: str, route: Route | None) -> NextStep:
    """A step due at a period's end: the day it is due, and its legal day where a day off moved it."""
    return NextStep(action, period.due, by, detail, route, period.legal if period.moved else None)


@dataclass(frozen=True, slots=True)
class TrackView:
    """The track as of a day: where it stands, whether collection duties are met, and the next step."""

    route: Route | None
    stage: Stage | None
    collector: str
    suspended: bool
    duties_met: bool
    enforceable_title: bool
    next_step: NextStep | None
    tried: tuple[tuple[Route, Stage], ...] = field(default=())
    disputed: bool = False  # a dispute holds the indemnity until a title or a settlement


def view(track: Track, *, facts: CaseFacts, rules: CollectionRules) -> TrackView:
    """Where the track stands today and what to do next."""
    track = as_of(track, facts.today, rules)
    return TrackView(
        route=track.route,
        stage=track.stage,
        collector="insurer" if track.handover_accepted_on else "insured",
        suspended=facts.suspended,
        duties_met=duties_met(track, facts=facts),
        enforceable_title=track.title is not None,
        next_step=next_step(track, facts=facts, rules=rules),
        tried=track.tried,
        disputed=dispute_holds(track, on=facts.today, rules=rules),
    )


DUTIES = {
    "formal_notice": "a mise en demeure sent to the debtor",
    "court_route": "a court route or a commissaire de justice's recovery started",
    "handover": "collection handed over to the insurer",
}


def duties_done(track: Track) -> list[str]:
    """Which collection duties the track has on record."""
    done = []
    if track.notice_on:
        done.append("formal_notice")
    if track.route or track.tried or track.title:
        done.append("court_route")
    if track.handover_requested_on:
        done.append("handover")
    return done


def duties_met(track: Track, *, facts: CaseFacts) -> bool:
    """The insured did what the policy asks before a loss is paid: a formal notice, a court route, or a handover.

    Under a collective procedure individual actions are stayed (Code de commerce L622-21): the duties are moot.
    """
    return facts.suspended or bool(duties_done(track))


@dataclass(frozen=True, slots=True)
class DutiesAssessment:
    """Whether the insured's collection duties stand in the way of a protracted-default indemnity, and why not."""

    state: str  # met, moot, waived or unmet
    detail: str
    unmet: tuple[str, ...] = ()


def assess_duties(track: Track, *, required: bool, moot: bool) -> DutiesAssessment:
    """The policy's collection duties before an indemnity: met, moot under a procedure, waived, or unmet."""
    if moot:
        # Code de commerce L622-21: the opening of a collective procedure stays every individual action.
        return DutiesAssessment("moot", "moot: a collective procedure stays individual actions (L622-21)")
    done = duties_done(track)
    if not required:
        waived = [DUTIES[duty] for duty in DUTIES if duty not in done]
        return DutiesAssessment("waived", "waived by the policy: " + ("; ".join(waived) or "none outstanding"))
    if done:
        return DutiesAssessment("met", "met: " + "; ".join(DUTIES[duty] for duty in done))
    detail = "one of these is required: " + "; ".join(DUTIES.values())
    return DutiesAssessment("unmet", detail, tuple(DUTIES))


@dataclass(frozen=True, slots=True)
class IndemnityHold:
    """Why an indemnity cannot be paid yet: a dispute, or the policy's collection duties not met."""

    reason: str  # dispute or collection_duties
    detail: str
    unmet: tuple[str, ...] = ()


def indemnity_hold(
    track: Track, *, on: date, rules: CollectionRules, duties_required: bool, moot: bool
) -> IndemnityHold | None:
    """What holds an indemnity back on a day: a dispute without a title or a settlement, else unmet duties."""
    if dispute_holds(track, on=on, rules=rules):
        return IndemnityHold("dispute", "The debtor disputes the debt: record a title or a settlement first.")
    duties = assess_duties(track, required=duties_required, moot=moot)
    if duties.state == "unmet":
        return IndemnityHold("collection_duties", duties.detail, duties.unmet)
    return None


def next_step(track: Track, *, facts: CaseFacts, rules: CollectionRules) -> NextStep | None:
    """The recommended next action and its deadline, from the facts of the case."""
    today = facts.today
    track = as_of(track, today, rules)
    collector = "insurer" if track.handover_accepted_on else "insured"
    if not facts.in_collection:
        return None
    if facts.suspended:
        if facts.creance_filed:
            return NextStep("follow_procedure", None, "court_officer", "Créance declared; the procedure distributes.")
        moved = facts.creance_deadline_legal if facts.creance_deadline_legal != facts.creance_deadline else None
        return NextStep(
            "declare_creance",
            facts.creance_deadline,
            collector,
            "Individual collection is stayed by the collective procedure: declare the créance to the court officer.",
            due_legal=moved,
        )
    if track.title is not None:
        return NextStep(
            "enforce_title", None, collector, "Have a commissaire de justice enforce the title.", track.title[0]
        )
    if track.handover_requested_on is not None and track.handover_accepted_on is None:
        due = track.handover_requested_on + timedelta(days=rules.handover_answer_days)
        return NextStep("accept_handover", due, "insurer", "The insured asked the insurer to take collection over.")
    if running(track, today, rules):
        return _route_step(track, today=today, rules=rules, collector=collector)
    return _amicable_or_route_choice(track, facts=facts, rules=rules, collector=collector)


def _route_step(track: Track, *, today: date, rules: CollectionRules, collector: str) -> NextStep:
    route, stage = track.route, track.stage
    since = track.on_stage(stage) if stage is not None else today
    if stage == Stage.REQUESTED:
        return NextStep("await_order", None, "court", "The judge grants or refuses the injonction de payer.", route)
    if stage == Stage.ORDER_GRANTED:
        detail = "Serve the order (issued with the executory formula) by commissaire de justice, or it is void."
        return _step("serve_order", service_deadline(track, rules), collector, detail, route)
    if stage == Stage.ORDER_SERVED:
        window = opposition_end(track, rules)
        if window is not None:
            return _step("await_opposition_window", window, "debtor", "The debtor may oppose the order.", route)
        first_month = suspension_end(track, rules)
        if today <= first_month.due:
            detail = "The debtor may oppose; enforcement is suspended for the month after service."
            return _step("await_opposition_window", first_month, "debtor", detail, route)
        detail = (
            "Not served to the debtor in person: opposition stays open until a month after the first measure "
            "making the debtor's goods unavailable; have a commissaire de justice take it."
        )
        return NextStep("enforce_order", None, collector, detail, route)
    if stage == Stage.HANDED_OVER:
        due = online_recovery_end(track, rules)
        detail = "The commissaire de justice seeks amicable payment of the handed-over invoices."
        return NextStep("await_online_recovery", due, "commissaire_de_justice", detail, route)
    if stage in {Stage.OPPOSED, Stage.SUMMONED}:
        detail = "The debtor opposed: ordinary proceedings." if stage == Stage.OPPOSED else "Hearing of the case."
        return NextStep("attend_hearing", track.hearing_on, collector, detail, route)
    if stage == Stage.STARTED:
        answer_end = small_claims_answer_end(track, rules)
        return _step("await_debtor_agreement", answer_end, "debtor", "The debtor has one month to accept.", route)
    if stage == Stage.BOUNCED:
        due = since + timedelta(days=rules.cheque_no_funds_days)
        return NextStep("present_cheque_again", due, collector, "Present the cheque again to the bank.", route)
    if stage == Stage.PRESENTED_AGAIN:
        return _step(
            "obtain_certificate_of_non_payment",
            certificate_earliest(track, rules),
            collector,
            "Still unpaid 30 days after the first presentation: the bank issues a certificate of non-payment.",
            route,
        )
    if stage == Stage.CERTIFICATE_ISSUED:
        return NextStep(
            "serve_certificate",
            None,
            collector,
            "Serve the certificate on the drawer (commissaire de justice).",
            route,
        )
    return _step(
        "obtain_enforceable_title",
        cheque_payment_end(track, rules),
        collector,
        "Unpaid 15 days after service: the commissaire de justice issues an enforceable title.",
        route,
    )


def _amicable_or_route_choice(track: Track, *, facts: CaseFacts, rules: CollectionRules, collector: str) -> NextStep:
    if track.notice_on is None and not track.tried:
        if not track.reminders:
            return NextStep("send_reminder", facts.declared_on, collector, "Remind the debtor of the overdue invoices.")
        due = track.reminders[-1] + timedelta(days=rules.reminder_to_notice_days)
        return NextStep(
            "send_formal_notice",
            due,
            collector,
            "Send a mise en demeure by registered letter with acknowledgment or by commissaire de justice.",
        )
    if track.notice_period_end is not None and facts.today <= track.notice_period_end and not track.tried:
        return NextStep(
            "await_notice_period", track.notice_period_end, "debtor", "The formal notice gives the debtor until then."
        )
    start = max(filter(None, [track.notice_period_end, track.last_on, facts.declared_on]))
    due = start + timedelta(days=rules.court_action_days)
    route, action, detail = recommended_route(track, facts=facts, rules=rules)
    return NextStep(action, due, collector, detail, route)


def recommended_route(track: Track, *, facts: CaseFacts, rules: CollectionRules) -> tuple[Route, str, str]:
    """The court route the case calls for: by the amount, the dispute, the documents, and what was tried."""
    tried = {route for route, _ in track.tried}
    if track.contested:
        return Route.ASSIGNATION, "serve_assignation", "The debtor disputes the claim: summon for payment."
    small = facts.currency == rules.small_claims_currency and facts.unpaid <= rules.small_claims_limit
    if small and Route.SMALL_CLAIMS not in tried:
        return (
            Route.SMALL_CLAIMS,
            "start_small_claims",
            "Up to 5,000 EUR: a commissaire de justice proposes the small-claims procedure to the debtor.",
        )
    refused = any(route == Route.INJONCTION_DE_PAYER and stage == Stage.ORDER_REFUSED for route, stage in track.tried)
    if not refused:
        if not ip_documents_needed(track):
            return (
                Route.INJONCTION_DE_PAYER,
                "request_injonction_de_payer",
                "Uncontested, with its documents: ask the court for an injonction de payer.",
            )
        if Route.REFERE_PROVISION not in tried:
            return (
                Route.REFERE_PROVISION,
                "summon_in_refere",
                f"Without {IP_DOCUMENTS}, ask the référé judge for a provision.",
            )
    return Route.ASSIGNATION, "serve_assignation", "Summon the debtor for payment in ordinary proceedings."
