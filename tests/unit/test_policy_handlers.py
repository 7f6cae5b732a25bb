"""The policies handlers against a fake unit of work: the rules of a command, no database (fakes, not mocks)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any

import pytest

from services.kit.auth import Principal, Role
from services.kit.errors import PreconditionRequired
from services.policies.adapters.tables import Policy
from services.policies.domain.errors import PolicyNotFound, PolicyNumberTaken, TermsLocked
from services.policies.service_layer import handlers
from services.policies.service_layer.commands import NewPolicy, PolicyChanges
from tests.shared.builders import policy_body

NOW = datetime(2026, 6, 15, 9, tzinfo=UTC)
UNDERWRITER = Principal(client_id="uw", roles=frozenset({Role.UNDERWRITER}))
ACME = Principal(client_id="acme-erp", roles=frozenset({Role.INSURED}), insured_id="INS-ACME")
BETA = Principal(client_id="beta-erp", roles=frozenset({Role.INSURED}), insured_id="INS-BETA")
TERMS: dict[str, Any] = {
    **policy_body(terms={"covered_countries": ["FR"]})["terms"],
    "collection_duties_required": True,
    "limit_reduction_notice_days": 0,
}


class FakePolicies:
    """The repository's contract, kept in a dict."""

    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Policy] = {}

    def add(self, row: Policy) -> None:
        row.id = row.id or uuid.uuid4()
        self.rows[row.id] = row

    async def by_number(self, number: str) -> Policy | None:
        return next((row for row in self.rows.values() if row.number == number), None)

    async def readable(self, policy_id: uuid.UUID, principal: Principal, *, for_update: bool = False) -> Policy:
        policy = self.rows.get(policy_id)
        missing = PolicyNotFound(f"No policy {policy_id}.")
        if policy is None:
            raise missing
        principal.ensure_sees(policy.insured_id, missing)
        return policy


class FakeUnitOfWork:
    """Commits only when told to; what was added before a failure is dropped, as a rollback would."""

    def __init__(self) -> None:
        self.policies = FakePolicies()
        self.committed = False
        self._before: dict[uuid.UUID, Policy] = {}

    async def __aenter__(self) -> FakeUnitOfWork:
        self._before = dict(self.policies.rows)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self.committed:
            self.policies.rows = self._before

    async def commit(self) -> None:
        self.committed = True


def new_policy(number: str = "POL-1", insured_id: str = "INS-ACME") -> NewPolicy:
    return NewPolicy(
        number=number,
        insured_id=insured_id,
        insured_name="Acme Industries SAS",
        insured_country="FR",
        insured_postcode=None,
        currency="EUR",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        terms=dict(TERMS),
        collection={},
    )


async def test_a_new_policy_is_a_draft_kept_once_committed() -> None:
    uow = FakeUnitOfWork()
    policy = await handlers.create_policy(uow, data=new_policy(), actor=UNDERWRITER, now=NOW)
    assert uow.committed and list(uow.policies.rows.values()) == [policy]
    assert (policy.status, policy.created_by, policy.created_at) == ("draft", "uw", NOW)


async def test_a_taken_policy_number_is_refused_and_nothing_is_committed() -> None:
    uow = FakeUnitOfWork()
    await handlers.create_policy(uow, data=new_policy(), actor=UNDERWRITER, now=NOW)
    uow.committed = False
    with pytest.raises(PolicyNumberTaken):
        await handlers.create_policy(uow, data=new_policy(insured_id="INS-BETA"), actor=UNDERWRITER, now=NOW)
    assert not uow.committed and len(uow.policies.rows) == 1


async def test_another_insureds_policy_does_not_exist_for_them() -> None:
    uow = FakeUnitOfWork()
    policy = await handlers.create_policy(uow, data=new_policy(), actor=UNDERWRITER, now=NOW)
    assert await handlers.get_policy(uow, policy_id=policy.id, principal=ACME) is policy
    with pytest.raises(PolicyNotFound):
        await handlers.get_policy(uow, policy_id=policy.id, principal=BETA)


async def test_a_change_without_the_etag_read_is_refused_and_changes_nothing() -> None:
    uow = FakeUnitOfWork()
    policy = await handlers.create_policy(uow, data=new_policy(), actor=UNDERWRITER, now=NOW)
    uow.committed = False
    with pytest.raises(PreconditionRequired):
        await handlers.update_policy(
            uow,
            policy_id=policy.id,
            changes=PolicyChanges.of({"insured_name": "Other"}),
            if_match=None,
            actor=UNDERWRITER,
            now=NOW,
        )
    assert not uow.committed and policy.insured_name == "Acme Industries SAS"


async def test_an_active_policys_terms_are_locked() -> None:
    uow = FakeUnitOfWork()
    policy = await handlers.create_policy(uow, data=new_policy(), actor=UNDERWRITER, now=NOW)
    await handlers.update_policy(
        uow,
        policy_id=policy.id,
        changes=PolicyChanges.of({"status": "active"}),
        if_match='"1"',
        actor=UNDERWRITER,
        now=NOW,
    )
    assert (policy.status, policy.version) == ("active", 2)
    with pytest.raises(TermsLocked):
        await handlers.update_policy(
            uow,
            policy_id=policy.id,
            changes=PolicyChanges.of({"insured_name": "Other"}),
            if_match='"2"',
            actor=UNDERWRITER,
            now=NOW,
        )
    assert policy.insured_name == "Acme Industries SAS"
