"""BODACC wordings as published, each with the procedure, event and créance deadline it must yield (tests/data)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from services.debtors.domain.bodacc import Announcement, Ignored, read_record

WORDINGS: list[dict[str, Any]] = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "bodacc" / "wordings.json").read_text()
)
RECORD_FIELDS = ("tribunal", "dateparution", "numerodepartement", "typeavis", "parutionavisprecedent")


def record_of(index: int, wording: dict[str, Any]) -> dict[str, Any]:
    judgment = {"nature": wording["nature"], "date": wording["judgment_date"]}
    if "complement" in wording:
        judgment["complementJugement"] = wording["complement"]
    record = {"id": f"W-{index}", "familleavis": "collective", "registre": ["552 100 554", "552100554"]}
    record |= {field: wording[field] for field in RECORD_FIELDS if field in wording}
    return record | {"jugement": json.dumps(judgment, ensure_ascii=False)}


def test_the_table_covers_at_least_forty_distinct_wordings() -> None:
    distinct = {(wording["nature"], wording.get("complement")) for wording in WORDINGS}
    assert len(distinct) >= 40


@pytest.mark.parametrize(
    ("index", "wording"),
    list(enumerate(WORDINGS)),
    ids=[f"{i}-{w['nature'][:50]}-{w.get('complement', '')[:30]}" for i, w in enumerate(WORDINGS)],
)
def test_wording_yields_its_procedure_event_and_deadline(index: int, wording: dict[str, Any]) -> None:
    read = read_record(record_of(index, wording), today=date(2028, 1, 1))
    expected = wording["expected"]
    if expected is None:
        assert isinstance(read, Ignored) and read.reason
        return
    assert isinstance(read, Announcement), read
    event = read.event
    creance = event.creance
    found = {
        "procedure": event.procedure.value,
        "event": event.event.value,
        "creance_deadline": creance.due.isoformat() if creance else None,
        "creance_deadline_legal": creance.legal.isoformat() if creance else None,
        "closure_reason": event.closure_reason.value if event.closure_reason else None,
        "simplified": event.simplified,
        "publication_date": event.publication_date.isoformat() if event.publication_date else None,
        "court_seat": event.court_seat,
    }
    defaults = {"closure_reason": None, "simplified": False, "publication_date": wording["dateparution"]}
    assert {key: found[key] for key in found if key in expected or key in defaults} == defaults | expected


def test_a_record_published_after_today_is_left_for_its_day() -> None:
    wording = WORDINGS[0]
    read = read_record(record_of(0, wording), today=date.fromisoformat(wording["dateparution"]).replace(day=1))
    assert isinstance(read, Ignored) and "after today" in read.reason
