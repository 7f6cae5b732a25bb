"""Reading BODACC `annonces-commerciales` records (familleavis "collective") into procedure events."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import orjson

from services.debtors.domain.courts import court_seat
from services.debtors.domain.procedures import ClosureReason, ProcedureEvent, ProcedureEventKind, ProcedureType
from services.kit.schemas import unsafe_character

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
# Natures that say only "a judgment": the judgment itself is told in complementJugement.
GENERIC_NATURES = frozenset(
    {
        "",
        "autre jugement et ordonnance",
        "autre jugement prononcant",
        "autre jugement d'ouverture",
        "autre jugement de cloture",
        "autre arret de la cour d'appel",
        "arret de la cour d'appel infirmant une decision soumise a publicite",
    }
)
# Notices published among collective procedures that are not judgments on the procedure itself.
NOTICES = re.compile(
    r"etat des creances|etat de collocation|projet de repartition|liste des creances|etat des restitutions"
    r"|avis de depot|depot de l'etat|depot du projet"
)
# What is said of the observation period (renewed, extended, ended) changes nothing a creditor acts on.
OBSERVATION_PERIOD = re.compile(r"[a-z']*\s*(de |d')?la periode d'observation")
PLAN = re.compile(
    r"plan (?:de |d')?(sauvegarde (?:financiere )?acceleree|sauvegarde|redressement|continuation|cession"
    r"|traitement de sortie de crise)"
)
PROCEDURES = (
    (re.compile(r"sauvegarde (?:financiere )?acceleree"), ProcedureType.SAUVEGARDE_ACCELEREE),
    (re.compile(r"sauvegarde"), ProcedureType.SAUVEGARDE),
    (re.compile(r"redressement judiciaire"), ProcedureType.REDRESSEMENT_JUDICIAIRE),
    (re.compile(r"liquidation (?:judiciaire|des biens)"), ProcedureType.LIQUIDATION_JUDICIAIRE),
)
# Procedures whose creditors do not declare créances to a mandataire (or that no longer exist): not followed.
OTHER_PROCEDURES = re.compile(r"retablissement professionnel|traitement de sortie de crise|conciliation|mandat ad hoc")
# An opening the judgment pronounces (not the "jugement d'ouverture" an appeal sets aside).
OPENS = re.compile(r"\bouvr(?:e|ant)\b|\bprononc\w* l'ouverture")
CONVERTED_TO = re.compile(r"\ben (redressement judiciaire|liquidation (?:judiciaire|des biens))")
LJ_PRONOUNCED = re.compile(r"prononc\w* (?:la |une )?liquidation judiciaire")
ACTS = {
    "reversal": re.compile(r"\binfirm"),
    "conversion": re.compile(r"\bconver(?:sion|ti)"),
    "resolution": re.compile(r"\bresolution (?:du|de|d'un) plan"),
    "reopening": re.compile(r"reprise de la procedure|\breouverture"),
    "extension": re.compile(r"\bextension\b|\betendant\b"),
    "opening": re.compile(r"\bouverture\b|\bouvrant\b"),
    "plan_modified": re.compile(r"\bmodifi\w* (?:le |du |un )?plan\b|\bmodification du plan\b"),
    "plan_adopted": re.compile(r"\barret\w* (?:le |un )?plan\b|\bjugement de plan\b|\bhomologu\w* (?:le |un )?plan\b"),
    "closure": re.compile(r"\bcloture\b|\bmet\w* fin a la procedure\b"),
}


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


ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A procedure published before 1900 or after 2199 is a typing error, never a deadline to compute.
YEARS = range(1900, 2200)


def _in_years(day: date, value: Any) -> date:
    if day.year not in YEARS:
        raise ValueError(f"not a date of a procedure: {value!r}")
    return day


def iso_day(value: Any) -> date:
    """A date written as BODACC writes one, YYYY-MM-DD, alone or before a valid ISO time: not a number, nor
    20260615, nor 2026-06-05garbage."""
    if not isinstance(value, str) or not ISO_DAY.match(value):
        raise ValueError(f"not a date: {value!r}")
    try:
        day = date.fromisoformat(value) if len(value) == 10 else _day_of_a_time(value)
    except ValueError:
        raise ValueError(f"not a date: {value!r}") from None
    return _in_years(day, value)


def _day_of_a_time(value: str) -> date:
    if value[10] not in "T ":
        raise ValueError(value)
    return datetime.fromisoformat(value).date()


def parse_judgment_date(raw: Any) -> date:
    """ISO dates, or French text such as "10 décembre 2009" and "1er mars 2010"."""
    if not isinstance(raw, str):
        raise ValueError(f"unreadable judgment date {raw!r}")
    raw = raw.strip()
    if ISO_DAY.match(raw):
        return iso_day(raw)
    match = re.fullmatch(r"(\d{1,2})(?:er)?\s+([a-z]+)\s+(\d{4})", plain(raw))
    if not match or match.group(2) not in FRENCH_MONTHS:
        raise ValueError(f"unreadable judgment date {raw!r}")
    return _in_years(date(int(match.group(3)), FRENCH_MONTHS[match.group(2)], int(match.group(1))), raw)


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


Judgment = tuple[ProcedureType, ProcedureEventKind, ClosureReason | None, bool]


@lru_cache(maxsize=8192)
def classify(nature: str, complement: str) -> Judgment | str:
    """What a notice's wording pronounces, read as a whole, or why it pronounces nothing (cached: wordings repeat)."""
    nature, complement = plain(nature), plain(complement)
    # A generic nature says nothing: the judgment is told in the complement.
    text = f"{nature} : {complement}" if nature in GENERIC_NATURES else nature
    if NOTICES.search(text):
        return "a notice of the procedure, not a judgment on it"
    if "confirm" in text.replace("infirm", ""):
        return "confirmed on appeal: nothing changes"
    plans = [match.group(1) for match in PLAN.finditer(text)]
    # Without the plan's own name ("plan de redressement"), a procedure named is one the judgment pronounces.
    rest = OBSERVATION_PERIOD.sub(" ", PLAN.sub("plan", text))
    found = {act: pattern.search(rest) for act, pattern in ACTS.items()}
    judgment = _pronounced(rest, found, plan=_plan_procedure(plans, rest), plan_kinds=frozenset(plans))
    if isinstance(judgment, str):
        return f"{judgment} in {text[:80]!r}"
    procedure, kind, reason = judgment
    return procedure, kind, reason, "simplifiee" in text


