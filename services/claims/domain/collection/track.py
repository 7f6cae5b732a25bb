"""The collection track as a fold of facts: each action is checked against the track as it stands, then moves it on."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

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
    HandoverNotRequested,
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
from services.claims.domain.collection.terms import ENDED, ActionKind, CollectionRules, DocumentKind, Route, Stage
from services.kit.dates import Deadline, add_months, deadline

# The court steps: the routes each applies to, the stages it may follow (None: no route running), where it leads.
IP, REFERE, ASSIGN = Route.INJONCTION_DE_PAYER, Route.REFERE_PROVISION, Route.ASSIGNATION
SMALL, CHEQUE, ONLINE = Route.SMALL_CLAIMS, Route.BOUNCED_CHEQUE, Route.ONLINE_RECOVERY
_STEP_ROWS: list[tuple[ActionKind, set[Route], set[Stage | None], Stage]] = [
    (ActionKind.INJONCTION_REQUESTED, {IP}, {None}, Stage.REQUESTED),
    (ActionKind.INJONCTION_GRANTED, {IP}, {Stage.REQUESTED}, Stage.ORDER_GRANTED),
    (ActionKind.INJONCTION_REFUSED, {IP}, {Stage.REQUESTED}, Stage.ORDER_REFUSED),
    (ActionKind.INJONCTION_SERVED, {IP}, {Stage.ORDER_GRANTED}, Stage.ORDER_SERVED),
    (ActionKind.INJONCTION_OPPOSED, {IP}, {Stage.ORDER_SERVED}, Stage.OPPOSED),
    (ActionKind.REFERE_SUMMONED, {REFERE}, {None}, Stage.SUMMONED),
    (ActionKind.REFERE_GRANTED, {REFERE}, {Stage.SUMMONED}, Stage.ENFORCEABLE_TITLE),
    (ActionKind.REFERE_REFUSED, {REFERE}, {Stage.SUMMONED}, Stage.REFUSED),
    (ActionKind.ASSIGNATION_SERVED, {ASSIGN}, {None}, Stage.SUMMONED),
    # A judgment ends ordinary proceedings: an assignation, or an injonction de payer after opposition.
    (ActionKind.JUDGMENT_GRANTED, {ASSIGN, IP}, {Stage.SUMMONED, Stage.OPPOSED}, Stage.ENFORCEABLE_TITLE),
    (ActionKind.JUDGMENT_DISMISSED, {ASSIGN, IP}, {Stage.SUMMONED, Stage.OPPOSED}, Stage.DISMISSED),
    (ActionKind.SMALL_CLAIMS_STARTED, {SMALL}, {None}, Stage.STARTED),
    (ActionKind.SMALL_CLAIMS_AGREED, {SMALL}, {Stage.STARTED}, Stage.ENFORCEABLE_TITLE),
    (ActionKind.SMALL_CLAIMS_REFUSED, {SMALL}, {Stage.STARTED}, Stage.REFUSED),
    (ActionKind.CHEQUE_BOUNCED, {CHEQUE}, {None}, Stage.BOUNCED),
    (ActionKind.CHEQUE_PRESENTED_AGAIN, {CHEQUE}, {Stage.BOUNCED}, Stage.PRESENTED_AGAIN),
    (ActionKind.CHEQUE_CERTIFICATE_ISSUED, {CHEQUE}, {Stage.PRESENTED_AGAIN}, Stage.CERTIFICATE_ISSUED),
    (ActionKind.CHEQUE_CERTIFICATE_SERVED, {CHEQUE}, {Stage.CERTIFICATE_ISSUED}, Stage.CERTIFICATE_SERVED),
    (ActionKind.CHEQUE_ENFORCEABLE, {CHEQUE}, {Stage.CERTIFICATE_SERVED}, Stage.ENFORCEABLE_TITLE),
    (ActionKind.ONLINE_RECOVERY_HANDED_OVER, {ONLINE}, {None}, Stage.HANDED_OVER),
    # Paid: in part unless the amount settles the claim (the caller says which, as `outcome`).
    (ActionKind.ONLINE_RECOVERY_PAID, {ONLINE}, {Stage.HANDED_OVER}, Stage.PAID_IN_PART),
    (ActionKind.ONLINE_RECOVERY_FAILED, {ONLINE}, {Stage.HANDED_OVER}, Stage.FAILED),
]
STEPS = {kind: (frozenset(routes), frozenset(after), target) for kind, routes, after, target in _STEP_ROWS}

# What an individual creditor may still do once a collective procedure stays individual actions.
ALLOWED_WHEN_SUSPENDED = frozenset(
    {ActionKind.HANDOVER_REQUESTED, ActionKind.HANDOVER_ACCEPTED, ActionKind.DISPUTE, ActionKind.DISPUTE_SETTLED}
)
# The insured may still report these once the insurer has taken collection over.
INSURED_AFTER_HANDOVER = frozenset({ActionKind.PAYMENT_OBTAINED, ActionKind.DOCUMENTS_ADDED, ActionKind.DISPUTE})


@dataclass(frozen=True, slots=True)
class Action:
    """One collection fact, as the track reads it."""

    kind: ActionKind
    on: date
    documents: frozenset[DocumentKind] = frozenset()
    hearing_on: date | None = None
    payment_period_days: int | None = None
    served_to_person: bool | None = None
    outcome: Stage | None = None


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the claim tells the track: the day, what is owed, whether a procedure stays collection."""

    today: date
    declared_on: date
    unpaid: Decimal
    currency: str
    suspended: bool = False
    creance_deadline: date | None = None
    creance_deadline_legal: date | None = None
    creance_filed: bool = False
    in_collection: bool = True  # False once the claim is settled, indemnified, withdrawn or closed


