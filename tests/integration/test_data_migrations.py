"""Rows written before a migration read as the new rules say: claims' domicile and loss ground, injonction tracks."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine

from services.kit.db import async_url
from services.kit.schema_version import alembic_config
from tests.support import Databases, in_thread

CLAIMS = sa.table(
    "claims",
    *(sa.column(name, sa.Uuid()) for name in ("id", "policy_id", "debtor_id")),
    *(sa.column(name, sa.String()) for name in ("insured_id", "currency", "status")),
    *(sa.column(name, sa.Boolean()) for name in ("frozen", "insured_in_metropolitan_france")),
    *(
        sa.column(name, sa.Date())
        for name in (
            "declaration_date",
            "oldest_due_date",
            "declaration_deadline",
            "max_extension_end",
            "waiting_period_end",
            "creance_deadline",
            "creance_filed_on",
        )
    ),
    *(
        sa.column(name, sa.JSON())
        for name in ("terms", "cover_snapshot", "limits_snapshot", "procedure_snapshot", "rejection_reasons")
    ),
    sa.column("version", sa.Integer()),
    *(sa.column(name, sa.DateTime(timezone=True)) for name in ("created_at", "updated_at")),
)
ACTIONS = sa.table(
    "collection_actions",
    *(sa.column(name, sa.Uuid()) for name in ("id", "claim_id")),
    *(sa.column(name, sa.String()) for name in ("kind", "route", "stage", "recorded_by")),
    sa.column("done_on", sa.Date()),
    sa.column("documents", sa.JSON()),
    sa.column("recorded_at", sa.DateTime(timezone=True)),
)
INVOICES = sa.table(
    "claim_invoices",
    *(sa.column(name, sa.Uuid()) for name in ("id", "claim_id", "policy_id", "debtor_id")),
    sa.column("number", sa.String()),
    *(sa.column(name, sa.Date()) for name in ("invoice_date", "due_date")),
    *(sa.column(name, sa.Numeric()) for name in ("amount", "vat_amount")),
    sa.column("live", sa.Boolean()),
)
AT = datetime(2026, 9, 1, tzinfo=UTC)


def claim_row(
    claim_id: uuid.UUID,
    *,
    status: str,
    metropolitan: bool,
    country: str,
    filed: bool,
    frozen: bool = False,
    procedure: dict[str, Any] | None = None,
) -> dict[str, Any]:
    day = date(2026, 6, 1)
    return {
        "id": claim_id,
        "policy_id": uuid.uuid4(),
        "debtor_id": uuid.uuid4(),
        "insured_id": "INS-ACME",
        "currency": "EUR",
        "status": status,
        "frozen": frozen,
        "insured_in_metropolitan_france": metropolitan,
        "declaration_date": day,
        "oldest_due_date": day,
        "declaration_deadline": day,
        "max_extension_end": day,
        "waiting_period_end": day,
        "creance_deadline": date(2026, 8, 1) if filed or status == "forfeited" else None,
        "creance_filed_on": date(2026, 7, 1) if filed else None,
        "terms": {"insured_country": country},
        "cover_snapshot": {},
        "limits_snapshot": {},
        "procedure_snapshot": procedure or {},
        "rejection_reasons": [],
        "version": 1,
        "created_at": AT,
        "updated_at": AT,
    }


def action_row(claim_id: uuid.UUID, kind: str, stage: str, day: date) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "claim_id": claim_id,
        "kind": kind,
        "route": "injonction_de_payer",
        "stage": stage,
        "done_on": day,
        "documents": [],
        "recorded_by": "partner",
        "recorded_at": AT,
    }


def run(url: str, statement: Any, rows: list[dict[str, Any]] | None = None) -> list[Any]:
    async def go() -> list[Any]:
        engine = create_async_engine(async_url(url))
        async with engine.begin() as conn:
            result = await conn.execute(statement, rows) if rows else await conn.execute(statement)
            found = list(result.mappings()) if result.returns_rows else []
        await engine.dispose()
        return found

    return in_thread(lambda: asyncio.run(go()))


def test_claims_recorded_before_keep_their_meaning(databases: Databases) -> None:
    url = databases.empty("mig_claims_data")
    config = alembic_config("claims", url)
    in_thread(lambda: command.upgrade(config, "cla0003"))
    abroad, metropolitan, forfeited, sauvegarde = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    in_sauvegarde = {"open": True, "insolvent": False, "opening_publication_date": "2026-06-10"}
    run(
        url,
        sa.insert(CLAIMS),
        [
            claim_row(abroad, status="indemnified", metropolitan=False, country="BE", filed=True),
            claim_row(metropolitan, status="indemnifiable", metropolitan=True, country="FR", filed=False),
            claim_row(forfeited, status="forfeited", metropolitan=True, country="FR", filed=False),
            claim_row(
                sauvegarde,
                status="open",
                metropolitan=False,
                country="DE",
                filed=False,
                frozen=True,
                procedure=in_sauvegarde,
            ),
        ],
    )
    run(
        url,
        sa.insert(ACTIONS),
        [
            action_row(abroad, "injonction_served", "order_served", date(2026, 5, 1)),
            action_row(abroad, "injonction_enforceable", "enforceable_title", date(2026, 6, 5)),
        ],
    )
    in_thread(lambda: command.upgrade(config, "head"))
    claims = {
        row["id"]: row
        for row in run(
            url,
            sa.text(
                "SELECT id, creditor_territory, loss_ground, creance_deadline_legal, creance_deadline,"
                " creance_missed_on FROM claims"
            ),
        )
    }
    by_id = {uuid.UUID(str(key)) if not isinstance(key, uuid.UUID) else key: row for key, row in claims.items()}
    assert (by_id[abroad]["creditor_territory"], by_id[abroad]["loss_ground"]) == ("BE", "insolvency")
    assert str(by_id[abroad]["creance_deadline_legal"]) == str(by_id[abroad]["creance_deadline"]) == "2026-08-01"
    assert (by_id[metropolitan]["creditor_territory"], by_id[metropolitan]["loss_ground"]) == (
        "FR",
        "protracted_default",
    )
    # Forfeited before: the miss is on record, a sweep does not record it again.
    assert str(by_id[forfeited]["creance_missed_on"]) == "2026-08-01"
    # Frozen by a sauvegarde: the créance is now due too, four months for a creditor in Germany.
    assert (by_id[sauvegarde]["creditor_territory"], str(by_id[sauvegarde]["creance_deadline"])) == ("DE", "2026-10-10")
    actions = run(url, sa.text("SELECT kind, route, stage, served_to_person FROM collection_actions ORDER BY done_on"))
    assert [(row["kind"], row["stage"], bool(row["served_to_person"])) for row in actions] == [
        ("injonction_served", "order_served", True),
        ("legacy_executory_formula", None, False),
    ]


def held_claim(claim_id: uuid.UUID, status: str, *, policy_id: uuid.UUID, debtor_id: uuid.UUID) -> dict[str, Any]:
    """A claim as written from cla0007 on."""
    row = claim_row(claim_id, status=status, metropolitan=True, country="FR", filed=True)
    del row["insured_in_metropolitan_france"]
    return {**row, "policy_id": policy_id, "debtor_id": debtor_id, "creditor_territory": "FR"}


def held_invoice(
    claim_id: uuid.UUID, number: str, *, live: bool, policy_id: uuid.UUID, debtor_id: uuid.UUID
) -> dict[str, Any]:
    day = date(2026, 3, 1)
    return {
        "id": uuid.uuid4(),
        "claim_id": claim_id,
        "policy_id": policy_id,
        "debtor_id": debtor_id,
        "number": number,
        "invoice_date": day,
        "due_date": day,
        "amount": 1000,
        "vat_amount": 0,
        "live": live,
    }


def paid_indemnity(claim_id: uuid.UUID, amount: int = 1000) -> dict[str, Any]:
    money = {"eligible_loss": amount, "before_maximum_liability": amount, "amount": amount}
    return {"claim_id": claim_id, "currency": "EUR", "breakdown": [], "paid_at": AT, "paid_by": "x", **money}


def held_now(url: str) -> dict[tuple[str, str], bool]:
    found = run(url, sa.text("SELECT claim_id, number, live FROM claim_invoices ORDER BY number, live"))
    return {(str(row["claim_id"]).replace("-", ""), row["number"]): bool(row["live"]) for row in found}


def test_invoices_indemnified_before_stay_held_unless_declared_again(databases: Databases) -> None:
    from services.claims.adapters.tables import Claim, Indemnity

    url = databases.empty("mig_claims_held")
    config = alembic_config("claims", url)
    in_thread(lambda: command.upgrade(config, "cla0008"))
    on = {"policy_id": uuid.uuid4(), "debtor_id": uuid.uuid4()}
    paid, again, live = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    claims = [held_claim(paid, "closed", **on), held_claim(again, "closed", **on), held_claim(live, "open", **on)]
    run(url, sa.insert(Claim.__table__), claims)
    # A closed claim's two paid invoices; P-2 is already declared again in the live claim.
    rows = [
        held_invoice(paid, "P-1", live=False, **on),
        held_invoice(paid, "P-2", live=False, **on),
        held_invoice(live, "P-2", live=True, **on),
        held_invoice(again, "W-1", live=False, **on),
    ]
    run(url, sa.insert(INVOICES), rows)
    run(url, sa.insert(Indemnity.__table__), [paid_indemnity(paid)])
    in_thread(lambda: command.upgrade(config, "head"))
    assert held_now(url) == {
        (paid.hex, "P-1"): True,
        (paid.hex, "P-2"): False,
        (live.hex, "P-2"): True,
        (again.hex, "W-1"): False,  # closed without an indemnity: free to declare again
    }


def test_invoices_are_held_per_insured_by_their_numbers_key_and_an_indemnity_of_nothing_holds_none(
    databases: Databases,
) -> None:
    from services.claims.adapters.tables import Claim, Indemnity

    url = databases.empty("mig_claims_keys")
    config = alembic_config("claims", url)
    in_thread(lambda: command.upgrade(config, "cla0009"))
    debtor_id = uuid.uuid4()
    first, second = (
        {"policy_id": uuid.uuid4(), "debtor_id": debtor_id},
        {"policy_id": uuid.uuid4(), "debtor_id": debtor_id},
    )
    live, nothing = uuid.uuid4(), uuid.uuid4()
    run(url, sa.insert(Claim.__table__), [held_claim(live, "open", **first), held_claim(nothing, "closed", **second)])
    rows = [held_invoice(live, "X-1\u00a0", live=True, **first), held_invoice(nothing, "x-1", live=True, **second)]
    run(url, sa.insert(INVOICES), rows)
    run(url, sa.insert(Indemnity.__table__), [paid_indemnity(nothing, amount=0)])
    in_thread(lambda: command.upgrade(config, "head"))
    keys = run(url, sa.text("SELECT number, insured_id, number_key FROM claim_invoices ORDER BY number"))
    assert [(row["number"], row["insured_id"], row["number_key"]) for row in keys] == [
        ("X-1\u00a0", "INS-ACME", "x-1"),
        ("x-1", "INS-ACME", "x-1"),
    ]
    # The indemnity of 0.00 paid nothing: its closed claim's invoice is free again; the live claim's one stays held.
    assert held_now(url) == {(live.hex, "X-1\u00a0"): True, (nothing.hex, "x-1"): False}


def test_one_invoice_held_by_two_claims_stops_the_migration_with_the_reason(databases: Databases) -> None:
    from services.claims.adapters.tables import Claim

    url = databases.empty("mig_claims_twice")
    config = alembic_config("claims", url)
    in_thread(lambda: command.upgrade(config, "cla0009"))
    debtor_id = uuid.uuid4()
    first, second = (
        {"policy_id": uuid.uuid4(), "debtor_id": debtor_id},
        {"policy_id": uuid.uuid4(), "debtor_id": debtor_id},
    )
    one, other = uuid.uuid4(), uuid.uuid4()
    run(url, sa.insert(Claim.__table__), [held_claim(one, "open", **first), held_claim(other, "open", **second)])
    rows = [held_invoice(one, "X-1", live=True, **first), held_invoice(other, "x-1 ", live=True, **second)]
    run(url, sa.insert(INVOICES), rows)
    with pytest.raises(RuntimeError, match="held by more than one claim"):
        in_thread(lambda: command.upgrade(config, "head"))
    assert held_now(url) == {(one.hex, "X-1"): True, (other.hex, "x-1 "): True}


def test_invoice_keys_are_worked_out_again_without_invisible_marks(databases: Databases) -> None:
    from services.claims.adapters.tables import Claim

    url = databases.empty("mig_claims_marks")
    config = alembic_config("claims", url)
    in_thread(lambda: command.upgrade(config, "cla0009"))
    debtor_id = uuid.uuid4()
    first, second = ({"policy_id": uuid.uuid4(), "debtor_id": debtor_id} for _ in range(2))
    live, closed = uuid.uuid4(), uuid.uuid4()
    run(url, sa.insert(Claim.__table__), [held_claim(live, "open", **first), held_claim(closed, "withdrawn", **second)])
    rows = [
        held_invoice(live, "M-1\U000e0100", live=True, **first),
        held_invoice(closed, "m-1", live=False, **second),
    ]
    run(url, sa.insert(INVOICES), rows)
    in_thread(lambda: command.upgrade(config, "head"))
    keys = run(url, sa.text("SELECT number_key FROM claim_invoices ORDER BY number_key"))
    assert [row["number_key"] for row in keys] == ["m-1", "m-1"]


def test_invisible_marks_making_one_invoice_held_twice_stop_the_migration(databases: Databases) -> None:
    from services.claims.adapters.tables import Claim

    url = databases.empty("mig_claims_marks_twice")
    config = alembic_config("claims", url)
    in_thread(lambda: command.upgrade(config, "cla0010"))
    debtor_id = uuid.uuid4()
    first, second = ({"policy_id": uuid.uuid4(), "debtor_id": debtor_id} for _ in range(2))
    one, other = uuid.uuid4(), uuid.uuid4()
    run(url, sa.insert(Claim.__table__), [held_claim(one, "open", **first), held_claim(other, "open", **second)])
    # Written under cla0010, whose keys kept the tag: two keys, one invoice.
    rows = [
        {**held_invoice(one, "T-1", live=True, **first), "insured_id": "INS-ACME", "number_key": "t-1"},
        {
            **held_invoice(other, "T-1\U000e0020", live=True, **second),
            "insured_id": "INS-ACME",
            "number_key": "t-1\U000e0020",
        },
    ]
    keyed = sa.table(
        "claim_invoices",
        *(sa.column(c.name, c.type) for c in INVOICES.columns),
        sa.column("insured_id"),
        sa.column("number_key"),
    )
    run(url, sa.insert(keyed), rows)
    with pytest.raises(RuntimeError, match="held by more than one claim"):
        in_thread(lambda: command.upgrade(config, "head"))
