"""How the back office shows money, dates and days: display only, no business rule."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def money(amount: str | Decimal | None, currency: str = "") -> str:
    """`12,345.60 EUR`: two decimals and the currency, never a float on the way."""
    if amount is None or amount == "":
        return "—"
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return str(amount)
    return f"{value:,.2f} {currency}".strip()


def day(value: str | date | None) -> str:
    """`9 Sep 2026`."""
    if not value:
        return "—"
    parsed = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{parsed.day} {MONTHS[parsed.month - 1]} {parsed.year}"


def moment(value: str | datetime | None) -> str:
    """`9 Sep 2026 14:05 UTC`."""
    if not value:
        return "—"
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return f"{day(parsed.date())} {parsed:%H:%M} UTC"


def days_left(due: str | None, today: str | date) -> str:
    """`in 12 days`, `today`, `3 days late`; blank when there is no deadline."""
    if not due:
        return ""
    start = today if isinstance(today, date) else date.fromisoformat(str(today))
    left = (date.fromisoformat(due) - start).days
    if left == 0:
        return "today"
    if left > 0:
        return f"in {left} day{'s' if left > 1 else ''}"
    return f"{-left} day{'s' if left < -1 else ''} late"


def words(code: str | None) -> str:
    """`creance_to_file` → `creance to file`; French terms keep their accents where the page spells them."""
    if not code:
        return "—"
    return FRENCH.get(code, code.replace("collection:", "").replace("_", " "))


# The API's codes for French legal terms, as French legal texts write them.
FRENCH = {
    "creance_to_file": "créance to file",
    "creance_deadline_unknown": "créance deadline unknown",
    "forclusion_relief_to_ask": "relevé de forclusion to ask",
    "creance_filed": "créance filed",
    "collection:send_formal_notice": "mise en demeure to send",
    "send_formal_notice": "mise en demeure to send",
    "collection:request_injonction_de_payer": "injonction de payer to request",
    "request_injonction_de_payer": "injonction de payer to request",
    "collection:declare_creance": "créance to declare",
    "declare_creance": "créance to declare",
    "formal_notice": "mise en demeure",
    "injonction_de_payer": "injonction de payer",
    "serve_assignation": "assignation to serve",
    "commissaire_de_justice": "commissaire de justice",
    "sauvegarde": "sauvegarde",
    "sauvegarde_acceleree": "sauvegarde accélérée",
    "redressement_judiciaire": "redressement judiciaire",
    "liquidation_judiciaire": "liquidation judiciaire",
}