@dataclass(frozen=True, slots=True)
class Track:
    route: Route | None = None
    stage: Stage | None = None
    reached: tuple[tuple[Stage, date], ...] = ()
    hearing_on: date | None = None
    last_on: date | None = None
    reminders: tuple[date, ...] = ()
    notice_on: date | None = None
    notice_period_end: date | None = None
    contested: bool = False
    disputed_on: date | None = None
    documents: frozenset[DocumentKind] = frozenset()
    tried: tuple[tuple[Route, Stage], ...] = ()
    title: tuple[Route, date] | None = None
    handover_requested_on: date | None = None
    handover_accepted_on: date | None = None
    served_to_person: bool | None = None
    enforcement_measure_on: date | None = None

    def on_stage(self, stage: Stage) -> date:
        return next(day for reached, day in reversed(self.reached) if reached == stage)


def service_deadline(track: Track, rules: CollectionRules) -> Deadline:
    """CPC art. 1411: an injonction de payer not served within 6 months of its date is void."""
    return deadline(add_months(track.on_stage(Stage.ORDER_GRANTED), rules.order_service_months))


def suspension_end(track: Track, rules: CollectionRules) -> Deadline:
    """CPC art. 1416 al. 1 and 1422: the month after service is the opposition window and suspends enforcement."""
    return deadline(add_months(track.on_stage(Stage.ORDER_SERVED), rules.opposition_months))


def opposition_end(track: Track, rules: CollectionRules) -> Deadline | None:
    """CPC art. 1416: a month from service to the person; else a month from the first measure making the debtor's
    goods unavailable (None: still open, no such measure yet)."""
    if track.served_to_person is not False:
        return suspension_end(track, rules)
    if track.enforcement_measure_on is None:
        return None
    return deadline(add_months(track.enforcement_measure_on, rules.opposition_months))


def small_claims_answer_end(track: Track, rules: CollectionRules) -> Deadline:
    """CPCE R125-1 s.: the debtor has one month to accept the small-claims procedure; silence refuses it."""
    return deadline(add_months(track.on_stage(Stage.STARTED), rules.small_claims_answer_months))


