"""Every BODACC sample reads as expected.json says (the samples are copied from the project's shared data)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from services.claims.domain.creance import creance_deadline as creditor_deadline
from services.debtors.domain.bodacc import Announcement, Ignored, parse_judgment_date, read_record
from services.debtors.domain.procedures import (
    ProcedureEvent,
    ProcedureEventKind,
    ProcedureType,
    creance_deadline,
    state_of,
)
from services.kit.dates import add_months

DATA = Path(__file__).resolve().parents[1] / "data" / "bodacc"
SAMPLES = {record["id"]: record for record in json.loads((DATA / "samples.json").read_text())}
EXPECTED: dict[str, Any] = json.loads((DATA / "expected.json").read_text())


def test_every_sample_has_an_expectation() -> None:
    assert set(SAMPLES) == set(EXPECTED)


@pytest.mark.parametrize("announcement_id", sorted(EXPECTED))
def test_sample_reads_as_expected(announcement_id: str) -> None:
    read = read_record(SAMPLES[announcement_id])
    expected = EXPECTED[announcement_id]
    if expected is None:
        assert isinstance(read, Ignored)
        return
    assert isinstance(read, Announcement), read
    deadline = read.event.creance_deadline
    assert {
        "siren": read.siren,
        "procedure": read.event.procedure.value,
        "event": read.event.event.value,
        "judgment_date": read.event.judgment_date.isoformat(),
        "publication_date": read.event.publication_date.isoformat() if read.event.publication_date else None,
        "creance_deadline": deadline.isoformat() if deadline else None,
    } == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10 décembre 2009", date(2009, 12, 10)),
        ("1er mars 2010", date(2010, 3, 1)),
        ("2026-08-31", date(2026, 8, 31)),
        ("2026-08-31T00:00:00", date(2026, 8, 31)),
        ("2026-08-31T10:30:00+02:00", date(2026, 8, 31)),
    ],
)
def test_judgment_dates_in_iso_or_french(text: str, expected: date) -> None:
    assert parse_judgment_date(text) == expected


def a_liquidation(**changes: Any) -> dict[str, Any]:
    """A real liquidation record (the first LJ opening of the samples) with some fields changed."""
    opening = next(record for record in SAMPLES.values() if isinstance(read_record(record), Announcement))
    return {**opening, **changes}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"dateparution": None}, "no publication date"),
        ({"dateparution": ""}, "no publication date"),
        ({"dateparution": 20260615}, "not a date"),
        ({"dateparution": "20260615"}, "not a date"),
        ({"dateparution": "2026-06-05garbage"}, "not a date"),
        ({"dateparution": "2026-06-05T25:99:99"}, "not a date"),
        ({"dateparution": "2026-06-05 "}, "not a date"),
        ({"dateparution": "\uff12\uff10\uff12\uff16-06-05"}, "not a date"),
        ({"dateparution": "1899-12-31"}, "not a date of a procedure"),
        ({"dateparution": "2200-01-01T00:00:00"}, "not a date of a procedure"),
        ({"parutionavisprecedent": {"dateParution": "2026-06-01xyz"}, "typeavis": "rectificatif"}, "not a date"),
        (
            {
                "jugement": json.dumps(
                    {"nature": "Jugement d'ouverture de liquidation judiciaire", "date": "1er mars 0001"}
                )
            },
            "not a date of a procedure",
        ),
        (
            {
                "jugement": json.dumps(
                    {"nature": "Jugement d'ouverture de liquidation judiciaire", "date": "9999-12-31"}
                )
            },
            "not a date of a procedure",
        ),
        (
            {"jugement": json.dumps({"nature": "Jugement d'ouverture de liquidation judiciaire", "date": 20200101})},
            "20200101",
        ),
    ],
)
def test_a_record_without_a_readable_publication_or_judgment_date_is_ignored(
    changes: dict[str, Any], reason: str
) -> None:
    read = read_record(a_liquidation(**changes))
    assert isinstance(read, Ignored) and reason in read.reason, read


def test_deadline_is_clamped_to_the_last_day_of_the_month() -> None:
    assert add_months(date(2026, 12, 31), 2) == date(2027, 2, 28)
    assert creance_deadline(date(2027, 12, 31)).legal == date(2028, 2, 29)
    assert creditor_deadline(date(2026, 6, 30), court_seat="FR", creditor="DE").legal == date(2026, 10, 30)


def test_filing_of_the_list_of_claims_is_never_an_opening() -> None:
    record = {
        **SAMPLES["SYN-0002"],
        "id": "SYN-X",
        "jugement": {"famille": "Avis", "nature": "Dépôt de l'état des créances", "date": "2026-09-01"},
    }
    assert isinstance(read_record(record), Ignored)


def test_garbage_record_is_ignored_with_a_reason() -> None:
    for record in ({"id": "X", "familleavis": "collective", "registre": ["123"], "jugement": "{"}, {"id": 5}, {}):
        assert isinstance(read_record(record), Ignored)


def test_conversion_without_its_opening_is_flagged_not_invented() -> None:
    conversion = read_record(SAMPLES["A200902491993"])
    assert isinstance(conversion, Announcement)
    state = state_of([conversion.event])
    assert state.procedure == ProcedureType.LIQUIDATION_JUDICIAIRE and state.insolvent
    assert state.opening_missing and state.creance_deadline is None


def test_conversion_keeps_the_deadline_of_the_opening() -> None:
    opening, conversion = (read_record(SAMPLES[key]) for key in ("SYN-0002", "SYN-0003"))
    assert isinstance(opening, Announcement) and isinstance(conversion, Announcement)
    state = state_of([conversion.event, opening.event])
    assert state.procedure == ProcedureType.LIQUIDATION_JUDICIAIRE
    assert state.creance_deadline == date(2026, 6, 2) and not state.opening_missing


def test_sauvegarde_is_not_insolvency_and_closure_ends_the_procedure() -> None:
    sauvegarde = ProcedureEvent(
        ProcedureType.SAUVEGARDE, ProcedureEventKind.OPENING, date(2026, 3, 4), date(2026, 3, 12)
    )
    assert state_of([sauvegarde]).open and not state_of([sauvegarde]).insolvent
    closure = ProcedureEvent(ProcedureType.LIQUIDATION_JUDICIAIRE, ProcedureEventKind.CLOSURE, date(2026, 10, 14), None)
    assert not state_of([sauvegarde, closure]).open


def test_inlined_siren_check_agrees_with_python_stdnum() -> None:
    import random

    from stdnum.fr import siren as siren_number

    from services.debtors.domain.bodacc import is_siren

    rng = random.Random(5)
    candidates = [f"{rng.randrange(10**9):09d}" for _ in range(20_000)] + [
        "356000000",
        "732829320",
        "12345678",
        "1234567890",
        "73282932a",
    ]
    assert all(is_siren(candidate) == siren_number.is_valid(candidate) for candidate in candidates)