def _pronounced(
    rest: str, found: dict[str, re.Match[str] | None], *, plan: ProcedureType | None, plan_kinds: frozenset[str]
) -> tuple[ProcedureType, ProcedureEventKind, ClosureReason | None] | str:
    """The judgment's effect on the procedure: the strongest act it pronounces, whatever the order of its words."""
    Kind = ProcedureEventKind
    if found["reversal"]:
        return _reversal(rest, found, plan=plan)
    if found["conversion"]:
        target = CONVERTED_TO.search(rest)
        if not target:
            return "no procedure converted to"
        procedure = _procedure_after(target.group(1), 0)
        assert procedure is not None
        # A rétablissement professionnel converted to an LJ opens a new procedure (Code de commerce L645-9).
        return procedure, Kind.OPENING if OTHER_PROCEDURES.search(rest) else Kind.CONVERSION, None
    if found["reopening"]:
        return ProcedureType.LIQUIDATION_JUDICIAIRE, Kind.REOPENING, None
    for act, kind in (("extension", Kind.EXTENSION), ("opening", Kind.OPENING)):
        match = found[act]
        if match:
            procedure = _procedure_after(rest, match.start())
            return (procedure, kind, None) if procedure else "no known procedure"
    if found["resolution"]:
        return _resolution(rest, plan=plan, plan_kinds=plan_kinds)
    if not found["closure"] and LJ_PRONOUNCED.search(rest):
        return ProcedureType.LIQUIDATION_JUDICIAIRE, Kind.CONVERSION, None
    for act, kind in (("plan_modified", Kind.PLAN_MODIFIED), ("plan_adopted", Kind.PLAN_ADOPTED)):
        if found[act]:
            return plan or _procedure_after(rest, 0) or ProcedureType.REDRESSEMENT_JUDICIAIRE, kind, None
    closure = found["closure"]
    if closure:
        return _closure(rest, closure.start())
    return "no known judgment"


