"""The worklist: each waiting claim's next actions, rewritten by the transaction that changes the claim, read a
page at a time in the order of their deadlines."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from services.claims.adapters.repository import CHANGED, ClaimsUnitOfWork
from services.claims.adapters.tables import Claim, WorkBasis, WorkItem
from services.claims.domain.status import ClaimStatus
from services.claims.domain.worklist import claim_action
from services.claims.service_layer import collection
from services.kit.clock import Clock
from services.kit.errors import AlreadyExists, InvalidInput
from services.kit.pagination import Page, PageRequest, page_of

log = logging.getLogger("credit_claims.claims")

WAITING = frozenset({ClaimStatus.OPEN, ClaimStatus.INSOLVENCY, ClaimStatus.INDEMNIFIABLE, ClaimStatus.FORFEITED})
KINDS = ("claim", "collection")
UNKNOWN_DUE = date.min  # an action with no known deadline is listed before every other
EVERY_DAY = date.min  # the rows of a claim that waits for nothing hold whatever the day
BATCH = 200


@dataclass(frozen=True)
class Basis:
    """What the worklist is worked out with: the business clock and the service's collection settings."""

    clock: Clock
    collection_rules: dict[str, Any]

    @property
    def digest(self) -> str:
        settings = json.dumps(self.collection_rules, sort_keys=True, default=str)
        return hashlib.sha256(settings.encode()).hexdigest()


def kept_in_step(basis: Basis) -> Callable[[ClaimsUnitOfWork], Awaitable[None]]:
    """The hook that rewrites, before the transaction commits, the rows of every claim it changed."""

    async def hook(uow: ClaimsUnitOfWork) -> None:
        changed = uow.session.info.pop(CHANGED, None)
        if changed:
            await rewrite(uow, sorted(changed), today=basis.clock.today(), rules=basis.collection_rules)

    return hook


def rows_of(
    claim: Claim, step: collection.StepToday | None, *, indemnifiable_since: date | None
) -> list[dict[str, Any]]:
    """The claim's worklist rows: its own pending action, and its collection step when one falls due."""
    about = {
        "claim_id": claim.id,
        "status": claim.status,
        "insured_id": claim.insured_id,
        "policy_id": claim.policy_id,
        "debtor_id": claim.debtor_id,
    }
    rows = []
    found = claim_action(
        creance=claim.creance(),
        frozen=claim.frozen,
        missed=claim.creance_missed_on is not None,
        creance_due_legal=claim.creance_deadline_legal,
        waiting_period_end=claim.waiting_period_end,
        indemnifiable_since=indemnifiable_since or claim.updated_at.date(),
        indemnity_held=step.hold if step is not None else None,
    )
    if found is not None:
        rows.append({**about, "kind": "claim", **_action(found.action, found.due, found.due_legal, found.detail)})
    # Under a procedure the créance is the work, already listed above; a step with no date is not a deadline.
    if step is not None and step.step is not None and not step.suspended and step.step.due is not None:
        action = f"collection:{step.step.action}"
        rows.append(
            {**about, "kind": "collection", **_action(action, step.step.due, step.step.due_legal, step.step.detail)}
        )
    return rows


def _action(action: str, due: date | None, due_legal: date | None, detail: str) -> dict[str, Any]:
    return {"action": action, "due": due, "due_legal": due_legal, "detail": detail, "sort_due": due or UNKNOWN_DUE}


async def rewrite(uow: ClaimsUnitOfWork, claim_ids: Sequence[uuid.UUID], *, today: date, rules: dict[str, Any]) -> None:
    """Work the rows of these claims out again as of today, in place of their old ones."""
    repo = uow.claims
    claims = await repo.claims_as_stored(claim_ids)
    waiting = [claim for claim in claims if claim.status in WAITING]
    steps = await collection.next_steps(repo, waiting, settings_rules=rules, today=today) if waiting else {}
    to_pay = [claim.id for claim in waiting if claim.status == ClaimStatus.INDEMNIFIABLE]
    since = await repo.indemnifiable_since(to_pay) if to_pay else {}
    rows = [
        row for claim in waiting for row in rows_of(claim, steps.get(claim.id), indemnifiable_since=since.get(claim.id))
    ]
    await repo.replace_work_items(claim_ids, rows)
    for claim in claims:
        step = steps.get(claim.id)
        claim.work_as_of = today if claim.status in WAITING else EVERY_DAY
        claim.work_recheck_on = step.until if step is not None else None


