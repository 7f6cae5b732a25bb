"""Collection on a claim: record a step as a fact, and read the track with its next step."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.claims.adapters.repository import ClaimRepository, ClaimsUnitOfWork
from services.claims.adapters.tables import Claim, CollectionAction
from services.claims.domain.claim import Actor
from services.claims.domain.collection.next_step import (
    IndemnityHold,
    NextStep,
    TrackView,
    indemnity_hold,
    next_step,
    view,
)
from services.claims.domain.collection.terms import ActionKind, CollectionRules, DocumentKind, Stage
from services.claims.domain.collection.track import (
    Action,
    CaseFacts,
    Track,
    advance,
    as_of,
    check,
    dispute_holds,
    fold,
    period_ends_after,
    reached_by,
)
from services.claims.domain.errors import NotInCollection
from services.claims.domain.status import PRE_INDEMNITY, ClaimStatus
from services.claims.service_layer.lifecycle import apply_payment
from services.kit.auth import Principal
from services.kit.dependencies import Call
from services.kit.outbox import Outbox


@dataclass(frozen=True)
class ActionRecord:
    """A collection step as the caller states it."""

    kind: ActionKind
    done_on: date
    documents: list[dict[str, str]]
    note: str | None = None
    hearing_on: date | None = None
    payment_period_days: int | None = None
    method: str | None = None
    amount: Decimal | None = None
    served_to_person: bool | None = None


@dataclass(frozen=True)
class CollectionView:
    claim: Claim
    as_of: date
    track: TrackView
    actions: list[CollectionAction]


def rules_for(claim: Claim, settings_rules: dict[str, Any]) -> CollectionRules:
    """The default periods, changed by the service's settings, then by the policy's terms."""
    return CollectionRules().changed(settings_rules).changed(claim.terms.get("collection"))


# Facts that bring money in: they reduce the claim as any payment received.
PAYMENTS = frozenset({ActionKind.PAYMENT_OBTAINED, ActionKind.ONLINE_RECOVERY_PAID})


def action_of(row: CollectionAction) -> Action:
    """A recorded collection step, as the track reads it."""
    kind = ActionKind(row.kind)
    return Action(
        kind,
        row.done_on,
        documents=frozenset(DocumentKind(item["kind"]) for item in row.documents),
        hearing_on=row.hearing_on,
        payment_period_days=row.payment_period_days,
        served_to_person=row.served_to_person,
        outcome=Stage(row.stage) if kind == ActionKind.ONLINE_RECOVERY_PAID and row.stage else None,
    )


def facts_of(claim: Claim, *, unpaid: Decimal, today: date) -> CaseFacts:
    """What the claim tells its collection track on a day."""
    procedure = claim.procedure_snapshot or {}
    suspended = bool(procedure.get("open")) or claim.frozen or claim.status == ClaimStatus.INSOLVENCY
    return CaseFacts(
        today=today,
        declared_on=claim.declaration_date,
        unpaid=unpaid,
        currency=claim.currency,
        suspended=suspended,
        creance_deadline=claim.relief_deadline or claim.creance_deadline,
        creance_deadline_legal=claim.relief_deadline_legal if claim.relief_deadline else claim.creance_deadline_legal,
        creance_filed=claim.creance_filed_on is not None,
        in_collection=ClaimStatus(claim.status) in PRE_INDEMNITY,
    )


async def record_action(
    uow: ClaimsUnitOfWork,
    outbox: Outbox,
    *,
    claim_id: uuid.UUID,
    data: ActionRecord,
    settings_rules: dict[str, Any],
    call: Call,
) -> CollectionView:
    """Check the step against the claim's track and its route's rules, then keep it; a payment reduces the claim."""
    principal, actor, now = call.principal, Actor.of(call), call.now
    async with uow:
        repo = uow.claims
        claim = await repo.readable_claim(claim_id, principal)
        if ClaimStatus(claim.status) not in PRE_INDEMNITY:
            raise NotInCollection(f"The claim is {claim.status}.", current_status=claim.status)
        rules = rules_for(claim, settings_rules)
        rows = await repo.collection_actions([claim.id])
        row = _action_row(claim, data, actor=actor, now=now)
        before = fold([action_of(done) for done in rows], rules=rules)
        owing = (await repo.unpaid_by_claim([claim.id]))[claim.id]
        facts = facts_of(claim, unpaid=owing, today=now.date())
        if data.kind == ActionKind.ONLINE_RECOVERY_PAID:  # the outcome: paid in full, or in part
            row.stage = Stage.RECOVERED if data.amount is not None and data.amount >= owing else Stage.PAID_IN_PART
        action = action_of(row)
        check(before, action, facts=facts, rules=rules, by_insurer=principal.is_back_office)
        route, stage = reached_by(before, data.kind) or (None, None)
        row.route, row.stage = route, action.outcome or stage
        repo.add(row)
        repo.add(
            claim.record(
                kind="collection_action",
                actor=actor,
                at=now,
                action=data.kind.value,
                done_on=data.done_on.isoformat(),
                route=route,
                stage=stage,
                documents=data.documents,
            )
        )
        after = advance(before, action, rules=rules)
        _dispute_hold_changes(repo, claim, before, after, rules=rules, actor=actor, now=now)
        if data.kind in PAYMENTS and data.amount is not None:
            through = "collection" if data.kind == ActionKind.PAYMENT_OBTAINED else "online_recovery"
            await apply_payment(
                repo, outbox, claim, amount=data.amount, received_on=data.done_on, actor=actor, now=now, through=through
            )
            owing -= data.amount
        await uow.commit()
    return _view(claim, [*rows, row], unpaid=owing, rules=rules, today=now.date())


def _action_row(claim: Claim, data: ActionRecord, *, actor: Actor, now: datetime) -> CollectionAction:
    return CollectionAction(
        claim_id=claim.id,
        kind=data.kind,
        done_on=data.done_on,
        hearing_on=data.hearing_on,
        payment_period_days=data.payment_period_days,
        served_to_person=data.served_to_person,
        method=data.method,
        amount=data.amount,
        documents=data.documents,
        note=data.note,
        recorded_at=now,
        recorded_by=actor.name,
        source=actor.source,
    )


def _dispute_hold_changes(
    repo: ClaimRepository,
    claim: Claim,
    before: Track,
    after: Track,
    *,
    rules: CollectionRules,
    actor: Actor,
    now: datetime,
) -> None:
    """A dispute holds the indemnity; a title or a settlement that resolves it lifts the hold: both on the timeline."""
    today = now.date()
    held_before, held_after = before.contested and before.title is None, after.contested and after.title is None
    if held_after and not held_before:
        repo.add(claim.record(kind="indemnity_held", actor=actor, at=now, reason="dispute", code="CLAIM_CONTESTED"))
    elif held_before and not dispute_holds(after, on=today, rules=rules):
        resolved_by = "title" if as_of(after, today, rules).title is not None else "settlement"
        repo.add(claim.record(kind="indemnity_hold_lifted", actor=actor, at=now, resolved_by=resolved_by))


def _view(
    claim: Claim, rows: list[CollectionAction], *, unpaid: Decimal, rules: CollectionRules, today: date
) -> CollectionView:
    track = fold([action_of(row) for row in rows], rules=rules)
    facts = facts_of(claim, unpaid=unpaid, today=today)
    return CollectionView(claim=claim, as_of=today, track=view(track, facts=facts, rules=rules), actions=rows)


async def collection_of(
    uow: ClaimsUnitOfWork, *, claim_id: uuid.UUID, settings_rules: dict[str, Any], principal: Principal, today: date
) -> CollectionView:
    """The claim's collection track as of today: what was done, where it stands, what comes next and by when."""
    async with uow:
        repo = uow.claims
        claim = await repo.readable_claim(claim_id, principal, for_update=False)
        rows = await repo.collection_actions([claim.id])
        owing = (await repo.unpaid_by_claim([claim.id]))[claim.id]
    return _view(claim, rows, unpaid=owing, rules=rules_for(claim, settings_rules), today=today)