def certificate_earliest(track: Track, rules: CollectionRules) -> Deadline:
    """Code monétaire et financier L131-73: unpaid 30 days after the first presentation, a certificate is issued."""
    return deadline(track.on_stage(Stage.BOUNCED) + timedelta(days=rules.cheque_no_funds_days))


def cheque_payment_end(track: Track, rules: CollectionRules) -> Deadline:
    """L131-73: 15 days from the certificate's service to pay, then the title."""
    return deadline(track.on_stage(Stage.CERTIFICATE_SERVED) + timedelta(days=rules.cheque_payment_days))


def online_recovery_end(track: Track, rules: CollectionRules) -> date:
    """The commissaire de justice works the handed-over invoices for 60 days."""
    return track.on_stage(Stage.HANDED_OVER) + timedelta(days=rules.online_recovery_days)


def stage_as_of(track: Track, on: date, rules: CollectionRules) -> Stage | None:
    """The stage on a day: an order not served in time lapses, one unopposed in time is a title; silence refuses
    a small claim; an online recovery with no outcome in its window failed."""
    if track.route == IP and track.stage == Stage.ORDER_GRANTED:
        return Stage.LAPSED if on > service_deadline(track, rules).due else track.stage
    if track.route == IP and track.stage == Stage.ORDER_SERVED:
        window = opposition_end(track, rules)
        # CPC art. 1422: unopposed in time, the order (issued with the executory formula) is a title.
        return Stage.ENFORCEABLE_TITLE if window is not None and on > window.due else track.stage
    if track.route == SMALL and track.stage == Stage.STARTED:
        return Stage.REFUSED if on > small_claims_answer_end(track, rules).due else track.stage
    if track.route == ONLINE and track.stage == Stage.HANDED_OVER:
        return Stage.FAILED if on > online_recovery_end(track, rules) else track.stage
    return track.stage


def as_of(track: Track, on: date, rules: CollectionRules) -> Track:
    """The track on a day: an order unopposed in time became a title; a route that lapsed, failed or was refused by
    silence is over and counts as tried."""
    stage = stage_as_of(track, on, rules)
    if track.route == IP and track.stage == Stage.ORDER_SERVED and stage == Stage.ENFORCEABLE_TITLE:
        window = opposition_end(track, rules)
        assert window is not None
        titled_on = window.due + timedelta(days=1)
        return replace(track, stage=stage, reached=(*track.reached, (stage, titled_on)), title=(IP, titled_on))
    if track.route is None or stage not in ENDED:
        return track
    assert stage is not None
    return replace(track, tried=(*track.tried, (track.route, stage)), route=None, stage=None, reached=())


def running(track: Track, on: date, rules: CollectionRules) -> bool:
    stage = stage_as_of(track, on, rules)
    return track.route is not None and stage is not None and stage not in ENDED and stage != Stage.ENFORCEABLE_TITLE


def period_ends_after(track: Track, on: date, rules: CollectionRules) -> date | None:
    """The first day after `on` on which time alone changes the track or its next step (a period has ended);
    None when no period runs. Every day from `on` until then, the next step is the one of `on`."""
    track = as_of(track, on, rules)
    ends: list[date] = []
    if track.notice_period_end is not None:
        ends.append(track.notice_period_end)
    if track.route == IP and track.stage == Stage.ORDER_GRANTED:
        ends.append(service_deadline(track, rules).due)
    if track.route == IP and track.stage == Stage.ORDER_SERVED:
        window = opposition_end(track, rules)
        ends.append((window or suspension_end(track, rules)).due)
    if track.route == SMALL and track.stage == Stage.STARTED:
        ends.append(small_claims_answer_end(track, rules).due)
    if track.route == ONLINE and track.stage == Stage.HANDED_OVER:
        ends.append(online_recovery_end(track, rules))
    after = [end + timedelta(days=1) for end in ends if end >= on]
    return min(after, default=None)


