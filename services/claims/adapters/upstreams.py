"""What a declaration asks of the policies and debtors services, on the caller's behalf."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from services.claims.domain.declaration import LimitInForce
from services.claims.domain.errors import DebtorNotFound, PolicyNotFound
from services.kit.errors import UpstreamInvalid
from services.kit.outbox import INTERNAL_TOKEN_HEADER
from services.kit.upstream import Upstream, forwarded_auth


class _Answer(BaseModel):
    """What claims reads of another service's answer (each consumer keeps its own schema)."""

    model_config = ConfigDict(extra="allow")


class DebtorAnswer(_Answer):
    country: str


class ReasonAnswer(_Answer):
    code: str
    detail: str
    invoice_number: str | None = None


class DeadlinesAnswer(_Answer):
    oldest_due_date: date
    declaration_deadline: date
    max_extension_end: date
    waiting_period_end: date


class CoverTermsAnswer(_Answer):
    insured_country: str
    percentage_of_cover: Decimal
    claim_threshold: Decimal
    deductible: Decimal
    vat_covered: bool


class CoverAnswer(_Answer):
    reasons: list[ReasonAnswer]
    deadlines: DeadlinesAnswer
    terms: CoverTermsAnswer


class LimitOnDateAnswer(_Answer):
    on: date
    amount: Decimal
    stopped: str | None


class LimitsAnswer(_Answer):
    limits: list[LimitOnDateAnswer]

    def in_force(self) -> list[LimitInForce]:
        return [LimitInForce(item.on, item.amount, item.stopped) for item in self.limits]


class ProcedureAnswer(_Answer):
    open: bool = False
    insolvent: bool = False
    opening_publication_date: date | None = None


class DeclarationContextAnswer(_Answer):
    debtor: DebtorAnswer
    limits: LimitsAnswer
    procedure: ProcedureAnswer


class ReservationAnswer(_Answer):
    reserved: Decimal
    year_start: date


Shape = TypeVar("Shape", bound=_Answer)


def _answer(upstream: Upstream, response: Any, not_found: Exception, shape: type[Shape]) -> Shape:
    """The answer in the shape claims reads (what else it sent is kept, for the claim's snapshots); anything else
    is the upstream's fault (502)."""
    if response.status_code == 404:
        raise not_found
    if response.status_code != 200:
        raise UpstreamInvalid(f"The {upstream.name} service answered {response.status_code}.")
    body = Upstream.json_of(response, upstream.name)
    try:
        return shape.model_validate(body)
    except ValidationError as exc:
        raise UpstreamInvalid(f"The {upstream.name} service answered with an unexpected body.") from exc


async def declaration_context(
    debtors: Upstream, debtor_id: uuid.UUID, policy_id: uuid.UUID, dates: list[date], *, authorization: str | None
) -> DeclarationContextAnswer:
    """The debtor, the policy's limits in force on the delivery dates and the procedure, in one read."""
    params: list[tuple[str, str]] = [("policy_id", str(policy_id))]
    params += [("on", day.isoformat()) for day in sorted(set(dates))]
    response = await debtors.request(
        "GET",
        f"/v1/debtors/{debtor_id}/declaration-context",
        params=params,
        headers=forwarded_auth(authorization),
    )
    missing: Exception = DebtorNotFound(f"No debtor {debtor_id}.")
    if response.status_code == 404 and _problem_code(response) == "POLICY_NOT_FOUND":
        missing = PolicyNotFound(f"No policy {policy_id}.")
    return _answer(debtors, response, missing, DeclarationContextAnswer)


def _problem_code(response: Any) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


async def cover_check(
    policies: Upstream, policy_id: uuid.UUID, body: dict[str, Any], *, authorization: str | None
) -> CoverAnswer:
    response = await policies.request(
        "POST", f"/v1/policies/{policy_id}/cover-checks", json=body, headers=forwarded_auth(authorization)
    )
    return _answer(policies, response, PolicyNotFound(f"No policy {policy_id}."), CoverAnswer)


async def reserve_liability(
    policies: Upstream,
    policy_id: uuid.UUID,
    *,
    claim_id: uuid.UUID,
    amount: str,
    currency: str,
    attributable_date: date,
    internal_token: str | None,
) -> ReservationAnswer:
    """Take the indemnity from the insurance year's maximum liability; idempotent by claim id.

    The claims service reserves as itself (the suite's internal token), never on a person's token.
    """
    body = {
        "claim_id": str(claim_id),
        "amount": amount,
        "currency": currency,
        "attributable_date": attributable_date.isoformat(),
    }
    response = await policies.request(
        "POST",
        f"/internal/policies/{policy_id}/liability/reservations",
        json=body,
        headers={INTERNAL_TOKEN_HEADER: internal_token or ""},
    )
    if response.status_code == 201:
        response.status_code = 200
    return _answer(policies, response, PolicyNotFound(f"No policy {policy_id}."), ReservationAnswer)