async def catch_up(uow: ClaimsUnitOfWork, *, today: date, rules: dict[str, Any]) -> int:
    """Rewrite the rows of every claim behind today, a batch per transaction; how many were rewritten."""
    done, after = 0, None
    while True:
        async with uow:
            ids = await uow.claims.behind(today, after=after, limit=BATCH)
            if not ids:
                return done
            await rewrite(uow, ids, today=today, rules=rules)
            await uow.commit()
        done, after = done + len(ids), ids[-1]


async def adopt(uow: ClaimsUnitOfWork, basis: Basis) -> bool:
    """Take the service's collection settings as the worklist's basis; other settings than last time redo every
    claim's rows. Whether they were other."""
    async with uow:
        repo = uow.claims
        known = await repo.work_basis("collection_rules")
        if known is not None and known.digest == basis.digest:
            return False
        await repo.work_out_again()
        if known is None:
            repo.add(WorkBasis(name="collection_rules", digest=basis.digest))
        else:
            known.digest = basis.digest
        try:
            await uow.commit()
        except AlreadyExists:
            return False  # another replica took the same settings first
    return True


def adopted(basis_of: Callable[[Any], Basis]) -> Callable[[Any], Awaitable[None]]:
    """The start-up step: the service's collection settings become the worklist's basis before any read."""

    async def step(app: Any) -> None:
        if await adopt(ClaimsUnitOfWork(app.state.db), basis_of(app)):
            log.info("worklist: other collection settings than last time; every claim's rows are worked out again")

    return step


def kept_current(basis_of: Callable[[Any], Basis], every_seconds: float) -> Callable[[Any], Awaitable[None]]:
    """The background job: work out the claims behind today, from the start and as the days pass."""

    async def job(app: Any) -> None:
        basis = basis_of(app)
        while True:
            try:
                rewritten = await catch_up(
                    ClaimsUnitOfWork(app.state.db), today=basis.clock.today(), rules=basis.collection_rules
                )
                if rewritten:
                    log.info("worklist: %d claim(s) worked out again", rewritten)
            except Exception:
                log.exception("worklist: catching up failed; the next read or run catches up")
            await asyncio.sleep(every_seconds)

    return job


def _after(page: PageRequest) -> tuple[date, uuid.UUID, str] | None:
    """Where a page of the worklist starts; a cursor this API did not give is 422."""
    if page.after is None:
        return None
    try:
        due, claim_id, kind = page.after
        if kind not in KINDS or not isinstance(due, str) or not isinstance(claim_id, str):
            raise ValueError(kind)
        return date.fromisoformat(due), uuid.UUID(claim_id), kind
    except ValueError as exc:
        raise InvalidInput("The cursor is not one this API gave.", code="INVALID_CURSOR") from exc


async def page(
    reader: ClaimsUnitOfWork,
    writer: ClaimsUnitOfWork,
    *,
    basis: Basis,
    within_days: int,
    status: ClaimStatus | None,
    debtor_id: uuid.UUID | None,
    policy_id: uuid.UUID | None,
    insured_id: str | None = None,
    action: str | None = None,
    request: PageRequest,
) -> tuple[date, Page[WorkItem]]:
    """Actions due within the horizon, nearest deadline first (unknown deadlines first of all), a page at a time."""
    today = basis.clock.today()
    wanted = {
        "due_by": today + timedelta(days=within_days),
        "status": status,
        "debtor_id": debtor_id,
        "policy_id": policy_id,
        "insured_id": insured_id,
        "action": action,
        "after": _after(request),
        "limit": request.limit + 1,
    }
    async with reader:
        repo = reader.claims
        late = await repo.any_behind(today)
        if not late:
            rows = await repo.work_page(**wanted)
    if late:
        await catch_up(writer, today=today, rules=basis.collection_rules)
        async with reader:
            rows = await reader.claims.work_page(**wanted)
    key = lambda row: [row.sort_due.isoformat(), str(row.claim_id), row.kind]  # noqa: E731
    return today, page_of(rows, limit=request.limit, key=key)