def duty_terms(claim: Claim) -> tuple[bool, bool]:
    """(required, moot): whether the policy asks for collection duties, and whether a procedure makes them moot."""
    procedure = claim.procedure_snapshot or {}
    moot = claim.loss_ground == "insolvency" or bool(procedure.get("open")) or claim.frozen
    # A claim declared before the term existed was declared without it: no duty is imposed after the fact.
    return bool(claim.terms.get("collection_duties_required", False)), moot


def hold_of(claim: Claim, track: Track, *, rules: CollectionRules, today: date) -> IndemnityHold | None:
    """What holds the claim's indemnity back today, if anything."""
    required, moot = duty_terms(claim)
    return indemnity_hold(track, on=today, rules=rules, duties_required=required, moot=moot)


@dataclass(frozen=True)
class StepToday:
    """A claim's next collection step today, what holds its indemnity back, and the first day time alone may
    change either (None: never)."""

    step: NextStep | None
    suspended: bool
    until: date | None
    hold: IndemnityHold | None = None


async def next_steps(
    repo: ClaimRepository, claims: list[Claim], *, settings_rules: dict[str, Any], today: date
) -> dict[uuid.UUID, StepToday]:
    """Each claim's next collection step today, whether a collective procedure stays collection, and until when."""
    ids = [claim.id for claim in claims]
    unpaid_of = await repo.unpaid_by_claim(ids)
    actions: dict[uuid.UUID, list[Action]] = {}
    for row in await repo.collection_actions(ids):
        actions.setdefault(row.claim_id, []).append(action_of(row))
    steps = {}
    for claim in claims:
        rules = rules_for(claim, settings_rules)
        facts = facts_of(claim, unpaid=unpaid_of.get(claim.id, Decimal(0)), today=today)
        track = fold(actions.get(claim.id, []), rules=rules)
        step = next_step(track, facts=facts, rules=rules)
        hold = hold_of(claim, track, rules=rules, today=today)
        steps[claim.id] = StepToday(step, facts.suspended, period_ends_after(track, today, rules), hold)
    return steps
