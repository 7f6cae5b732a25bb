"""Rows written before a migration read as the new rules say: claims' domicile and loss ground, injonction tracks."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from typing import Any

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


def test_invoices_indemnified_before_stay_held_unless_declared_again(databases: Databases) -> None:
    from services.claims.adapters.tables import Claim, ClaimInvoice, Indemnity

    url = databases.empty("mig_claims_held")
    config = alembic_config("claims", url)
    in_thread(lambda: command.upgrade(config, "cla0008"))
    policy_id, debtor_id = uuid.uuid4(), uuid.uuid4()
    paid, again, live = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def claim(claim_id: uuid.UUID, status: str) -> dict[str, Any]:
        row = claim_row(claim_id, status=status, metropolitan=True, country="FR", filed=True)
        del row["insured_in_metropolitan_france"]
        return {**row, "policy_id": policy_id, "debtor_id": debtor_id, "creditor_territory": "FR"}

    def held(claim_id: uuid.UUID, number: str, *, live: bool) -> dict[str, Any]:
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

    def indemnity(claim_id: uuid.UUID) -> dict[str, Any]:
        money = dict.fromkeys(("eligible_loss", "before_maximum_liability", "amount"), 1000)
        return {"claim_id": claim_id, "currency": "EUR", "breakdown": [], "paid_at": AT, "paid_by": "x", **money}

    run(url, sa.insert(Claim.__table__), [claim(paid, "closed"), claim(again, "closed"), claim(live, "open")])
    # A closed claim's two paid invoices; P-2 is already declared again in the live claim.
    rows = [held(paid, "P-1", live=False), held(paid, "P-2", live=False), held(live, "P-2", live=True)]
    run(url, sa.insert(ClaimInvoice.__table__), [*rows, held(again, "W-1", live=False)])
    run(url, sa.insert(Indemnity.__table__), [indemnity(paid)])
    in_thread(lambda: command.upgrade(config, "head"))
    found = run(url, sa.text("SELECT claim_id, number, live FROM claim_invoices ORDER BY number, live"))
    held_now = {(str(row["claim_id"]).replace("-", ""), row["number"]): bool(row["live"]) for row in found}
    assert held_now == {
        (paid.hex, "P-1"): True,
        (paid.hex, "P-2"): False,
        (live.hex, "P-2"): True,
        (again.hex, "W-1"): False,  # closed without an indemnity: free to declare again
    }
