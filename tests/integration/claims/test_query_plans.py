"""A declaration's two checks find their rows through the partial unique indexes, on SQLite too.

SQLite uses a partial index only for a query whose WHERE holds the index's own terms: with the live statuses
bound as parameters, or `live IS 1`, it searched every claim of the policy, or scanned every claim invoice, once
per declaration. (PostgreSQL chooses among usable indexes by its statistics; SQLite is the embedded default.)
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Select
from sqlalchemy.dialects import sqlite

from services.claims.adapters.repository import held_invoices_query, live_claim_query
from tests.support import migrate


@pytest.fixture(scope="module")
def claims_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plans") / "claims.db"
    migrate("claims", f"sqlite+aiosqlite:///{path}")
    return path


def plan(path: Path, query: Select[tuple[object]]) -> str:
    """How SQLite would run the query, as EXPLAIN QUERY PLAN says it."""
    compiled = query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
    with sqlite3.connect(path) as connection:
        steps = connection.execute(f"EXPLAIN QUERY PLAN {compiled}").fetchall()
    return " / ".join(step[-1] for step in steps)


def test_the_live_claim_check_uses_the_one_live_claim_per_buyer_index(claims_file: Path) -> None:
    found = plan(claims_file, live_claim_query(uuid.uuid4(), uuid.uuid4()))
    assert found == "SEARCH claims USING INDEX uq_claims_one_live_per_buyer (policy_id=? AND debtor_id=?)"


def test_the_held_invoices_check_uses_the_held_invoices_index(claims_file: Path) -> None:
    found = plan(claims_file, held_invoices_query("INS-ACME", uuid.uuid4(), ["F001", "F002"]))
    assert found.startswith("SEARCH claim_invoices USING INDEX uq_claim_invoices_held"), found
    assert "SCAN" not in found
