"""What the debtors service needs from the policies service, read on the caller's behalf."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from services.debtors.domain.errors import PolicyNotFound
from services.kit.errors import UpstreamInvalid
from services.kit.upstream import Upstream, forwarded_auth


@dataclass(frozen=True, slots=True)
class PolicyFacts:
    policy_id: uuid.UUID
    insured_id: str
    currency: str
    discretionary_limit: Decimal
    limit_reduction_notice_days: int = 0


async def policy_facts(policies: Upstream, policy_id: uuid.UUID, *, authorization: str | None) -> PolicyFacts:
    """The policy as the caller may see it; another insured's policy does not exist for them."""
    response = await policies.request("GET", f"/v1/policies/{policy_id}", headers=forwarded_auth(authorization))
    if response.status_code == 404:
        raise PolicyNotFound(f"No policy {policy_id}.")
    if response.status_code != 200:
        raise PolicyNotFound(f"Policy {policy_id} cannot be read ({response.status_code}).")
    body = Upstream.json_of(response, policies.name)
    try:
        return PolicyFacts(
            policy_id=uuid.UUID(body["id"]),
            insured_id=body["insured_id"],
            currency=body["currency"],
            discretionary_limit=Decimal(body["terms"]["discretionary_limit"]),
            limit_reduction_notice_days=int(body["terms"].get("limit_reduction_notice_days", 0)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UpstreamInvalid("The policies service answered with an unexpected body.") from exc
