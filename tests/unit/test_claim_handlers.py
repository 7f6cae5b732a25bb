"""Claims handlers against a fake unit of work: the rules of a command and the claim's moves, no database."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any

import pytest

from services.claims.adapters.tables import Claim, ClaimInvoice
from services.claims.domain.claim import TimelineLine
from services.claims.domain.errors import ClaimNotFound, ExtensionRefused
from services.claims.service_layer import lifecycle
from services.kit.auth import Principal, Role
from services.kit.dependencies import Call
from services.kit.errors import PreconditionRequired

NOW = datetime(2026, 6, 15, 9, tzinfo=UTC)
ACME = Principal(client_id="acme-erp", roles=frozenset({Role.INSURED}), insured_id="INS-ACME")
BETA = Principal(client_id="beta-erp", roles=frozenset({Role.INSURED}), insured_id="INS-BETA")


class FakeClaims:
    """The repository's contract for these handlers, kept in memory."""

    def __init__(self, claim: Claim, invoices: list[ClaimInvoice]) -> None:
        self.claim, self.held, self.lines = claim, invoices, []

    async def readable_claim(self, claim_id: uuid.UUID, principal: Principal, *, for_update: bool = True) -> Claim:
        missing = ClaimNotFound(f"No claim {claim_id}.")
        if claim_id != self.claim.id:
            raise missing
        principal.ensure_sees(self.claim.insured_id, missing)
        return self.claim

    async def invoices(self, claim_ids: list[uuid.UUID]) -> list[ClaimInvoice]:
        return [invoice for invoice in self.held if invoice.claim_id in claim_ids]

    def add(self, row: Any) -> None:
        self.lines.append(row)


class FakeUnitOfWork:
    def __init__(self, claims: FakeClaims) -> None:
        self.claims, self.committed = claims, False

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        return None

    async def commit(self) -> None:
        self.committed = True


def an_open_claim() -> FakeUnitOfWork:
    claim = Claim(id=uuid.uuid4(), insured_id="INS-ACME", status="open", version=3, max_extension_end=date(2026, 6, 29))
    claim.updated_at = datetime(2026, 6, 1, tzinfo=UTC)
    invoice = ClaimInvoice(claim_id=claim.id, number="A", number_key="a", due_date=date(2026, 4, 30))
    invoice.amount = Decimal("12000.00")
    return FakeUnitOfWork(FakeClaims(claim, [invoice]))


def extend(uow: FakeUnitOfWork, day: date, *, by: Principal = ACME, if_match: str | None = '"3"') -> Any:
    call = Call(by, NOW, "req-1", if_match)
    return lifecycle.extend_due_date(uow, claim_id=uow.claims.claim.id, invoice_number="a", new_due_date=day, call=call)


async def test_an_extension_within_the_maximum_moves_the_due_date_and_says_so() -> None:
    uow = an_open_claim()
    view = await extend(uow, date(2026, 6, 29))
    assert uow.committed and view.invoices[0].extended_due_date == date(2026, 6, 29)
    assert (view.claim.version, view.claim.updated_at) == (4, NOW)
    [line] = uow.claims.lines
    assert isinstance(line, TimelineLine)
    assert (line.kind, line.actor.name, line.actor.source, line.detail) == (
        "due_date_extended",
        "acme-erp",
        "request:req-1",
        {"invoice": "A", "new_due_date": "2026-06-29"},
    )


async def test_an_extension_past_the_maximum_is_refused_and_changes_nothing() -> None:
    uow = an_open_claim()
    with pytest.raises(ExtensionRefused):
        await extend(uow, date(2026, 6, 30))
    assert not uow.committed and uow.claims.lines == [] and uow.claims.claim.version == 3
    assert uow.claims.held[0].extended_due_date is None


async def test_an_extension_without_the_etag_read_is_refused() -> None:
    uow = an_open_claim()
    with pytest.raises(PreconditionRequired):
        await extend(uow, date(2026, 6, 29), if_match=None)
    assert not uow.committed and uow.claims.lines == []


async def test_another_insureds_claim_does_not_exist_for_them() -> None:
    uow = an_open_claim()
    with pytest.raises(ClaimNotFound):
        await extend(uow, date(2026, 6, 29), by=BETA)
    assert not uow.committed
