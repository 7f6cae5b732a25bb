"""Procedure events as the debtors service delivers them to claims."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from tests.conftest import INTERNAL_TOKEN

SIREN = "732829320"


async def procedure_event(
    claims_service: httpx.AsyncClient, debtor_id: str, event_id: str, state: dict[str, Any]
) -> None:
    envelope = {
        "event_id": event_id,
        "type": "debtor.procedure_changed.v1",
        "occurred_at": datetime.now(UTC).isoformat(),
        "data": {"debtor_id": debtor_id, "siren": SIREN, "state": state},
    }
    response = await claims_service.post(
        "/internal/events", json=envelope, headers={"X-Internal-Token": INTERNAL_TOKEN}
    )
    assert response.status_code == 200, response.text


LJ = {
    "procedure": "liquidation_judiciaire",
    "open": True,
    "insolvent": True,
    "opened_on": "2026-07-01",
    "opening_publication_date": "2026-07-09",
    "creance_deadline": "2026-09-09",
    "opening_missing": False,
}

# A sauvegarde opened on 1 July 2026 at a metropolitan court, published on 9 July.
SAUVEGARDE = {
    "procedure": "sauvegarde",
    "open": True,
    "insolvent": False,
    "opened_on": "2026-07-01",
    "opening_publication_date": "2026-07-09",
    "creance_deadline": "2026-09-09",
    "opening_missing": False,
    "opening_court": "Greffe du Tribunal de Commerce de Lyon",
    "opening_court_seat": "FR",
}
SAUVEGARDE_CLOSED = {**SAUVEGARDE, "open": False}
