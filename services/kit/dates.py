"""Calendar arithmetic the law uses: months, and the working days a period may not end outside."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

from services.kit.errors import RuleBroken

# Territories whose public holidays are not metropolitan France's: Alsace-Moselle (by department) and the
# overseas departments and collectivities (by ISO 3166 code), as the holidays library names them.
HOLIDAY_CALENDARS = {
    "FR-57": "57",
    "FR-67": "6AE",
    "FR-68": "6AE",
    "GP": "971",
    "MQ": "972",
    "GF": "973",
    "RE": "974",
    "YT": "976",
    "BL": "BL",
    "MF": "MF",
    "NC": "NC",
    "PF": "PF",
    "PM": "PM",
    "WF": "WF",
}


@dataclass(frozen=True, slots=True)
class Deadline:
    """The day a period ends by its text (`legal`) and the day it falls due (`due`), later only past a day off."""

    legal: date
    due: date

    @property
    def moved(self) -> bool:
        return self.due != self.legal


def add_months(day: date, months: int) -> date:
    """Same day of month `months` later, or the month's last day where that day does not exist."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@lru_cache(maxsize=256)
def _public_holidays(place: str | None, year: int) -> frozenset[date]:
    france = holidays.country_holidays("FR", years=year, subdiv=HOLIDAY_CALENDARS.get(place or ""))
    return frozenset(france)


def is_working_day(day: date, *, place: str | None = None) -> bool:
    """Neither a Saturday, a Sunday nor a French public holiday of that place (metropolitan France by default)."""
    return day.weekday() < 5 and day not in _public_holidays(place, day.year)


def deadline(legal_end: date, *, place: str | None = None) -> Deadline:
    """CPC art. 642: a period ending on a Saturday, Sunday or public holiday runs to the next working day."""
    due = legal_end
    while not is_working_day(due, place=place):
        due += timedelta(days=1)
    return Deadline(legal=legal_end, due=due)


class DateInFuture(RuleBroken):
    code = "DATE_IN_FUTURE"
    title = "A fact cannot be dated after today: no deadline or waiting period may run early"


def not_after_today(day: date, *, today: date, field: str) -> date:
    """The day a fact happened, if it is not after today (a future date would let time pass early)."""
    if day > today:
        raise DateInFuture(f"{field} is {day}, after today ({today}).", field=field, today=today.isoformat())
    return day
