"""Credit limits: requests, decisions as dated versions, and the limit in force on given dates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from services.debtors.adapters.policies import PolicyBook, PolicyFacts
from services.debtors.adapters.repository import DebtorsUnitOfWork, Repository
from services.debtors.adapters.tables import CreditLimit, CreditLimitRequest, CreditLimitVersion
from services.debtors.domain.errors import (
    CurrencyMismatch,
    DebtorNotFound,
    NothingToDecide,
    RequestPending,
)
from services.debtors.domain.limits import (
    ON_REQUEST,
    Decision,
    LimitInForce,
    LimitVersion,
    RequestStatus,
    check_effective,
    claim_stop_on,
    cuts_cover,
    decided_amount,
    earliest_effective,
    limit_in_force,
)
from services.debtors.service_layer.commands import LimitDecision, LimitRequest
from services.kit.auth import Principal
from services.kit.dependencies import expected_version
from services.kit.errors import AlreadyExists
from services.kit.outbox import Outbox
from services.kit.pagination import Page, PageRequest, encode_cursor

LIMIT_DECIDED = "credit_limit.decided.v1"


@dataclass(frozen=True)
class CreditLimitView:
    line: CreditLimit
    requests: list[CreditLimitRequest]
    versions: list[CreditLimitVersion]
    amount_in_force: Decimal

    @property
    def pending(self) -> CreditLimitRequest | None:
        return next((request for request in self.requests if request.status == RequestStatus.PENDING), None)


def _version(row: CreditLimitVersion | None) -> LimitVersion | None:
    return LimitVersion(Decision(row.kind), row.amount, row.effective_date) if row else None


def _named_on(versions: Sequence[CreditLimitVersion], on: date) -> CreditLimitVersion | None:
    dated = [version for version in versions if version.effective_date <= on]
    return max(dated, key=lambda version: (version.effective_date, version.recorded_at), default=None)


def _amount_on(versions: Sequence[CreditLimitVersion], on: date) -> Decimal:
    current = _named_on(versions, on)
    return current.amount if current is not None else Decimal("0.00")


async def _views(repo: Repository, lines: Sequence[CreditLimit], today: date) -> list[CreditLimitView]:
    ids = [line.id for line in lines]
    requests = await repo.requests_of(ids) if ids else []
    versions = await repo.versions_of(ids) if ids else []
    views = []
    for line in lines:
        own_versions = [version for version in versions if version.credit_limit_id == line.id]
        views.append(
            CreditLimitView(
                line=line,
                requests=[request for request in requests if request.credit_limit_id == line.id],
                versions=own_versions,
                amount_in_force=_amount_on(own_versions, today),
            )
        )
    return views


async def request_limit(
    uow: DebtorsUnitOfWork,
    policies: PolicyBook,
    *,
    data: LimitRequest,
    principal: Principal,
    authorization: str | None,
    now: datetime,
) -> CreditLimitView:
    """The insured asks for an amount on a debtor; at most one request is pending per line."""
    policy = await policies.facts(data.policy_id, principal=principal, authorization=authorization)
    if data.currency != policy.currency:
        raise CurrencyMismatch(f"The policy is in {policy.currency}.")
    async with uow:
        repo = uow.debtors
        if await repo.debtor(data.debtor_id) is None:
            raise DebtorNotFound(f"No debtor {data.debtor_id}.")
        line = await repo.credit_limit_of(data.policy_id, data.debtor_id, for_update=True)
        if line is None:
            line = CreditLimit(
                policy_id=data.policy_id,
                debtor_id=data.debtor_id,
                insured_id=policy.insured_id,
                currency=policy.currency,
                created_at=now,
            )
            repo.add(line)
            try:
                await uow.flush()
            except AlreadyExists as exc:  # a concurrent first request created the line
                raise RequestPending("Another request on this debtor was made at the same time.") from exc
        elif await repo.pending_request(line.id) is not None:
            raise RequestPending(
                "Wait for the decision on the pending request.", headers={"Location": f"/v1/credit-limits/{line.id}"}
            )
        repo.add(
            CreditLimitRequest(
                credit_limit_id=line.id,
                amount=data.amount,
                status=RequestStatus.PENDING,
                requested_at=now,
                requested_by=principal.client_id,
            )
        )
        line.version += 1
        try:
            await uow.flush()
        except AlreadyExists as exc:  # a concurrent request on the same line won
            raise RequestPending("Wait for the decision on the pending request.") from exc
        [view] = await _views(repo, [line], now.date())
        await uow.commit()
    return view


async def decide(
    uow: DebtorsUnitOfWork,
    reader: DebtorsUnitOfWork,
    outbox: Outbox,
    policies: PolicyBook,
    *,
    limit_id: uuid.UUID,
    data: LimitDecision,
    if_match: str | None,
    principal: Principal,
    authorization: str | None,
    now: datetime,
) -> CreditLimitView:
    """An underwriter decides a request, or reduces or withdraws the limit, from a date on (never retroactively)."""
    decided_on = now.date()
    async with reader:
        policy_id = (await reader.debtors.readable_credit_limit(limit_id, principal)).policy_id
    # The policy's notice before a cut is read first: no call to another service while the line is locked.
    policy = await policies.facts(policy_id, principal=principal, authorization=authorization)
    async with uow:
        repo = uow.debtors
        line = await repo.readable_credit_limit(limit_id, principal, for_update=True)
        expected_version(if_match, current=line.version)
        versions = await repo.versions_of([line.id])
        current = _named_on(versions, data.effective_date or decided_on)
        current_amount = current.amount if current is not None and current.kind != Decision.WITHDRAWN else None
        pending = await repo.pending_request(line.id)
        if data.decision in ON_REQUEST and pending is None:
            raise NothingToDecide("No request is pending on this credit limit.")
        amount = decided_amount(
            data.decision, requested=pending.amount if pending else None, current=current_amount, amount=data.amount
        )
        cuts = cuts_cover(data.decision, amount=amount, current=current_amount)
        earliest = earliest_effective(
            cuts=cuts,
            decided_on=decided_on,
            requested_on=pending.requested_at.date() if pending and data.decision in ON_REQUEST else None,
            notice_days=policy.limit_reduction_notice_days,
        )
        effective = check_effective(data.effective_date or max(earliest, decided_on), earliest=earliest, cuts=cuts)
        answered = pending if pending is not None and data.decision in ON_REQUEST else None
        if answered is not None:
            answered.status = RequestStatus(data.decision.value)
            answered.decided_amount, answered.decided_at, answered.reason = amount, now, data.reason
            answered.decided_by = principal.client_id
        # Refusing an increase leaves the limit in force as it is.
        if not (data.decision == Decision.REFUSED and current_amount):
            request_id = answered.id if answered is not None else None
            repo.add(
                _new_version(line, data, amount, effective, request_id=request_id, by=principal.client_id, now=now)
            )
        line.version += 1
        await uow.flush()
        [view] = await _views(repo, [line], now.date())
        await outbox.add(uow.session, LIMIT_DECIDED, [_decided(line, data.decision, amount, effective)], now=now)
        await uow.commit()
    return view


def _new_version(
    line: CreditLimit,
    data: LimitDecision,
    amount: Decimal,
    effective: date,
    *,
    request_id: uuid.UUID | None,
    by: str,
    now: datetime,
) -> CreditLimitVersion:
    return CreditLimitVersion(
        credit_limit_id=line.id,
        kind=data.decision,
        amount=amount,
        effective_date=effective,
        reason=data.reason,
        request_id=request_id,
        recorded_at=now,
        recorded_by=by,
    )


def _decided(line: CreditLimit, decision: Decision, amount: Decimal, effective: date) -> dict[str, str]:
    """The limit.decided event: what the claims service and partners learn of the decision."""
    return {
        "credit_limit_id": str(line.id),
        "policy_id": str(line.policy_id),
        "debtor_id": str(line.debtor_id),
        "insured_id": line.insured_id,
        "decision": decision.value,
        "amount": f"{amount:.2f}",
        "currency": line.currency,
        "effective_date": effective.isoformat(),
    }


async def get_limit(
    uow: DebtorsUnitOfWork, *, limit_id: uuid.UUID, principal: Principal, today: date
) -> CreditLimitView:
    async with uow:
        repo = uow.debtors
        [view] = await _views(repo, [await repo.readable_credit_limit(limit_id, principal)], today)
    return view


async def list_limits(
    uow: DebtorsUnitOfWork,
    *,
    principal: Principal,
    page: PageRequest,
    policy_id: uuid.UUID | None,
    debtor_id: uuid.UUID | None,
    pending: bool | None = None,
    today: date,
) -> Page[CreditLimitView]:
    async with uow:
        repo = uow.debtors
        lines = await repo.credit_limits_page(
            seen_by=principal,
            policy_id=policy_id,
            debtor_id=debtor_id,
            pending=pending,
            after=page.after_id(),
            limit=page.limit,
        )
        views = await _views(repo, lines[: page.limit], today)
    more = len(lines) > page.limit
    return Page[CreditLimitView](items=views, next_cursor=encode_cursor([str(views[-1].line.id)]) if more else None)


async def limits_on(
    repo: Repository,
    policy: PolicyFacts,
    *,
    debtor_id: uuid.UUID,
    dates: Sequence[date],
    procedure_opened_on: date | None,
) -> list[LimitInForce]:
    """The limit in force on each date, read in the caller's transaction (the same three reads for any dates)."""
    line = await repo.credit_limit_of(policy.policy_id, debtor_id)
    versions = await repo.versions_of([line.id]) if line is not None else []
    stops = await repo.cover_stops(policy.policy_id, debtor_id)
    return [
        limit_in_force(
            on=on,
            named=_version(_named_on(versions, on)),
            discretionary=policy.discretionary_limit,
            procedure_opened_on=procedure_opened_on,
            claim_opened_on=claim_stop_on(stops, on),
        )
        for on in dates
    ]