def _reversal(
    rest: str, found: dict[str, re.Match[str] | None], *, plan: ProcedureType | None
) -> tuple[ProcedureType, ProcedureEventKind, ClosureReason | None] | str:
    """An appeal sets a judgment aside; when it opens another procedure instead, that is an opening."""
    opens = OPENS.search(rest)
    if opens:
        procedure = _procedure_after(rest, opens.start())
        return (procedure, ProcedureEventKind.OPENING, None) if procedure else "no known procedure"
    if found["conversion"]:
        return "an appeal against a conversion: enter the procedure by hand"
    reversed_procedure = _procedure_after(rest, 0) or plan
    if reversed_procedure is None:
        return "no procedure named"
    return reversed_procedure, ProcedureEventKind.REVERSED_ON_APPEAL, None


def _resolution(
    rest: str, *, plan: ProcedureType | None, plan_kinds: frozenset[str]
) -> tuple[ProcedureType, ProcedureEventKind, None] | str:
    """A plan's resolution that pronounces a liquidation or a redressement converts the procedure (L626-27);
    alone it ends the procedure, but a sale plan's resolution leaves the liquidation going (L642-11)."""
    pronounced = {procedure for pattern, procedure in PROCEDURES if pattern.search(rest)}
    for procedure in (ProcedureType.LIQUIDATION_JUDICIAIRE, ProcedureType.REDRESSEMENT_JUDICIAIRE):
        if procedure in pronounced:
            return procedure, ProcedureEventKind.CONVERSION, None
    if plan_kinds == {"cession"}:
        return "a sale plan's resolution leaves the procedure going (L642-11)"
    return plan or ProcedureType.REDRESSEMENT_JUDICIAIRE, ProcedureEventKind.PLAN_RESOLUTION, None


def _closure(rest: str, position: int) -> tuple[ProcedureType, ProcedureEventKind, ClosureReason] | str:
    if OTHER_PROCEDURES.search(rest):
        return "the closure of a procedure whose créances are not declared"
    reason = ClosureReason.PROCEDURE_ENDED
    if "insuffisance d'actif" in rest:
        reason = ClosureReason.LACK_OF_ASSETS
    elif "extinction du passif" in rest:
        reason = ClosureReason.EXTINGUISHED_DEBTS
    # Closures for lack of assets or extinguished debts end a liquidation (L643-9).
    procedure = _procedure_after(rest, position) or ProcedureType.LIQUIDATION_JUDICIAIRE
    return procedure, ProcedureEventKind.CLOSURE, reason


def _procedure_after(text: str, position: int) -> ProcedureType | None:
    """The procedure named first from `position` on (the most precise name where two start together)."""
    found = [
        (match.start(), -len(match.group(0)), procedure)
        for pattern, procedure in PROCEDURES
        if (match := pattern.search(text, position))
    ]
    return min(found)[2] if found else None


