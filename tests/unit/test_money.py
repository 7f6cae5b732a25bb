from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from services.kit.money import Amount, CurrencyCode, Rate, to_cents
from services.kit.types import ExactDecimal


class Priced(BaseModel):
    amount: Amount
    currency: CurrencyCode
    rate: Rate = Decimal("0.9")


def test_rounding_is_half_up_to_the_cent() -> None:
    assert to_cents(Decimal("0.005")) == Decimal("0.01")
    assert to_cents(Decimal("2.675")) == Decimal("2.68")
    assert to_cents(Decimal("-0.005")) == Decimal("-0.01")


def test_amounts_travel_as_decimal_strings() -> None:
    priced = Priced(amount="12500", currency="EUR")
    assert priced.model_dump(mode="json") == {"amount": "12500.00", "currency": "EUR", "rate": "0.90"}


@pytest.mark.parametrize("amount", ["-1.00", "1.001", "abc", "1e400"])
def test_bad_amounts_are_refused(amount: str) -> None:
    with pytest.raises(ValidationError):
        Priced(amount=amount, currency="EUR")


@pytest.mark.parametrize("currency", ["EURO", "eur", "XYZ", ""])
def test_unknown_currencies_are_refused(currency: str) -> None:
    with pytest.raises(ValidationError):
        Priced(amount="1", currency=currency)


def test_exact_decimal_column_round_trips_without_float() -> None:
    column = ExactDecimal(2)
    stored = column.process_bind_param(Decimal("1234567890.12"), None)
    assert stored == 123456789012
    assert column.process_result_value(stored, None) == Decimal("1234567890.12")
    with pytest.raises(ValueError, match="decimal places"):
        column.process_bind_param(Decimal("0.001"), None)


def test_ids_sort_in_creation_order_even_within_a_millisecond() -> None:
    from services.kit.types import new_id

    ids = [new_id() for _ in range(10_000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) and {item.version for item in ids} == {7}


@pytest.mark.parametrize("number", [0, 12500, 12500.5, 0.1])
def test_a_json_number_is_refused_where_money_is_a_decimal_string(number: float) -> None:
    # A client's float (0.1 + 0.2) would arrive as 0.30000000000000004: the contract is a string, and only a string.
    with pytest.raises(ValidationError, match="never a JSON number"):
        Priced.model_validate({"amount": number, "currency": "EUR"})
    with pytest.raises(ValidationError, match="decimal string"):
        Priced.model_validate({"amount": "1.00", "currency": "EUR", "rate": 0.9})
