"""Cover stopped by claims: the earliest claim still open on the delivery day counts."""

from __future__ import annotations

from datetime import date

from services.debtors.domain.limits import claim_stop_on

MAY_10, JUNE_1, AUG_1 = date(2026, 5, 10), date(2026, 6, 1), date(2026, 8, 1)


def test_a_delivery_before_any_claim_is_not_stopped() -> None:
    assert claim_stop_on([(MAY_10, None)], date(2026, 5, 9)) is None


def test_the_earliest_claim_still_open_stops_cover() -> None:
    stops = [(JUNE_1, None), (MAY_10, None)]
    assert claim_stop_on(stops, date(2026, 7, 1)) == MAY_10


def test_a_claim_closed_on_or_before_the_day_no_longer_stops_cover() -> None:
    stops = [(MAY_10, AUG_1), (JUNE_1, date(2026, 6, 15))]
    assert claim_stop_on(stops, AUG_1) is None
    assert claim_stop_on(stops, date(2026, 6, 20)) == MAY_10
    assert claim_stop_on(stops, date(2026, 6, 10)) == MAY_10
    assert claim_stop_on([(JUNE_1, date(2026, 6, 15))], date(2026, 6, 10)) == JUNE_1


def test_no_claims_no_stop() -> None:
    assert claim_stop_on([], AUG_1) is None
