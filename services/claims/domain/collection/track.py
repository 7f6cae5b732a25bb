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
    HandoverAcceptedByInsurer,
    HandoverNotRequested,
    NoFundsPeriodRunning,
    OppositionOutOfTime,
    OppositionWindowOpen,
    OrderLapsed,
    PaymentPeriodRunning,
    RouteInProgress,
    SmallClaimOverLimit,
    TitleAlreadyObtained,
)
from services.claims.domain.collection.terms import ENDED, ActionKind, CollectionRules, DocumentKind, Route, Stage
from services.kit.dates import add_months

# The court steps: the routes each applies to, the stages it may follow (None: no route running), where it leads.
IP, REFERE, ASSIGN = Route.INJONCTION_DE_PAYER, Route.REFERE_PROVISION, Route.ASSIGNATION
SMALL, CHEQUE = Route.SMALL_CLAIMS, Route.BOUNCED_CHEQUE
_STEP_ROWS: list[tuple[ActionKind, set[Route], set[Stage | None], Stage]] = [
    (ActionKind.INJONCTION_REQUESTED, {IP}, {None}, Stage.REQUESTED),
    (ActionKind.INJONCTION_GRANTED, {IP}, {Stage.REQUESTED}, Stage.ORDER_GRANTED),
    (ActionKind.INJONCTION_REFUSED, {IP}, {Stage.REQUESTED}, Stage.ORDER_REFUSED),
    (ActionKind.INJONCTION_SERVED, {IP}, {Stage.ORDER_GRANTED}, Stage.ORDER_SERVED),
    (ActionKind.INJONCTION_OPPOSED, {IP}, {Stage.ORDER_SERVED}, Stage.OPPOSED),
    (ActionKind.INJONCTION_ENFORCEABLE, {IP}, {Stage.ORDER_SERVED}, Stage.ENFORCEABLE_TITLE),
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
]
STEPS = {kind: (frozenset(routes), frozenset(after), target) for kind, routes, after, target in _STEP_ROWS}

