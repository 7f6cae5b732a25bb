"""What the debtors service needs from the policies service, read on the caller's behalf."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from services.debtors.domain.errors import PolicyNotFound
from services.kit.auth import Principal
from services.kit.errors import UpstreamInvalid
from services.kit.upstream import Upstream, forwarded_auth

KEPT_POLICIES = 10_000  # about 2 MB of facts; past it the policy read longest ago is read again when needed


@dataclass(frozen=True, slots=True)
class PolicyFacts:
    policy_id: uuid.UUID
    insured_id: str
    currency: str
    discretionary_limit: Decimal
    limit_reduction_notice_days: int = 0


class PolicyBook:
    """The policies' facts debtors works with: read from the policies service, and kept once out of draft.

    Out of draft a policy's insured, currency and terms are locked (the policies service changes nothing but its
    status, TermsLocked, and no status leads back to draft): what was read of it stays true for the process's
    life. A draft's facts may still change, so they are read on every call. Whoever asks for a kept policy is held
    to the rule the policies service applies: another insured's policy does not exist for them.
    """

    def __init__(self, policies: Upstream, *, size: int = KEPT_POLICIES) -> None:
        self.policies = policies
        self._size = size
        self._kept: dict[uuid.UUID, PolicyFacts] = {}

    async def facts(self, policy_id: uuid.UUID, *, principal: Principal, authorization: str | None) -> PolicyFacts:
        """The policy as the caller may see it."""
        kept = self._kept.get(policy_id)
        if kept is not None:
            principal.ensure_sees(kept.insured_id, PolicyNotFound(f"No policy {policy_id}."))
            return kept
        facts, draft = await _read(self.policies, policy_id, authorization=authorization)
        if not draft:
            if len(self._kept) >= self._size:
                del self._kept[next(iter(self._kept))]
            self._kept[policy_id] = facts
        return facts


async def _read(policies: Upstream, policy_id: uuid.UUID, *, authorization: str | None) -> tuple[PolicyFacts, bool]:
    """The policy's facts as the policies service answers the caller, and whether it is still a draft."""
    response = await policies.request("GET", f"/v1/policies/{policy_id}", headers=forwarded_auth(authorization))
    if response.status_code == 404:
        raise PolicyNotFound(f"No policy {policy_id}.")
    if response.status_code != 200:
        raise PolicyNotFound(f"Policy {policy_id} cannot be read ({response.status_code}).")
    body = Upstream.json_of(response, policies.name)
    try:
        facts = PolicyFacts(
            policy_id=uuid.UUID(body["id"]),
            insured_id=body["insured_id"],
            currency=body["currency"],
            discretionary_limit=Decimal(body["terms"]["discretionary_limit"]),
            limit_reduction_notice_days=int(body["terms"].get("limit_reduction_notice_days", 0)),
        )
        return facts, body["status"] == "draft"
    except (KeyError, TypeError, ValueError) as exc:
        raise UpstreamInvalid("The policies service answered with an unexpected body.") from exc
