"""The créance on a claim: the procedure that calls for it, its filing, its forclusion and the relief from it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.claims.adapters.repository import ClaimRepository, ClaimsUnitOfWork
from services.claims.adapters.tables import Claim
from services.claims.domain.claim import Actor
from services.claims.domain.creance import check_filing, check_relief, deadline_detail, relief_filing_deadline
from services.claims.domain.declaration import ProcedureFacts, creance_of, procedure_facts
from services.claims.domain.status import ClaimStatus
from services.claims.service_layer.queries import ClaimView, view_of
from services.kit.dates import Deadline, not_after_today
from services.kit.dependencies import Call, expected_version
from services.kit.errors import InvalidInput


def set_creance_deadline(claim: Claim, deadline: Deadline | None, procedure: ProcedureFacts) -> None:
    """The deadline an opening sets; what a former procedure's deadline led to (a miss, a relief) goes with it."""
    claim.creance_deadline = deadline.due if deadline else None
    claim.creance_deadline_legal = deadline.legal if deadline else None
    claim.court_seat = procedure.court_seat
    claim.creance_missed_on = None
    claim.forclusion_relief_on = claim.relief_notified_on = None
    claim.relief_deadline = claim.relief_deadline_legal = None


def loss_established(repo: ClaimRepository, claim: Claim, *, actor: Actor, at: datetime) -> None:
    """A créance declared in time in an RJ or LJ establishes the insolvency loss."""
    claim.loss_ground = "insolvency"
    repo.add(claim.move(ClaimStatus.INDEMNIFIABLE, kind="loss_established", actor=actor, at=at, ground="insolvency"))


async def file_creance(
    uow: ClaimsUnitOfWork,
    *,
    claim_id: uuid.UUID,
    filed_on: date,
    amount: Decimal,
    court_officer: str,
    call: Call,
) -> ClaimView:
    """The déclaration de créance to the court officer, under any procedure; in an RJ or LJ it establishes the loss."""
    principal, actor, now, if_match = call.principal, Actor.of(call), call.now, call.if_match
    not_after_today(filed_on, today=now.date(), field="filed_on")
    async with uow:
        repo = uow.claims
        claim = await repo.readable_claim(claim_id, principal)
        expected_version(if_match, current=claim.version)
        check_filing(claim.creance(), filed_on=filed_on)
        claim.creance_filed_on, claim.creance_amount, claim.court_officer = filed_on, amount, court_officer
        # A sauvegarde does not establish the loss: the filing is kept for a later conversion to RJ or LJ.
        establishes = ClaimStatus(claim.status) in {ClaimStatus.INSOLVENCY, ClaimStatus.FORFEITED}
        repo.add(
            claim.record(
                kind="creance_filed",
                actor=actor,
                at=now,
                filed_on=filed_on.isoformat(),
                amount=f"{amount:.2f}",
                court_officer=court_officer,
                after_relief=claim.relief_deadline is not None,
                establishes_loss=establishes,
            )
        )
        if establishes:
            loss_established(repo, claim, actor=actor, at=now)
        view = await view_of(repo, claim)
        await uow.commit()
    return view


async def record_relief(
    uow: ClaimsUnitOfWork,
    *,
    claim_id: uuid.UUID,
    requested_on: date,
    granted_on: date,
    notified_on: date,
    call: Call,
) -> ClaimView:
    """The court lifted the forclusion: a new, halved deadline to file, counted from its notification. No move."""
    principal, actor, now, if_match = call.principal, Actor.of(call), call.now, call.if_match
    today = now.date()
    for name, day in (("requested_on", requested_on), ("granted_on", granted_on), ("notified_on", notified_on)):
        not_after_today(day, today=today, field=name)
    if not requested_on <= granted_on <= notified_on:
        raise InvalidInput(
            "A relevé de forclusion is asked, then granted, then notified.", code="RELIEF_DATES_OUT_OF_ORDER"
        )
    async with uow:
        repo = uow.claims
        claim = await repo.readable_claim(claim_id, principal)
        expected_version(if_match, current=claim.version)
        check_relief(claim.creance(), requested_on=requested_on)
        new = relief_filing_deadline(notified_on, court_seat=claim.court_seat, creditor=claim.creditor_territory)
        claim.forclusion_relief_on, claim.relief_notified_on = granted_on, notified_on
        claim.relief_deadline, claim.relief_deadline_legal = new.due, new.legal
        claim.creance_missed_on = None
        repo.add(
            claim.record(
                kind="forclusion_relief",
                actor=actor,
                at=now,
                requested_on=requested_on.isoformat(),
                granted_on=granted_on.isoformat(),
                notified_on=notified_on.isoformat(),
                **deadline_detail(new, name="creance_due"),
            )
        )
        view = await view_of(repo, claim)
        await uow.commit()
    return view