# What an individual creditor may still do once a collective procedure stays individual actions.
ALLOWED_WHEN_SUSPENDED = frozenset({ActionKind.HANDOVER_REQUESTED, ActionKind.HANDOVER_ACCEPTED, ActionKind.DISPUTE})
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


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the claim tells the track: the day, what is owed, whether a procedure stays collection."""

    today: date
    declared_on: date
    unpaid: Decimal
    currency: str
    suspended: bool = False
    creance_deadline: date | None = None
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
    documents: frozenset[DocumentKind] = frozenset()
    tried: tuple[tuple[Route, Stage], ...] = ()
    title: tuple[Route, date] | None = None
    handover_requested_on: date | None = None
    handover_accepted_on: date | None = None

    def on_stage(self, stage: Stage) -> date:
        return next(day for reached, day in reversed(self.reached) if reached == stage)


def stage_as_of(track: Track, on: date, rules: CollectionRules) -> Stage | None:
    """The stage on a day: an order not served or not made enforceable in time lapses; silence refuses a small claim."""
    if track.route == Route.INJONCTION_DE_PAYER and track.stage == Stage.ORDER_GRANTED:
        service_end = add_months(track.on_stage(Stage.ORDER_GRANTED), rules.order_service_months)
        return Stage.LAPSED if on > service_end else track.stage
    if track.route == Route.INJONCTION_DE_PAYER and track.stage == Stage.ORDER_SERVED:
        window_end = add_months(track.on_stage(Stage.ORDER_SERVED), rules.opposition_months)
        return Stage.LAPSED if on > add_months(window_end, rules.enforceable_request_months) else track.stage
    if track.route == Route.SMALL_CLAIMS and track.stage == Stage.STARTED:
        return Stage.REFUSED if on > small_claims_answer_end(track, rules) else track.stage
    return track.stage


def as_of(track: Track, on: date, rules: CollectionRules) -> Track:
    """The track on a day: a route that lapsed or was refused by silence is over and counts as tried."""
    stage = stage_as_of(track, on, rules)
    if track.route is None or stage not in ENDED:
        return track
    assert stage is not None
    return replace(track, tried=(*track.tried, (track.route, stage)), route=None, stage=None, reached=())


def running(track: Track, on: date, rules: CollectionRules) -> bool:
    stage = stage_as_of(track, on, rules)
    return track.route is not None and stage is not None and stage not in ENDED and stage != Stage.ENFORCEABLE_TITLE


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
    if kind not in STEPS:
        return
    routes, after, _ = STEPS[kind]
    if track.title is not None:
        raise TitleAlreadyObtained(f"An enforceable title was obtained on {track.title[1]} ({track.title[0]}).")
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
        return replace(track, contested=True)
    if kind == ActionKind.HANDOVER_REQUESTED:
        return replace(track, handover_requested_on=on)
    if kind == ActionKind.HANDOVER_ACCEPTED:
        return replace(track, handover_accepted_on=on)
    return track  # documents added, payment obtained: facts on the record, the route does not move


def _step(track: Track, action: Action, *, rules: CollectionRules) -> Track:
    kind, on = action.kind, action.on
    routes, after, target = STEPS[kind]
    if None in after:
        if track.route is not None:  # the route before ended (refused, dismissed or lapsed)
            ended = stage_as_of(track, on, rules) or Stage.LAPSED
            track = replace(track, tried=(*track.tried, (track.route, ended)))
        track = replace(track, route=next(iter(routes)), reached=(), hearing_on=None)
    route = track.route
    assert route is not None
    track = replace(
        track,
        stage=target,
        reached=(*track.reached, (target, on)),
        last_on=on,
        hearing_on=action.hearing_on if action.hearing_on is not None else track.hearing_on,
    )
    if target == Stage.ENFORCEABLE_TITLE:
        return replace(track, title=(route, on))
    if target in ENDED:
        return replace(track, tried=(*track.tried, (route, target)), route=None, stage=None, reached=())
    return track


def _refuse_out_of_order(track: Track, kind: ActionKind, on: date, stage: Stage | None, rules: CollectionRules) -> None:
    if kind == ActionKind.INJONCTION_SERVED and stage == Stage.LAPSED:
        granted = track.on_stage(Stage.ORDER_GRANTED)
        raise OrderLapsed(
            f"The order of {granted} had to be served by {add_months(granted, rules.order_service_months)}."
        )
    if kind == ActionKind.INJONCTION_ENFORCEABLE and stage == Stage.LAPSED:
        window_end = add_months(track.on_stage(Stage.ORDER_SERVED), rules.opposition_months)
        raise OrderLapsed(
            f"The executory formula had to be asked by {add_months(window_end, rules.enforceable_request_months)}."
        )
    if kind == ActionKind.SMALL_CLAIMS_AGREED and stage == Stage.REFUSED:
        raise AnswerOutOfTime(f"The debtor had until {small_claims_answer_end(track, rules)} to accept.")
    where = f"the {track.route} route is at {stage}" if track.route else "no court route is running"
    raise ActionOutOfOrder(f"{kind} cannot follow: {where}.", route=track.route, stage=stage)


def small_claims_answer_end(track: Track, rules: CollectionRules) -> date:
    return add_months(track.on_stage(Stage.STARTED), rules.small_claims_answer_months)


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
    elif kind == ActionKind.INJONCTION_OPPOSED:
        window_end = add_months(track.on_stage(Stage.ORDER_SERVED), rules.opposition_months)
        if on > window_end:
            raise OppositionOutOfTime(f"The debtor could oppose until {window_end}.", window_end=window_end.isoformat())
    elif kind == ActionKind.INJONCTION_ENFORCEABLE:
        window_end = add_months(track.on_stage(Stage.ORDER_SERVED), rules.opposition_months)
        if on <= window_end:
            raise OppositionWindowOpen(f"The debtor may oppose until {window_end}.", window_end=window_end.isoformat())
    elif kind == ActionKind.SMALL_CLAIMS_STARTED:
        if facts.currency != rules.small_claims_currency or facts.unpaid > rules.small_claims_limit:
            raise SmallClaimOverLimit(
                f"{facts.unpaid:.2f} {facts.currency} is unpaid; the limit is "
                f"{rules.small_claims_limit:.2f} {rules.small_claims_currency}.",
                unpaid=f"{facts.unpaid:.2f}",
            )
    elif kind == ActionKind.CHEQUE_CERTIFICATE_ISSUED:
        earliest = track.on_stage(Stage.BOUNCED) + timedelta(days=rules.cheque_no_funds_days)
        if on < earliest:
            raise NoFundsPeriodRunning(f"Not before {earliest}.", earliest=earliest.isoformat())
    elif kind == ActionKind.CHEQUE_ENFORCEABLE:
        period_end = track.on_stage(Stage.CERTIFICATE_SERVED) + timedelta(days=rules.cheque_payment_days)
        if on <= period_end:
            raise PaymentPeriodRunning(f"The drawer may pay until {period_end}.", period_end=period_end.isoformat())


def ip_documents_needed(track: Track) -> set[str]:
    needed = set()
    if DocumentKind.INVOICE not in track.documents:
        needed.add(DocumentKind.INVOICE.value)
    if not track.documents & {DocumentKind.ORDER_FORM, DocumentKind.DELIVERY_NOTE}:
        needed.add(f"{DocumentKind.ORDER_FORM.value} or {DocumentKind.DELIVERY_NOTE.value}")
    return needed


def fold(actions: list[Action], *, rules: CollectionRules) -> Track:
    """The track from its recorded actions (each was checked when it was recorded)."""
    track = Track()
    for action in actions:
        track = advance(track, action, rules=rules)
    return track