def reached_by(track: Track, kind: ActionKind) -> tuple[Route, Stage] | None:
    """The route and stage a court step leads to from this track; None for a fact outside the routes."""
    if kind not in STEPS:
        return None
    routes, after, target = STEPS[kind]
    route = next(iter(routes)) if None in after else track.route
    assert route is not None
    return route, target


def apply(track: Track, action: Action, *, facts: CaseFacts, rules: CollectionRules, by_insurer: bool) -> Track:
    """The track after this action, or the rule it breaks."""
    check(track, action, facts=facts, rules=rules, by_insurer=by_insurer)
    return advance(track, action, rules=rules)


def check(track: Track, action: Action, *, facts: CaseFacts, rules: CollectionRules, by_insurer: bool) -> None:
    """Refuse an action that breaks a rule of its route, with that rule's code."""
    kind, on = action.kind, action.on
    if on > facts.today:
        raise ActionInFuture(f"{kind} is dated {on}, after today ({facts.today}).")
    if facts.suspended and kind not in ALLOWED_WHEN_SUSPENDED:
        raise CollectionSuspended(
            "A collective procedure is open: individual actions are stayed; the créance must be declared.",
            creance_deadline=facts.creance_deadline.isoformat() if facts.creance_deadline else None,
        )
    _check_handover(track, action, by_insurer=by_insurer)
    if kind == ActionKind.DISPUTE_SETTLED:
        _check_settlement(track, on=on, by_insurer=by_insurer)
    if kind == ActionKind.LEGACY_EXECUTORY_FORMULA:
        raise ActionOutOfOrder("Since 1 March 2022 the order carries the executory formula when it is issued.")
    dated = as_of(track, on, rules)
    if kind == ActionKind.ENFORCEMENT_MEASURE:
        _check_enforcement(track, dated, on=on, rules=rules)
    if kind not in STEPS:
        return
    routes, after, _ = STEPS[kind]
    # An opposition is refused by its own rule (out of time) rather than by the title its lateness made.
    title = track.title if kind == ActionKind.INJONCTION_OPPOSED else dated.title
    if title is not None:
        raise TitleAlreadyObtained(f"An enforceable title was obtained on {title[1]} ({title[0]}).")
    if None in after:
        if running(track, on, rules):
            raise RouteInProgress(f"The {track.route} route is at {track.stage}.", route=track.route, stage=track.stage)
    else:
        stage = stage_as_of(track, on, rules)
        if track.route not in routes or stage not in after:
            _refuse_out_of_order(track, kind, on, stage, rules)
        if track.last_on is not None and on < track.last_on:
            raise ActionBeforePreviousStep(f"The previous step is dated {track.last_on}.")
    _check_dates(replace(track, documents=track.documents | action.documents), action, facts=facts, rules=rules)


def _check_handover(track: Track, action: Action, *, by_insurer: bool) -> None:
    kind, on = action.kind, action.on
    if kind == ActionKind.HANDOVER_ACCEPTED and not by_insurer:
        raise HandoverAcceptedByInsurer()
    if track.handover_accepted_on is not None and not by_insurer and kind not in INSURED_AFTER_HANDOVER:
        raise CollectionHandedOver(f"The insurer took collection over on {track.handover_accepted_on}.")
    if kind == ActionKind.HANDOVER_REQUESTED and track.handover_requested_on is not None:
        raise ActionOutOfOrder(f"Handover was already asked on {track.handover_requested_on}.")
    if kind == ActionKind.HANDOVER_ACCEPTED:
        if track.handover_requested_on is None:
            raise HandoverNotRequested()
        if track.handover_accepted_on is not None:
            raise ActionOutOfOrder(f"Handover was already accepted on {track.handover_accepted_on}.")
        if on < track.handover_requested_on:
            raise ActionBeforePreviousStep(f"Handover was asked on {track.handover_requested_on}.")