def _plan_procedure(plans: list[str], text: str) -> ProcedureType | None:
    """The procedure a plan belongs to: sauvegarde, or redressement (a sale plan in a liquidation is the LJ's)."""
    for kind in plans:
        if kind.startswith("sauvegarde"):
            return ProcedureType.SAUVEGARDE_ACCELEREE if "acceleree" in kind else ProcedureType.SAUVEGARDE
        if kind in {"redressement", "continuation"}:
            return ProcedureType.REDRESSEMENT_JUDICIAIRE
        if kind == "cession":
            liquidation = "liquidation" in text.replace("et la liquidation", "")
            return ProcedureType.LIQUIDATION_JUDICIAIRE if liquidation else ProcedureType.REDRESSEMENT_JUDICIAIRE
    return None


MAX_ID_LENGTH = 64


def _control_character(record: dict[str, Any]) -> str | None:
    """Where a record carries a control character (a NUL cannot even be stored), if it does."""
    for key, value in record.items():
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            bad = unsafe_character(text) if isinstance(text, str) else None
            if bad:
                return f"{key} contains {bad}"
    return None


def _previous_publication(record: dict[str, Any]) -> date | None:
    """The publication a rectificatif corrects (parutionavisprecedent), if the record says which."""
    previous = record.get("parutionavisprecedent")
    if isinstance(previous, str):
        previous = orjson.loads(previous) if previous.strip().startswith("{") else None
    if not isinstance(previous, dict):
        return None
    day = previous.get("dateParution") or previous.get("dateparution")
    return iso_day(day) if day else None


def _publication(record: dict[str, Any]) -> date:
    """The day the créance deadline runs from: a rectificatif keeps the first publication's (never a later day)."""
    day = iso_day(record.get("dateparution"))
    if plain(str(record.get("typeavis") or "")) == "rectificatif":
        corrected = _previous_publication(record)
        if corrected is not None and corrected < day:
            return corrected
    return day


def read_record(record: dict[str, Any], *, today: date | None = None) -> Announcement | Ignored:
    """One record → an announcement, or why it is ignored. Never raises on bad input."""
    announcement_id = record.get("id") if isinstance(record.get("id"), str) else None
    if announcement_id is not None and (len(announcement_id) > MAX_ID_LENGTH or unsafe_character(announcement_id)):
        return Ignored(None, "an announcement id of at most 64 printable characters is needed")
    if record.get("familleavis") != "collective":
        return Ignored(announcement_id, "not a collective procedure notice")
    if not announcement_id:
        return Ignored(None, "no announcement id")
    unreadable = _control_character(record)
    if unreadable:
        return Ignored(announcement_id, f"unreadable record: {unreadable}")
    if plain(str(record.get("typeavis") or "")) == "annulation":
        return Ignored(announcement_id, "cancels an earlier announcement: enter the change by hand")
    try:
        judgment = _judgment(record)
        siren = _siren(record)
        found = classify(str(judgment.get("nature") or ""), str(judgment.get("complementJugement") or ""))
        if isinstance(found, str):
            return Ignored(announcement_id, found)
        procedure, kind, closure_reason, simplified = found
        if not record.get("dateparution"):
            return Ignored(announcement_id, "no publication date")
        published = iso_day(record.get("dateparution"))
        if today is not None and published > today:
            return Ignored(announcement_id, f"published on {published}, after today")
        tribunal = record.get("tribunal") if isinstance(record.get("tribunal"), str) else None
        department = record.get("numerodepartement")
        event = ProcedureEvent(
            procedure=procedure,
            event=kind,
            judgment_date=parse_judgment_date(judgment.get("date") or ""),
            publication_date=_publication(record),
            court=tribunal,
            closure_reason=closure_reason,
            simplified=simplified,
            court_seat=court_seat(tribunal, str(department) if department else None),
        )
        if event.publication_date is not None and event.judgment_date > event.publication_date:
            return Ignored(announcement_id, "a judgment dated after its publication")
        _ = event.creance  # a deadline past the calendar is an unreadable date, not a crash
    except (ValueError, TypeError, OverflowError) as exc:
        return Ignored(announcement_id, f"unreadable record: {exc}")
    return Announcement(announcement_id=announcement_id, siren=siren, event=event)