# Claims a debtor's procedure still acts on, or notes.
LIVE = (ClaimStatus.OPEN, ClaimStatus.INSOLVENCY, ClaimStatus.INDEMNIFIABLE, ClaimStatus.FORFEITED)


async def apply_procedure(
    repo: ClaimRepository, *, debtor_id: uuid.UUID, state: dict[str, Any], actor: Actor, at: datetime
) -> int:
    """A debtor's procedure changed: RJ/LJ puts its open claims into insolvency, a sauvegarde freezes them;
    both call for the créance (Code de commerce L622-24)."""
    claims = await repo.live_claims_of_debtor(debtor_id, statuses=LIVE)
    procedure = procedure_facts(state)
    for claim in claims:
        before = procedure_facts(claim.procedure_snapshot or {})
        claim.procedure_snapshot = dict(state)
        if ClaimStatus(claim.status) in {ClaimStatus.INDEMNIFIABLE, ClaimStatus.FORFEITED}:
            # The loss is established or forfeited already: the procedure is noted, the claim does not move.
            repo.add(claim.record(kind="procedure_changed", actor=actor, at=at, procedure=procedure.procedure))
            continue
        _apply_to(repo, claim, procedure, before=before, actor=actor, at=at)
    return len(claims)


def _apply_to(
    repo: ClaimRepository,
    claim: Claim,
    procedure: ProcedureFacts,
    *,
    before: ProcedureFacts,
    actor: Actor,
    at: datetime,
) -> None:
    was_frozen = claim.frozen
    deadline = _creance_deadline(claim, procedure, before=before)
    detail = {"procedure": procedure.procedure, **deadline_detail(deadline)}
    if procedure.open and procedure.insolvent:
        claim.frozen = False
        if claim.status == ClaimStatus.OPEN:
            repo.add(
                claim.move(
                    ClaimStatus.INSOLVENCY,
                    kind="insolvency",
                    actor=actor,
                    at=at,
                    opening_missing=procedure.opening_missing,
                    **detail,
                )
            )
            if not was_frozen:
                _collection_suspended(repo, claim, actor=actor, at=at, deadline=deadline)
            if claim.creance_filed_on is not None:  # declared in time under the sauvegarde: the loss is established
                loss_established(repo, claim, actor=actor, at=at)
        else:
            repo.add(claim.record(kind="procedure_changed", actor=actor, at=at, **detail))
    elif procedure.open:
        claim.frozen = True
        repo.add(claim.record(kind="frozen", actor=actor, at=at, **detail))
        if not was_frozen:
            _collection_suspended(repo, claim, actor=actor, at=at, deadline=deadline)
    elif procedure.procedure is None and claim.creance_filed_on is None:
        _set_aside(repo, claim, actor=actor, at=at)
    else:
        claim.frozen = False
        repo.add(claim.record(kind="procedure_closed", actor=actor, at=at, procedure=procedure.procedure))


def _set_aside(repo: ClaimRepository, claim: Claim, *, actor: Actor, at: datetime) -> None:
    """The judgment that opened the procedure was set aside on appeal: there was no procedure, no créance due."""
    claim.frozen = False
    set_creance_deadline(claim, None, procedure_facts({}))
    if claim.status == ClaimStatus.INSOLVENCY:
        repo.add(claim.move(ClaimStatus.OPEN, kind="procedure_set_aside", actor=actor, at=at))
    else:
        repo.add(claim.record(kind="procedure_set_aside", actor=actor, at=at))


def _creance_deadline(claim: Claim, procedure: ProcedureFacts, *, before: ProcedureFacts) -> Deadline | None:
    """The deadline the opening set; a conversion keeps it, a new opening (another publication) sets its own."""
    if not procedure.open:
        return None
    new_opening = procedure.opening_publication_date != before.opening_publication_date
    if claim.creance_deadline is None or (
        new_opening and procedure.opening_publication_date and not claim.creance_filed_on
    ):
        deadline = creance_of(procedure, creditor=claim.creditor_territory)
        if deadline is not None or claim.creance_deadline is None:
            set_creance_deadline(claim, deadline, procedure)
        return deadline
    legal = claim.creance_deadline_legal or claim.creance_deadline
    return Deadline(legal=legal, due=claim.creance_deadline)


def _collection_suspended(
    repo: ClaimRepository, claim: Claim, *, actor: Actor, at: datetime, deadline: Deadline | None
) -> None:
    # Code de commerce L622-21: the opening stays every individual action; the créance is declared instead.
    repo.add(claim.record(kind="collection_suspended", actor=actor, at=at, **deadline_detail(deadline)))