def _check_settlement(track: Track, *, on: date, by_insurer: bool) -> None:
    """A settlement ends a dispute on record, after it; the insurer, who pays, records it."""
    if not track.contested or track.disputed_on is None:
        raise NoDispute("No dispute is on record to settle.")
    if not by_insurer:
        raise SettlementRecordedByInsurer()
    if on < track.disputed_on:
        raise ActionBeforePreviousStep(f"The dispute was recorded on {track.disputed_on}.")


def _check_enforcement(track: Track, dated: Track, *, on: date, rules: CollectionRules) -> None:
    """A measure enforces a title, or an order served other than to the person once its first month is over."""
    if dated.title is not None:
        return
    if track.route == IP and track.stage == Stage.ORDER_SERVED and track.served_to_person is False:
        suspended_until = suspension_end(track, rules)
        if on <= suspended_until.due:
            raise EnforcementSuspended(
                f"The order cannot be enforced before {suspended_until.due + timedelta(days=1)} (CPC art. 1422).",
                until=suspended_until.due.isoformat(),
            )
        return
    raise ActionOutOfOrder("There is no enforceable title or order to enforce.")


def advance(track: Track, action: Action, *, rules: CollectionRules) -> Track:
    """The track moved on by an action already checked."""
    kind, on = action.kind, action.on
    track = replace(track, documents=track.documents | action.documents)
    if kind in STEPS:
        return _step(track, action, rules=rules)
    if kind == ActionKind.REMINDER:
        return replace(track, reminders=(*track.reminders, on))
    if kind == ActionKind.FORMAL_NOTICE:
        days = action.payment_period_days or rules.formal_notice_days
        return replace(track, notice_on=on, notice_period_end=on + timedelta(days=days))
    if kind == ActionKind.DISPUTE:
        return replace(track, contested=True, disputed_on=on)
    if kind == ActionKind.DISPUTE_SETTLED:
        return replace(track, contested=False)
    if kind == ActionKind.ENFORCEMENT_MEASURE and track.enforcement_measure_on is None:
        return replace(track, enforcement_measure_on=on)
    if kind == ActionKind.HANDOVER_REQUESTED:
        return replace(track, handover_requested_on=on)
    if kind == ActionKind.HANDOVER_ACCEPTED:
        return replace(track, handover_accepted_on=on)
    return track  # documents added, payment obtained, legacy formula: facts on the record, the route does not move


def _step(track: Track, action: Action, *, rules: CollectionRules) -> Track:
    kind, on = action.kind, action.on
    routes, after, target = STEPS[kind]
    target = action.outcome or target
    if None in after:
        if track.route is not None:  # the route before ended (refused, dismissed, lapsed or failed)
            track = as_of(track, on, rules)
            if track.route is not None:
                track = replace(track, tried=(*track.tried, (track.route, Stage.LAPSED)))
        track = replace(
            track, route=next(iter(routes)), reached=(), hearing_on=None, served_to_person=None,
            enforcement_measure_on=None,
        )  # fmt: skip
    route = track.route
    assert route is not None
    track = replace(
        track,
        stage=target,
        reached=(*track.reached, (target, on)),
        last_on=on,
        hearing_on=action.hearing_on if action.hearing_on is not None else track.hearing_on,
    )
    if kind == ActionKind.INJONCTION_SERVED:
        # Steps recorded before the 2022 reform say nothing of how the order was served: to the person, as then.
        track = replace(track, served_to_person=action.served_to_person is not False)
    if target == Stage.ENFORCEABLE_TITLE:
        return replace(track, title=(route, on))
    if target in ENDED:
        return replace(track, tried=(*track.tried, (route, target)), route=None, stage=None, reached=())
    return track


