"""Code de commerce R622-24: two months from the opening's publication, two more for a creditor far from the court."""

from __future__ import annotations

from datetime import date

import pytest

from services.claims.domain.creance import (
    creance_deadline,
    creance_months,
    creditor_territory,
    relief_action_deadline,
    relief_filing_deadline,
)
from services.debtors.domain.courts import court_seat

# A real case: BODACC A202601721671, a liquidation judiciaire opened at the tribunal de commerce of Evry,
# published on 9 September 2026.
PUBLISHED = date(2026, 9, 9)


@pytest.mark.parametrize(
    ("seat", "creditor", "months"),
    [
        ("FR", "FR", 2),  # metropolitan court, metropolitan creditor
        ("FR-57", "FR", 2),  # Alsace-Moselle is metropolitan France
        ("FR", "DE", 4),  # abroad
        ("FR", "RE", 4),  # an overseas department is outside metropolitan France
        ("FR", "NC", 4),  # an overseas collectivity too
        ("RE", "RE", 2),  # a court in La Réunion, a creditor living there
        ("RE", "FR", 4),  # a court overseas: a metropolitan creditor is far
        ("RE", "YT", 4),  # another overseas department is another territory
        ("GP", "BL", 4),  # Saint-Barthélemy is not Guadeloupe
        ("NC", "NC", 2),
        ("PF", "WF", 4),
        (None, "FR", 2),  # a court not known is taken for metropolitan
        (None, "BE", 4),
    ],
)
def test_the_distance_extension_follows_the_court_and_the_creditor(
    seat: str | None, creditor: str, months: int
) -> None:
    assert creance_months(court_seat=seat, creditor=creditor) == months


@pytest.mark.parametrize(
    ("country", "postcode", "territory"),
    [
        ("FR", "75008", "FR"),
        ("FR", None, "FR"),
        ("FR", "97400", "RE"),
        ("FR", "97 200", "MQ"),
        ("FR", "97133", "BL"),
        ("FR", "97150", "MF"),
        ("FR", "97100", "GP"),
        ("FR", "97300", "GF"),
        ("FR", "97600", "YT"),
        ("FR", "97500", "PM"),
        ("FR", "98800", "NC"),
        ("FR", "98714", "PF"),
        ("FR", "98600", "WF"),
        ("RE", None, "RE"),
        ("DE", "97400", "DE"),
    ],
)
def test_the_creditors_domicile_comes_from_its_country_or_its_french_postal_code(
    country: str, postcode: str | None, territory: str
) -> None:
    assert creditor_territory(country, postcode) == territory


def test_the_evry_liquidation_gives_each_creditor_its_own_deadline() -> None:
    metropolitan = creance_deadline(PUBLISHED, court_seat="FR", creditor="FR")
    assert (metropolitan.legal, metropolitan.due) == (date(2026, 11, 9), date(2026, 11, 9))
    # Four months end on Saturday 9 January 2027: the créance is due on Monday 11 (CPC art. 642).
    reunion = creance_deadline(PUBLISHED, court_seat="FR", creditor=creditor_territory("FR", "97490"))
    assert (reunion.legal, reunion.due) == (date(2027, 1, 9), date(2027, 1, 11))


def test_relief_is_asked_within_six_months_and_halves_the_period_from_its_notification() -> None:
    assert relief_action_deadline(PUBLISHED, court_seat="FR").due == date(2027, 3, 9)
    assert relief_filing_deadline(date(2027, 2, 10), court_seat="FR", creditor="FR").due == date(2027, 3, 10)
    assert relief_filing_deadline(date(2027, 2, 10), court_seat="FR", creditor="DE").due == date(2027, 4, 12)


@pytest.mark.parametrize(
    ("name", "department", "seat"),
    [
        ("Greffe du Tribunal de Commerce d'Evry", None, "FR"),
        ("TRIBUNAL MIXTE DE COMMERCE DE POINTE-A-PITRE", None, "GP"),
        ("Tribunal mixte de commerce de Pointe à Pitre", None, "GP"),
        ("Tribunal mixte de commerce de Fort-de-France", None, "MQ"),
        ("Tribunal mixte de commerce de Cayenne", None, "GF"),
        ("Tribunal mixte de commerce de Saint-Denis de La Réunion", None, "RE"),
        ("Tribunal mixte de commerce de Saint-Pierre", None, "RE"),
        ("Tribunal de première instance de Saint-Pierre", None, "PM"),
        ("Tribunal mixte de commerce de Mamoudzou", None, "YT"),
        ("Tribunal mixte de commerce de Nouméa", None, "NC"),
        ("Tribunal mixte de commerce de Papeete", None, "PF"),
        ("Tribunal judiciaire de Strasbourg, chambre commerciale", None, "FR-67"),
        ("Tribunal judiciaire de Metz", None, "FR-57"),
        ("Greffe du Tribunal de Commerce de Paris", "75", "FR"),
        ("Greffe", "974", "RE"),
        ("Greffe", "68", "FR-68"),
        (None, None, None),
    ],
)
def test_the_courts_seat_is_read_from_its_department_or_its_name(
    name: str | None, department: str | None, seat: str | None
) -> None:
    assert court_seat(name, department) == seat
