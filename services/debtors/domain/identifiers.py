"""Company identifiers, checked with python-stdnum: SIREN/SIRET (Luhn, La Poste), EU VAT, LEI."""

from __future__ import annotations

from dataclasses import dataclass

from stdnum import lei as lei_number
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.fr import siren as siren_number
from stdnum.fr import siret as siret_number

from services.debtors.domain.errors import InvalidIdentifier


@dataclass(frozen=True, slots=True)
class Identifiers:
    national_id: str
    siren: str | None = None
    siret: str | None = None
    vat_number: str | None = None
    lei: str | None = None


def _checked(kind: str, value: str, module: object) -> str:
    try:
        return module.validate(value)  # type: ignore[attr-defined,no-any-return]
    except ValidationError as exc:
        raise InvalidIdentifier(f"{kind} {value!r} is not valid: {exc}.", field=kind.lower()) from exc


def french_vat_for(siren: str) -> str:
    """The French VAT number of a SIREN: FR, a key of (12 + 3 x (SIREN mod 97)) mod 97, the SIREN (CGI art. 286 ter)."""
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def _vat_of_siren(vat: str, siren: str) -> None:
    # A French VAT number carries its company's SIREN: another company's valid number is refused.
    if vat[4:] != siren or (vat[2:4].isdigit() and vat != french_vat_for(siren)):
        raise InvalidIdentifier(
            f"VAT number {vat} is not the VAT number of SIREN {siren} ({french_vat_for(siren)}).", field="vat_number"
        )


def identifiers_for(
    *,
    country: str,
    siren: str | None,
    siret: str | None,
    vat_number: str | None,
    lei: str | None,
    national_id: str | None,
) -> Identifiers:
    """Validate and normalise; a French debtor is known by its SIREN, others by their national id."""
    siren = _checked("SIREN", siren, siren_number) if siren else None
    siret = _checked("SIRET", siret, siret_number) if siret else None
    if siret:
        from_siret = siret_number.to_siren(siret)
        if siren and siren != from_siret:
            raise InvalidIdentifier(f"SIRET {siret} does not belong to SIREN {siren}.", field="siret")
        siren = from_siret
    vat = _checked("VAT", vat_number, eu_vat) if vat_number else None
    if vat and vat[:2] not in {country, "EL" if country == "GR" else country}:
        raise InvalidIdentifier(f"VAT number {vat} is not a {country} number.", field="vat_number")
    checked_lei = _checked("LEI", lei, lei_number) if lei else None
    if country == "FR":
        if not siren:
            raise InvalidIdentifier("A French debtor needs its SIREN or a SIRET.", field="siren")
        if vat:
            _vat_of_siren(vat, siren)
        if national_id and national_id.replace(" ", "") != siren:
            raise InvalidIdentifier("For a French debtor the national id is the SIREN.", field="national_id")
        return Identifiers(national_id=siren, siren=siren, siret=siret, vat_number=vat, lei=checked_lei)
    if siren or siret:
        raise InvalidIdentifier("SIREN and SIRET are French identifiers.", field="siren")
    if not national_id or not national_id.strip():
        raise InvalidIdentifier("A debtor outside France needs its national id.", field="national_id")
    return Identifiers(national_id=national_id.strip(), vat_number=vat, lei=checked_lei)
