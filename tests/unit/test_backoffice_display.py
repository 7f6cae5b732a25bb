"""What the back office shows and reads: money, dates and days, the API's problems by field, uploaded records."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from backoffice.api import Problem
from backoffice.formats import day, days_left, moment, money, words
from backoffice.pages.bodacc import records_in
from backoffice.users import entry, load_people


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("8500", "EUR", "8,500.00 EUR"),
        ("1234567.8", "EUR", "1,234,567.80 EUR"),
        (Decimal("0.1") + Decimal("0.2"), "GBP", "0.30 GBP"),
        ("-500.00", "EUR", "-500.00 EUR"),
        (None, "EUR", "—"),
    ],
)
def test_money_is_shown_with_two_decimals_and_its_currency(amount: str | None, currency: str, shown: str) -> None:
    assert money(amount, currency) == shown


def test_dates_are_shown_as_dates_and_deadlines_as_days_left() -> None:
    assert day("2027-02-01") == "1 Feb 2027" and day(None) == "—"
    assert moment("2026-12-01T03:29:00.123Z") == "1 Dec 2026 03:29 UTC"
    today = date(2026, 12, 1)
    assert [days_left(due, today) for due in ("2026-12-01", "2026-12-02", "2027-01-30", "2026-11-28", None)] == [
        "today",
        "in 1 day",
        "in 60 days",
        "3 days late",
        "",
    ]


def test_french_legal_terms_keep_their_french_names() -> None:
    assert words("creance_to_file") == "créance to file"
    assert words("collection:send_formal_notice") == "mise en demeure to send"
    assert words("collection:request_injonction_de_payer") == "injonction de payer to request"
    assert words("sauvegarde_acceleree") == "sauvegarde accélérée"
    assert words("waiting_period_ends") == "waiting period ends"


def test_a_problem_is_shown_next_to_each_field_it_names() -> None:
    validation = Problem(
        422,
        {
            "code": "VALIDATION_FAILED",
            "detail": "2 fields",
            "errors": [
                {"loc": ["body", "amount"], "msg": "Value error, not a decimal amount", "type": "value_error"},
                {"loc": ["body", "invoices", 0, "due_date"], "msg": "Input should be a valid date", "type": "x"},
                {"loc": ["body"], "msg": "Field required", "type": "missing"},
            ],
        },
    )
    assert validation.by_field() == {"amount": "not a decimal amount", "due_date": "Input should be a valid date"}
    rule = Problem(422, {"code": "DATE_IN_FUTURE", "detail": "filed_on is after today", "field": "filed_on"})
    assert rule.by_field() == {"filed_on": "filed_on is after today"}
    assert Problem(503, {}).message == "The suite answered 503."


def test_an_upload_is_read_as_a_json_array_one_record_or_json_lines() -> None:
    record = {"id": "A202600011234", "familleavis": "collective"}
    assert records_in(json.dumps([record, record]).encode()) == [record, record]
    assert records_in(("\ufeff" + json.dumps(record)).encode()) == [record]
    assert records_in(f"{json.dumps(record)}\n\n{json.dumps(record)}\n".encode()) == [record, record]
    for bad in (b"{not json", b"[1, 2]", "é".encode("latin-1")):
        with pytest.raises(ValueError):
            records_in(bad)


def test_the_users_file_holds_back_office_people_only(tmp_path: Path) -> None:
    path = tmp_path / "people.json"
    path.write_text(json.dumps([entry("anne.leroy", "Anne Leroy", "claims_handler,underwriter", "pw")]))
    person = load_people(path)["anne.leroy"]
    assert person.name == "Anne Leroy" and person.may(*person.roles) and "pw" not in person.password_hash
    for wrong in (entry("bob", "Bob", "insured", "pw"), entry("Bob Smith", "Bob", "admin", "pw")):
        path.write_text(json.dumps([wrong]))
        with pytest.raises(ValueError):
            load_people(path)
