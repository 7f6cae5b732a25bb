"""Company identifiers agree with each other: a French VAT number and a SIRET carry the debtor's own SIREN."""

from __future__ import annotations

import pytest

from services.debtors.domain.errors import InvalidIdentifier
from services.debtors.domain.identifiers import french_vat_for, identifiers_for

DANONE_SIREN, DANONE_VAT = "552032534", "FR27552032534"  # Danone SA, as published in the registry
TOTAL_SIREN, TOTAL_VAT = "542051180", "FR59542051180"  # TotalEnergies SE
TOTAL_SIRET = "54205118000066"  # its head office


def french(**given: str | None) -> dict[str, str | None]:
    return {"country": "FR", "siren": None, "siret": None, "vat_number": None, "lei": None, "national_id": None} | given


@pytest.mark.parametrize(("siren", "vat"), [(DANONE_SIREN, DANONE_VAT), (TOTAL_SIREN, TOTAL_VAT)])
def test_french_vat_key_is_computed_from_the_siren(siren: str, vat: str) -> None:
    assert french_vat_for(siren) == vat


def test_a_debtor_keeps_its_own_vat_number() -> None:
    assert identifiers_for(**french(siren=DANONE_SIREN, vat_number=DANONE_VAT)).vat_number == DANONE_VAT


def test_another_companys_valid_vat_number_is_refused() -> None:
    with pytest.raises(InvalidIdentifier) as refused:
        identifiers_for(**french(siren=DANONE_SIREN, vat_number=TOTAL_VAT))
    assert refused.value.extra["field"] == "vat_number" and DANONE_VAT in refused.value.detail


def test_vat_number_is_checked_against_the_siren_a_siret_gives() -> None:
    assert identifiers_for(**french(siret=TOTAL_SIRET, vat_number=TOTAL_VAT)).siren == TOTAL_SIREN
    with pytest.raises(InvalidIdentifier):
        identifiers_for(**french(siret=TOTAL_SIRET, vat_number=DANONE_VAT))


def test_a_siret_must_start_with_the_siren() -> None:
    with pytest.raises(InvalidIdentifier) as refused:
        identifiers_for(**french(siren=DANONE_SIREN, siret=TOTAL_SIRET))
    assert refused.value.extra["field"] == "siret"
