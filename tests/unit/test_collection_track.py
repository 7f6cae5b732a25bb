"""The collection routes, walked step by step: each stage's next step and deadline, and every refusal by its rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.claims.domain.collection.errors import (
    ActionBeforePreviousStep,
    ActionInFuture,
    ActionOutOfOrder,
    AnswerOutOfTime,
    ClaimContested,
    CollectionHandedOver,
    CollectionSuspended,
    DocumentsMissing,
    EnforcementSuspended,
    HandoverAcceptedByInsurer,
    NoDispute,
    NoFundsPeriodRunning,
    OppositionOutOfTime,
    OrderLapsed,
    PaymentPeriodRunning,
    RouteInProgress,
    SettlementRecordedByInsurer,
    SmallClaimOverLimit,
    TitleAlreadyObtained,
)
from services.claims.domain.collection.next_step import NextStep, assess_duties, duties_met, next_step, view
from services.claims.domain.collection.terms import ActionKind as K
from services.claims.domain.collection.terms import CollectionRules, DocumentKind, Route, Stage
from services.claims.domain.collection.track import Action, CaseFacts, Track, apply, as_of, dispute_holds, fold

RULES = CollectionRules()
DECLARED = date(2026, 6, 1)
PROOFS = frozenset({DocumentKind.INVOICE, DocumentKind.DELIVERY_NOTE})


def facts(today: date, *, unpaid: str = "18000.00", currency: str = "EUR", **more: object) -> CaseFacts:
    return CaseFacts(today=today, declared_on=DECLARED, unpaid=Decimal(unpaid), currency=currency, **more)  # type: ignore[arg-type]


def act(
    track: Track, kind: K, on: date, *, by_insurer: bool = False, unpaid: str = "18000.00", **more: object
) -> Track:
    return apply(track, Action(kind, on, **more), facts=facts(on, unpaid=unpaid), rules=RULES, by_insurer=by_insurer)  # type: ignore[arg-type]


def step_on(track: Track, today: date, **more: object) -> NextStep | None:
    return next_step(track, facts=facts(today, **more), rules=RULES)  # type: ignore[arg-type]


def noticed() -> Track:
    """A reminder on 1 June, a formal notice on 20 June giving 8 days."""
    track = act(Track(), K.REMINDER, date(2026, 6, 5))
    return act(track, K.FORMAL_NOTICE, date(2026, 6, 20))


# Amicable


def test_a_new_claim_calls_for_a_reminder_then_a_formal_notice() -> None:
    assert step_on(Track(), DECLARED) == NextStep(
        "send_reminder", DECLARED, "insured", "Remind the debtor of the overdue invoices."
    )
    reminded = act(Track(), K.REMINDER, date(2026, 6, 5))
    step = step_on(reminded, date(2026, 6, 6))
    assert (step.action, step.due) == ("send_formal_notice", date(2026, 6, 20))


def test_a_formal_notice_gives_its_payment_period_then_a_court_route_is_due() -> None:
    track = noticed()
    waiting = step_on(track, date(2026, 6, 25))
    assert (waiting.action, waiting.due, waiting.by) == ("await_notice_period", date(2026, 6, 28), "debtor")
    after = step_on(track, date(2026, 6, 29))
    # 18,000 EUR, uncontested, no documents on file: référé-provision; due 30 days after the notice period.
    assert (after.action, after.route, after.due) == ("summon_in_refere", Route.REFERE_PROVISION, date(2026, 7, 28))


def test_the_notice_may_give_its_own_period() -> None:
    track = act(Track(), K.FORMAL_NOTICE, date(2026, 6, 20), payment_period_days=15)
    assert step_on(track, date(2026, 6, 21)).due == date(2026, 7, 5)


def test_the_route_recommended_follows_amount_dispute_and_documents() -> None:
    track = noticed()
    later = date(2026, 7, 1)
    assert step_on(track, later, unpaid="4200.00").action == "start_small_claims"
    assert step_on(track, later, unpaid="4200.00", currency="USD").action == "summon_in_refere"
    with_proofs = act(track, K.DOCUMENTS_ADDED, date(2026, 6, 30), documents=PROOFS)
    assert step_on(with_proofs, later).action == "request_injonction_de_payer"
    disputed = act(with_proofs, K.DISPUTE, date(2026, 6, 30))
    assert step_on(disputed, later).action == "serve_assignation"


# Injonction de payer


def ip_served(served_on: date = date(2026, 8, 10), *, to_person: bool = True) -> Track:
    track = act(noticed(), K.INJONCTION_REQUESTED, date(2026, 7, 1), documents=PROOFS)
    track = act(track, K.INJONCTION_GRANTED, date(2026, 7, 15))
    return act(track, K.INJONCTION_SERVED, served_on, served_to_person=to_person)


def test_injonction_de_payer_walks_to_an_enforceable_title() -> None:
    track = act(noticed(), K.INJONCTION_REQUESTED, date(2026, 7, 1), documents=PROOFS)
    assert step_on(track, date(2026, 7, 2)).action == "await_order"
    track = act(track, K.INJONCTION_GRANTED, date(2026, 7, 15))
    serve = step_on(track, date(2026, 7, 16))
    assert (serve.action, serve.due) == ("serve_order", date(2027, 1, 15))
    track = act(track, K.INJONCTION_SERVED, date(2026, 8, 10), served_to_person=True)
    window = step_on(track, date(2026, 8, 20))
    assert (window.action, window.due, window.by) == ("await_opposition_window", date(2026, 9, 10), "debtor")
    # Since 1 March 2022 the order carries the executory formula: unopposed for the month, it is a title.
    assert step_on(track, date(2026, 9, 11)).action == "enforce_title"
    assert as_of(track, date(2026, 9, 11), RULES).title == (Route.INJONCTION_DE_PAYER, date(2026, 9, 11))
    assert as_of(track, date(2026, 9, 10), RULES).title is None


def test_an_order_not_served_within_six_months_lapses() -> None:
    track = act(noticed(), K.INJONCTION_REQUESTED, date(2026, 7, 1), documents=PROOFS)
    track = act(track, K.INJONCTION_GRANTED, date(2026, 7, 15))
    with pytest.raises(OrderLapsed):
        act(track, K.INJONCTION_SERVED, date(2027, 1, 16))
    today = date(2027, 1, 20)
    seen = view(track, facts=facts(today), rules=RULES)
    assert seen.route is None and (Route.INJONCTION_DE_PAYER, Stage.LAPSED) in seen.tried
    # A lapsed order may be asked again.
    assert step_on(track, today).action == "request_injonction_de_payer"
    again = act(track, K.INJONCTION_REQUESTED, today)
    assert again.route == Route.INJONCTION_DE_PAYER and again.stage == Stage.REQUESTED


def test_an_opposition_sends_the_order_to_ordinary_proceedings() -> None:
    track = act(ip_served(), K.INJONCTION_OPPOSED, date(2026, 9, 1), hearing_on=date(2026, 11, 5))
    hearing = step_on(track, date(2026, 9, 2))
    assert (hearing.action, hearing.due) == ("attend_hearing", date(2026, 11, 5))
    track = act(track, K.JUDGMENT_GRANTED, date(2026, 11, 5))
    assert track.title == (Route.INJONCTION_DE_PAYER, date(2026, 11, 5))


def test_an_opposition_after_the_month_is_refused() -> None:
    with pytest.raises(OppositionOutOfTime) as refused:
        act(ip_served(), K.INJONCTION_OPPOSED, date(2026, 9, 11))
    assert refused.value.code == "OPPOSITION_OUT_OF_TIME"


def test_no_executory_formula_is_asked_for_any_more() -> None:
    with pytest.raises(ActionOutOfOrder):
        act(ip_served(), K.LEGACY_EXECUTORY_FORMULA, date(2026, 9, 14))
    # A formula asked for under the old procedure, recorded before, moves nothing: the title came with the window.
    legacy = fold([Action(K.LEGACY_EXECUTORY_FORMULA, date(2026, 9, 14))], rules=RULES)
    assert legacy == Track()


def test_an_order_not_served_in_person_stays_open_to_opposition_until_a_month_after_the_first_measure() -> None:
    track = ip_served(to_person=False)
    # CPC art. 1422: the month after service suspends enforcement, whatever the service.
    with pytest.raises(EnforcementSuspended):
        act(track, K.ENFORCEMENT_MEASURE, date(2026, 9, 10))
    enforce = step_on(track, date(2026, 10, 1))
    assert (enforce.action, enforce.due) == ("enforce_order", None)
    # Long after service, no measure yet: the debtor may still oppose (CPC art. 1416 al. 2).
    assert act(track, K.INJONCTION_OPPOSED, date(2027, 3, 1)).stage == Stage.OPPOSED
    seized = act(track, K.ENFORCEMENT_MEASURE, date(2026, 10, 1))
    window = step_on(seized, date(2026, 10, 2))
    assert (window.action, window.due) == ("await_opposition_window", date(2026, 11, 2))  # 1 Nov: a holiday and Sunday
    assert act(seized, K.INJONCTION_OPPOSED, date(2026, 11, 2)).stage == Stage.OPPOSED
    with pytest.raises(OppositionOutOfTime):
        act(seized, K.INJONCTION_OPPOSED, date(2026, 11, 3))
    assert as_of(seized, date(2026, 11, 3), RULES).title == (Route.INJONCTION_DE_PAYER, date(2026, 11, 3))


def test_periods_ending_on_a_day_off_run_to_the_next_working_day() -> None:
    # CPC art. 642: 1 January 2027 (New Year's Day, a Friday) moves the service deadline to Monday 4 January.
    track = act(noticed(), K.INJONCTION_REQUESTED, date(2026, 7, 1), documents=PROOFS)
    track = act(track, K.INJONCTION_GRANTED, date(2026, 7, 1))
    serve = step_on(track, date(2026, 7, 2))
    assert (serve.due, serve.due_legal) == (date(2027, 1, 4), date(2027, 1, 1))
    assert act(track, K.INJONCTION_SERVED, date(2027, 1, 4), served_to_person=True).stage == Stage.ORDER_SERVED
    with pytest.raises(OrderLapsed):
        act(track, K.INJONCTION_SERVED, date(2027, 1, 5), served_to_person=True)
    # The small-claims answer: started 14 June, a month ends on 14 July (a holiday).
    small = act(Track(), K.SMALL_CLAIMS_STARTED, date(2026, 6, 14), unpaid="4200.00")
    answer = step_on(small, date(2026, 6, 15), unpaid="4200.00")
    assert (answer.due, answer.due_legal) == (date(2026, 7, 15), date(2026, 7, 14))
    assert act(small, K.SMALL_CLAIMS_AGREED, date(2026, 7, 15), unpaid="4200.00").title is not None
    # The cheque: 30 days from 5 June end on Sunday 5 July.
    cheque = act(act(Track(), K.CHEQUE_BOUNCED, date(2026, 6, 5)), K.CHEQUE_PRESENTED_AGAIN, date(2026, 6, 12))
    with pytest.raises(NoFundsPeriodRunning):
        act(cheque, K.CHEQUE_CERTIFICATE_ISSUED, date(2026, 7, 5))
    assert act(cheque, K.CHEQUE_CERTIFICATE_ISSUED, date(2026, 7, 6)).stage == Stage.CERTIFICATE_ISSUED


def test_service_before_the_order_is_out_of_order() -> None:
    track = act(noticed(), K.INJONCTION_REQUESTED, date(2026, 7, 1), documents=PROOFS)
    with pytest.raises(ActionOutOfOrder) as refused:
        act(track, K.INJONCTION_SERVED, date(2026, 7, 2))
    assert refused.value.code == "COLLECTION_ACTION_OUT_OF_ORDER"
    assert refused.value.extra == {"route": Route.INJONCTION_DE_PAYER, "stage": Stage.REQUESTED}


def test_injonction_needs_an_uncontested_claim_and_its_documents() -> None:
    with pytest.raises(DocumentsMissing) as missing:
        act(noticed(), K.INJONCTION_REQUESTED, date(2026, 7, 1), documents=frozenset({DocumentKind.INVOICE}))
    assert missing.value.extra["needed"] == ["order_form or delivery_note"]
    disputed = act(noticed(), K.DISPUTE, date(2026, 6, 30))
    with pytest.raises(ClaimContested):
        act(disputed, K.INJONCTION_REQUESTED, date(2026, 7, 1), documents=PROOFS)


def test_a_refused_order_leads_to_a_summons() -> None:
    track = act(noticed(), K.INJONCTION_REQUESTED, date(2026, 7, 1), documents=PROOFS)
    track = act(track, K.INJONCTION_REFUSED, date(2026, 7, 15))
    assert track.route is None
    assert step_on(track, date(2026, 7, 16)).action == "serve_assignation"


# Référé-provision and assignation


def test_refere_provision_ordered_is_a_title_and_a_refusal_leads_to_assignation() -> None:
    track = act(noticed(), K.REFERE_SUMMONED, date(2026, 7, 1), hearing_on=date(2026, 7, 20))
    assert step_on(track, date(2026, 7, 2)) == NextStep(
        "attend_hearing", date(2026, 7, 20), "insured", "Hearing of the case.", Route.REFERE_PROVISION
    )
    granted = act(track, K.REFERE_GRANTED, date(2026, 7, 20))
    assert granted.title == (Route.REFERE_PROVISION, date(2026, 7, 20))
    refused = act(track, K.REFERE_REFUSED, date(2026, 7, 20))
    assert step_on(refused, date(2026, 7, 21)).action == "serve_assignation"


def test_assignation_walks_to_a_judgment() -> None:
    track = act(noticed(), K.DISPUTE, date(2026, 6, 30))
    track = act(track, K.ASSIGNATION_SERVED, date(2026, 7, 3), hearing_on=date(2026, 10, 1))
    assert step_on(track, date(2026, 7, 4)).due == date(2026, 10, 1)
    with pytest.raises(RouteInProgress):
        act(track, K.REFERE_SUMMONED, date(2026, 7, 5))
    dismissed = act(track, K.JUDGMENT_DISMISSED, date(2026, 10, 1))
    assert dismissed.route is None and (Route.ASSIGNATION, Stage.DISMISSED) in dismissed.tried
    granted = act(track, K.JUDGMENT_GRANTED, date(2026, 10, 1))
    with pytest.raises(TitleAlreadyObtained):
        act(granted, K.REFERE_SUMMONED, date(2026, 10, 2))


# Small claims


def test_small_claims_agreement_is_a_title() -> None:
    track = act(noticed(), K.SMALL_CLAIMS_STARTED, date(2026, 7, 1), unpaid="4200.00")
    answer = step_on(track, date(2026, 7, 2), unpaid="4200.00")
    # A month ends on Saturday 1 August: it runs to Monday 3 August (CPC art. 642).
    assert (answer.action, answer.due, answer.by) == ("await_debtor_agreement", date(2026, 8, 3), "debtor")
    track = act(track, K.SMALL_CLAIMS_AGREED, date(2026, 7, 28))
    assert track.title == (Route.SMALL_CLAIMS, date(2026, 7, 28))


def test_small_claims_over_5000_is_refused() -> None:
    with pytest.raises(SmallClaimOverLimit) as refused:
        act(noticed(), K.SMALL_CLAIMS_STARTED, date(2026, 7, 1), unpaid="5000.01")
    assert refused.value.code == "SMALL_CLAIM_OVER_LIMIT"
    assert act(noticed(), K.SMALL_CLAIMS_STARTED, date(2026, 7, 1), unpaid="5000.00").stage == Stage.STARTED


def test_silence_for_a_month_is_a_refusal_of_the_small_claims_procedure() -> None:
    track = act(noticed(), K.SMALL_CLAIMS_STARTED, date(2026, 7, 1), unpaid="4200.00")
    with pytest.raises(AnswerOutOfTime):
        act(track, K.SMALL_CLAIMS_AGREED, date(2026, 8, 4))
    # Small claims tried: with the documents on file the injonction de payer comes next.
    with_proofs = act(track, K.DOCUMENTS_ADDED, date(2026, 8, 4), documents=PROOFS)
    assert step_on(with_proofs, date(2026, 8, 5), unpaid="4200.00").action == "request_injonction_de_payer"


# Bounced cheque


def test_bounced_cheque_walks_to_a_title() -> None:
    track = act(Track(), K.CHEQUE_BOUNCED, date(2026, 6, 2))
    first = step_on(track, date(2026, 6, 3))
    assert (first.action, first.route) == ("present_cheque_again", Route.BOUNCED_CHEQUE)
    track = act(track, K.CHEQUE_PRESENTED_AGAIN, date(2026, 6, 10))
    certificate = step_on(track, date(2026, 6, 11))
    assert (certificate.action, certificate.due) == ("obtain_certificate_of_non_payment", date(2026, 7, 2))
    with pytest.raises(NoFundsPeriodRunning):
        act(track, K.CHEQUE_CERTIFICATE_ISSUED, date(2026, 7, 1))
    track = act(track, K.CHEQUE_CERTIFICATE_ISSUED, date(2026, 7, 2))
    assert step_on(track, date(2026, 7, 3)).action == "serve_certificate"
    track = act(track, K.CHEQUE_CERTIFICATE_SERVED, date(2026, 7, 6))
    title = step_on(track, date(2026, 7, 7))
    assert (title.action, title.due) == ("obtain_enforceable_title", date(2026, 7, 21))
    with pytest.raises(PaymentPeriodRunning):
        act(track, K.CHEQUE_ENFORCEABLE, date(2026, 7, 21))
    track = act(track, K.CHEQUE_ENFORCEABLE, date(2026, 7, 22))
    assert track.title == (Route.BOUNCED_CHEQUE, date(2026, 7, 22))


# Handover, suspension, dates


def test_handover_waits_for_the_insurer_then_the_insurer_collects() -> None:
    track = act(noticed(), K.HANDOVER_REQUESTED, date(2026, 7, 1))
    accept = step_on(track, date(2026, 7, 2))
    assert (accept.action, accept.due, accept.by) == ("accept_handover", date(2026, 7, 16), "insurer")
    with pytest.raises(HandoverAcceptedByInsurer):
        act(track, K.HANDOVER_ACCEPTED, date(2026, 7, 3))
    track = act(track, K.HANDOVER_ACCEPTED, date(2026, 7, 3), by_insurer=True)
    assert step_on(track, date(2026, 7, 4)).by == "insurer"
    with pytest.raises(CollectionHandedOver):
        act(track, K.REFERE_SUMMONED, date(2026, 7, 5))
    assert act(track, K.REFERE_SUMMONED, date(2026, 7, 5), by_insurer=True).route == Route.REFERE_PROVISION
    assert act(track, K.PAYMENT_OBTAINED, date(2026, 7, 5)) == track


def test_a_collective_procedure_stays_collection_and_calls_for_the_creance() -> None:
    track = act(noticed(), K.REFERE_SUMMONED, date(2026, 7, 1))
    suspended = facts(date(2026, 7, 10), suspended=True, creance_deadline=date(2026, 9, 5))
    with pytest.raises(CollectionSuspended) as stayed:
        apply(track, Action(K.REFERE_GRANTED, date(2026, 7, 10)), facts=suspended, rules=RULES, by_insurer=False)
    assert stayed.value.extra == {"creance_deadline": "2026-09-05"}
    seen = view(track, facts=suspended, rules=RULES)
    assert seen.suspended and seen.next_step.action == "declare_creance" and seen.next_step.due == date(2026, 9, 5)


def test_actions_are_facts_of_the_past_in_the_order_of_the_route() -> None:
    with pytest.raises(ActionInFuture):
        apply(Track(), Action(K.REMINDER, date(2026, 6, 2)), facts=facts(DECLARED), rules=RULES, by_insurer=False)
    track = act(noticed(), K.INJONCTION_REQUESTED, date(2026, 7, 1), documents=PROOFS)
    with pytest.raises(ActionBeforePreviousStep):
        act(track, K.INJONCTION_GRANTED, date(2026, 6, 30))


# Online recovery by a commissaire de justice (the registry's service)


def test_online_recovery_works_sixty_days_then_the_track_recommends_a_court_route() -> None:
    with pytest.raises(DocumentsMissing):
        act(noticed(), K.ONLINE_RECOVERY_HANDED_OVER, date(2026, 7, 1))
    track = act(noticed(), K.ONLINE_RECOVERY_HANDED_OVER, date(2026, 7, 1), documents=frozenset({DocumentKind.INVOICE}))
    waiting = step_on(track, date(2026, 7, 2), unpaid="4200.00")
    assert (waiting.action, waiting.due, waiting.by) == (
        "await_online_recovery",
        date(2026, 8, 30),
        "commissaire_de_justice",
    )
    with pytest.raises(RouteInProgress):
        act(track, K.REFERE_SUMMONED, date(2026, 7, 2))
    # Sixty days without an outcome: it failed, and small claims (≤ 5,000 EUR) come next.
    silent = view(track, facts=facts(date(2026, 8, 31), unpaid="4200.00"), rules=RULES)
    assert (Route.ONLINE_RECOVERY, Stage.FAILED) in silent.tried
    assert silent.next_step.action == "start_small_claims"
    part = act(track, K.ONLINE_RECOVERY_PAID, date(2026, 7, 20), outcome=Stage.PAID_IN_PART)
    assert part.route is None and (Route.ONLINE_RECOVERY, Stage.PAID_IN_PART) in part.tried
    assert step_on(part, date(2026, 7, 21)).action == "summon_in_refere"
    failed = act(track, K.ONLINE_RECOVERY_FAILED, date(2026, 7, 20))
    assert (Route.ONLINE_RECOVERY, Stage.FAILED) in failed.tried
    stayed = facts(date(2026, 7, 20), suspended=True)
    with pytest.raises(CollectionSuspended):
        apply(track, Action(K.ONLINE_RECOVERY_FAILED, date(2026, 7, 20)), facts=stayed, rules=RULES, by_insurer=False)


# Disputes and duties


def test_a_dispute_holds_until_a_title_or_a_settlement() -> None:
    disputed = act(noticed(), K.DISPUTE, date(2026, 6, 30))
    assert dispute_holds(disputed, on=date(2026, 7, 1), rules=RULES)
    with pytest.raises(SettlementRecordedByInsurer):
        act(disputed, K.DISPUTE_SETTLED, date(2026, 7, 1))
    with pytest.raises(ActionBeforePreviousStep):
        act(disputed, K.DISPUTE_SETTLED, date(2026, 6, 29), by_insurer=True)
    settled = act(disputed, K.DISPUTE_SETTLED, date(2026, 7, 1), by_insurer=True)
    assert not dispute_holds(settled, on=date(2026, 7, 2), rules=RULES) and not settled.contested
    judged = act(act(disputed, K.ASSIGNATION_SERVED, date(2026, 7, 3)), K.JUDGMENT_GRANTED, date(2026, 10, 1))
    assert not dispute_holds(judged, on=date(2026, 10, 2), rules=RULES)
    dismissed = act(act(disputed, K.ASSIGNATION_SERVED, date(2026, 7, 3)), K.JUDGMENT_DISMISSED, date(2026, 10, 1))
    assert dispute_holds(dismissed, on=date(2026, 10, 2), rules=RULES)
    with pytest.raises(NoDispute):
        act(noticed(), K.DISPUTE_SETTLED, date(2026, 7, 1), by_insurer=True)


def test_duties_are_met_moot_waived_or_unmet() -> None:
    reminded = act(Track(), K.REMINDER, date(2026, 6, 5))
    unmet = assess_duties(reminded, required=True, moot=False)
    assert unmet.state == "unmet" and unmet.unmet == ("formal_notice", "court_route", "handover")
    assert assess_duties(noticed(), required=True, moot=False).state == "met"
    assert assess_duties(reminded, required=True, moot=True).detail.startswith("moot")
    waived = assess_duties(reminded, required=False, moot=False)
    assert waived.state == "waived" and "mise en demeure" in waived.detail


def test_collection_duties_are_met_by_a_notice_a_route_or_a_handover() -> None:
    reminded = act(Track(), K.REMINDER, date(2026, 6, 5))
    assert not duties_met(reminded, facts=facts(date(2026, 6, 6)))
    assert duties_met(noticed(), facts=facts(date(2026, 6, 21)))
    assert duties_met(act(Track(), K.CHEQUE_BOUNCED, date(2026, 6, 2)), facts=facts(date(2026, 6, 3)))
    assert duties_met(reminded, facts=facts(date(2026, 6, 6), suspended=True))


def test_the_track_folds_back_from_its_actions() -> None:
    actions = [
        Action(K.REMINDER, date(2026, 6, 5)),
        Action(K.FORMAL_NOTICE, date(2026, 6, 20)),
        Action(K.INJONCTION_REQUESTED, date(2026, 7, 1), documents=PROOFS),
        Action(K.INJONCTION_GRANTED, date(2026, 7, 15)),
    ]
    track = Track()
    for action in actions:
        track = apply(track, action, facts=facts(action.on), rules=RULES, by_insurer=False)
    assert fold(actions, rules=RULES) == track


def test_rules_take_a_policy_or_setting_override() -> None:
    rules = RULES.changed({"formal_notice_days": 15, "small_claims_limit": "4000", "unknown": 1})
    assert rules.formal_notice_days == 15 and rules.small_claims_limit == Decimal("4000")
    with pytest.raises(SmallClaimOverLimit):
        apply(
            noticed(),
            Action(K.SMALL_CLAIMS_STARTED, date(2026, 7, 1)),
            facts=facts(date(2026, 7, 1), unpaid="4200.00"),
            rules=rules,
            by_insurer=False,
        )
