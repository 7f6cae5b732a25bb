"""Reading BODACC `annonces-commerciales` records (familleavis "collective") into procedure events."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import orjson

from services.debtors.domain.procedures import ClosureReason, ProcedureEvent, ProcedureEventKind, ProcedureType

FRENCH_MONTHS = {
    "janvier": 1,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "decembre": 12,
}
GENERIC_NATURE = "autre jugement et ordonnance"
# Notices published among collective procedures that are not judgments on the procedure itself.
NOT_A_JUDGMENT = (
    "etat des creances",
    "depot de l'etat",
    "liste des creances",
    "etat des restitutions",
    "avis de depot",
)


@dataclass(frozen=True, slots=True)
class Announcement:
    """A BODACC record read as a procedure event of one SIREN."""

    announcement_id: str
    siren: str
    event: ProcedureEvent


@dataclass(frozen=True, slots=True)
class Ignored:
    announcement_id: str | None
    reason: str


@lru_cache(maxsize=8192)
def plain(text: str) -> str:
    """Lower case, no accents, straight apostrophes, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"\s+", " ", stripped.replace("\u2019", "'").lower()).strip()


def parse_judgment_date(raw: str) -> date:
    """ISO dates, or French text such as "10 décembre 2009" and "1er mars 2010"."""
    raw = raw.strip()
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        pass
    match = re.fullmatch(r"(\d{1,2})(?:er)?\s+([a-z]+)\s+(\d{4})", plain(raw))
    if not match or match.group(2) not in FRENCH_MONTHS:
        raise ValueError(f"unreadable judgment date {raw!r}")
    return date(int(match.group(3)), FRENCH_MONTHS[match.group(2)], int(match.group(1)))


def _judgment(record: dict[str, Any]) -> dict[str, Any]:
    raw = record.get("jugement")
    if isinstance(raw, str):
        raw = orjson.loads(raw)
    if not isinstance(raw, dict):
        raise ValueError("no jugement")
    return raw


def is_siren(candidate: str) -> bool:
    """Nine digits passing the Luhn check (what python-stdnum checks, inlined for ingestion speed)."""
    if len(candidate) != 9 or not candidate.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(candidate)):
        value = (ord(char) - 48) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _siren(record: dict[str, Any]) -> str:
    registre = record.get("registre") or []
    if isinstance(registre, str):
        registre = [registre]
    for entry in registre:
        candidate = "".join(str(entry).split())
        if is_siren(candidate):
            return candidate
    raise ValueError("no valid SIREN in registre")


@lru_cache(maxsize=8192)
def classify(
    nature: str, complement: str
) -> tuple[ProcedureType, ProcedureEventKind, ClosureReason | None, bool] | str:
    """What judgment a notice's wording names, or why it names none (cached: wordings repeat)."""
    nature, complement = plain(nature), plain(complement)
    # The generic nature says nothing: the real judgment is in the complement.
    text = complement if (not nature or nature == GENERIC_NATURE) else nature
    if any(marker in text for marker in NOT_A_JUDGMENT):
        return "not a judgment on the procedure"
    found = _event_in(text)
    if found is None:
        return f"no known judgment in {text[:80]!r}"
    kind, closure_reason = found
    procedure = _procedure_in(text)
    if procedure is None:
        if kind != ProcedureEventKind.CLOSURE:
            return f"no known procedure in {text[:80]!r}"
        procedure = ProcedureType.LIQUIDATION_JUDICIAIRE  # closures for lack of assets end a liquidation
    return procedure, kind, closure_reason, "simplifiee" in text


def _procedure_in(text: str) -> ProcedureType | None:
    if "sauvegarde acceleree" in text:
        return ProcedureType.SAUVEGARDE_ACCELEREE
    if "sauvegarde" in text:
        return ProcedureType.SAUVEGARDE
    if "redressement" in text:
        return ProcedureType.REDRESSEMENT_JUDICIAIRE
    if "liquidation" in text:
        return ProcedureType.LIQUIDATION_JUDICIAIRE
    return None


def _event_in(text: str) -> tuple[ProcedureEventKind, ClosureReason | None] | None:
    if "conversion" in text:
        return ProcedureEventKind.CONVERSION, None
    if "cloture" in text:
        if "extinction du passif" in text:
            return ProcedureEventKind.CLOSURE, ClosureReason.EXTINGUISHED_DEBTS
        return ProcedureEventKind.CLOSURE, ClosureReason.LACK_OF_ASSETS
    if "resolution du plan" in text:
        return ProcedureEventKind.PLAN_RESOLUTION, None
    if "plan" in text and ("arretant" in text or "arrete" in text):
        return ProcedureEventKind.PLAN_ADOPTED, None
    if "ouverture" in text or "ouvrant" in text:
        return ProcedureEventKind.OPENING, None
    return None


def read_record(record: dict[str, Any]) -> Announcement | Ignored:
    """One record → an announcement, or why it is ignored. Never raises on bad input."""
    announcement_id = record.get("id") if isinstance(record.get("id"), str) else None
    if record.get("familleavis") != "collective":
        return Ignored(announcement_id, "not a collective procedure notice")
    if not announcement_id:
        return Ignored(None, "no announcement id")
    try:
        judgment = _judgment(record)
        siren = _siren(record)
        found = classify(str(judgment.get("nature") or ""), str(judgment.get("complementJugement") or ""))
        if isinstance(found, str):
            return Ignored(announcement_id, found)
        procedure, kind, closure_reason, simplified = found
        publication = record.get("dateparution")
        event = ProcedureEvent(
            procedure=procedure,
            event=kind,
            judgment_date=parse_judgment_date(str(judgment.get("date") or "")),
            publication_date=date.fromisoformat(publication) if publication else None,
            court=record.get("tribunal"),
            closure_reason=closure_reason,
            simplified=simplified,
        )
    except (ValueError, TypeError) as exc:
        return Ignored(announcement_id, f"unreadable record: {exc}")
    return Announcement(announcement_id=announcement_id, siren=siren, event=event)