def _refuse_out_of_order(track: Track, kind: ActionKind, on: date, stage: Stage | None, rules: CollectionRules) -> None:
    if kind == ActionKind.INJONCTION_SERVED and stage == Stage.LAPSED:
        due = service_deadline(track, rules).due
        granted = track.on_stage(Stage.ORDER_GRANTED)
        raise OrderLapsed(f"The order of {granted} had to be served by {due} (CPC art. 1411).", due=due.isoformat())
    if kind == ActionKind.INJONCTION_OPPOSED and stage == Stage.ENFORCEABLE_TITLE:
        window = opposition_end(track, rules)
        assert window is not None
        raise OppositionOutOfTime(
            f"The debtor could oppose until {window.due} (CPC art. 1416).", window_end=window.due.isoformat()
        )
    if kind == ActionKind.SMALL_CLAIMS_AGREED and stage == Stage.REFUSED:
        raise AnswerOutOfTime(f"The debtor had until {small_claims_answer_end(track, rules).due} to accept.")
    where = f"the {track.route} route is at {stage}" if track.route else "no court route is running"
    raise ActionOutOfOrder(f"{kind} cannot follow: {where}.", route=track.route, stage=stage)


def _check_dates(track: Track, action: Action, *, facts: CaseFacts, rules: CollectionRules) -> None:
    kind, on = action.kind, action.on
    if kind == ActionKind.INJONCTION_REQUESTED:
        if track.contested:
            raise ClaimContested("The debtor disputes the claim.")
        if DocumentKind.INVOICE not in track.documents or not (
            track.documents & {DocumentKind.ORDER_FORM, DocumentKind.DELIVERY_NOTE}
        ):
            raise DocumentsMissing(
                f"Documents on file: {sorted(track.documents) or 'none'}.", needed=sorted(ip_documents_needed(track))
            )
    elif kind == ActionKind.ONLINE_RECOVERY_HANDED_OVER and DocumentKind.INVOICE not in track.documents:
        raise DocumentsMissing("The commissaire de justice works from the unpaid invoices.", needed=["invoice"])
    elif kind == ActionKind.SMALL_CLAIMS_STARTED:
        if facts.currency != rules.small_claims_currency or facts.unpaid > rules.small_claims_limit:
            raise SmallClaimOverLimit(
                f"{facts.unpaid:.2f} {facts.currency} is unpaid; the limit is "
                f"{rules.small_claims_limit:.2f} {rules.small_claims_currency}.",
                unpaid=f"{facts.unpaid:.2f}",
            )
    elif kind == ActionKind.CHEQUE_CERTIFICATE_ISSUED:
        earliest = certificate_earliest(track, rules).due
        if on < earliest:
            raise NoFundsPeriodRunning(f"Not before {earliest}.", earliest=earliest.isoformat())
    elif kind == ActionKind.CHEQUE_ENFORCEABLE:
        period_end = cheque_payment_end(track, rules).due
        if on <= period_end:
            raise PaymentPeriodRunning(f"The drawer may pay until {period_end}.", period_end=period_end.isoformat())


def ip_documents_needed(track: Track) -> set[str]:
    needed = set()
    if DocumentKind.INVOICE not in track.documents:
        needed.add(DocumentKind.INVOICE.value)
    if not track.documents & {DocumentKind.ORDER_FORM, DocumentKind.DELIVERY_NOTE}:
        needed.add(f"{DocumentKind.ORDER_FORM.value} or {DocumentKind.DELIVERY_NOTE.value}")
    return needed


def dispute_holds(track: Track, *, on: date, rules: CollectionRules) -> bool:
    """A disputed debt holds the indemnity until a title or a recorded settlement resolves the dispute."""
    return track.contested and as_of(track, on, rules).title is None


def fold(actions: list[Action], *, rules: CollectionRules) -> Track:
    """The track from its recorded actions (each was checked when it was recorded)."""
    track = Track()
    for action in actions:
        track = advance(track, action, rules=rules)
    return track
