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
    ip_documents_needed,
    running,
    small_claims_answer_end,
)
from services.kit.dates import add_months


@dataclass(frozen=True, slots=True)
class NextStep:
    action: str
    due: date | None
    by: str
    detail: str
    route: Route | None = None


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
    )


def duties_met(track: Track, *, facts: CaseFacts) -> bool:
    """The insured did what the policy asks before a loss is paid: a formal notice, a court route, or a handover."""
    return bool(
        facts.suspended or track.notice_on or track.route or track.tried or track.title or track.handover_requested_on
    )


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
        return NextStep(
            "declare_creance",
            facts.creance_deadline,
            collector,
            "Individual collection is stayed by the collective procedure: declare the créance to the court officer.",
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
        due = add_months(since, rules.order_service_months)
        return NextStep("serve_order", due, collector, "Serve the order by commissaire de justice or it lapses.", route)
    if stage == Stage.ORDER_SERVED:
        window_end = add_months(since, rules.opposition_months)
        if today <= window_end:
            return NextStep("await_opposition_window", window_end, "debtor", "The debtor may oppose the order.", route)
        return NextStep(
            "request_enforceable_title",
            add_months(window_end, rules.enforceable_request_months),
            collector,
            "No opposition: ask the court clerk for the executory formula, or the order lapses.",
            route,
        )
    if stage in {Stage.OPPOSED, Stage.SUMMONED}:
        detail = "The debtor opposed: ordinary proceedings." if stage == Stage.OPPOSED else "Hearing of the case."
        return NextStep("attend_hearing", track.hearing_on, collector, detail, route)
    if stage == Stage.STARTED:
        due = small_claims_answer_end(track, rules)
        return NextStep("await_debtor_agreement", due, "debtor", "The debtor has one month to accept.", route)
    if stage == Stage.BOUNCED:
        due = since + timedelta(days=rules.cheque_no_funds_days)
        return NextStep("present_cheque_again", due, collector, "Present the cheque again to the bank.", route)
    if stage == Stage.PRESENTED_AGAIN:
        earliest = track.on_stage(Stage.BOUNCED) + timedelta(days=rules.cheque_no_funds_days)
        return NextStep(
            "obtain_certificate_of_non_payment",
            earliest,
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
    period_end = since + timedelta(days=rules.cheque_payment_days)
    return NextStep(
        "obtain_enforceable_title",
        period_end,
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
