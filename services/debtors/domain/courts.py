"""Where a court sits: metropolitan France (FR), Alsace-Moselle (FR-57, FR-67, FR-68) or an overseas territory.

The seat decides the créance deadline's extension for distant creditors (Code de commerce R622-24 al. 2-3) and
which public holidays move a deadline (Code de procédure civile art. 642).
"""

from __future__ import annotations

import re
import unicodedata

# BODACC's numerodepartement of the overseas departments and collectivities, and their ISO 3166 codes.
OVERSEAS_BY_DEPARTMENT = {
    "971": "GP",
    "972": "MQ",
    "973": "GF",
    "974": "RE",
    "975": "PM",
    "976": "YT",
    "977": "BL",
    "978": "MF",
    "986": "WF",
    "987": "PF",
    "988": "NC",
}
OVERSEAS = frozenset(OVERSEAS_BY_DEPARTMENT.values())
ALSACE_MOSELLE = frozenset({"57", "67", "68"})
SEATS = frozenset({"FR", *(f"FR-{department}" for department in ALSACE_MOSELLE), *OVERSEAS})

# Towns (and territories) in the names of the courts that hear collective procedures outside the general case.
_SEAT_OF_NAME = {
    "pointe-a-pitre": "GP",
    "basse-terre": "GP",
    "guadeloupe": "GP",
    "fort-de-france": "MQ",
    "martinique": "MQ",
    "cayenne": "GF",
    "guyane": "GF",
    "saint-denis": "RE",
    "saint-pierre": "RE",  # the tribunal mixte de commerce of Saint-Pierre, La Réunion
    "reunion": "RE",
    "miquelon": "PM",
    "premiere-instance-de-saint-pierre": "PM",
    "mamoudzou": "YT",
    "mayotte": "YT",
    "saint-martin": "MF",
    "saint-barthelemy": "BL",
    "mata-utu": "WF",
    "wallis": "WF",
    "papeete": "PF",
    "polynesie": "PF",
    "noumea": "NC",
    "nouvelle-caledonie": "NC",
    "strasbourg": "FR-67",
    "saverne": "FR-67",
    "colmar": "FR-68",
    "mulhouse": "FR-68",
    "metz": "FR-57",
    "sarreguemines": "FR-57",
    "thionville": "FR-57",
}
# Longer names first: "premiere-instance-de-saint-pierre" before "saint-pierre", "saint-pierre" before nothing.
_NAMES = sorted(_SEAT_OF_NAME, key=len, reverse=True)


def _hyphenated(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.lower())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return "-" + re.sub(r"[^a-z0-9]+", "-", plain).strip("-") + "-"


def court_seat(name: str | None, department: str | None = None) -> str | None:
    """The seat of a court from its department (BODACC's numerodepartement) or, failing that, its name."""
    if department:
        department = department.strip().upper()
        if department in OVERSEAS_BY_DEPARTMENT:
            return OVERSEAS_BY_DEPARTMENT[department]
        return f"FR-{department}" if department in ALSACE_MOSELLE else "FR"
    if not name or not name.strip():
        return None
    hyphenated = _hyphenated(name)
    return next((_SEAT_OF_NAME[town] for town in _NAMES if f"-{town}-" in hyphenated), "FR")
