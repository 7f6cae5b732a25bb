"""A track's next step stays the same from any day until the first day a period of the track ends.

The worklist keeps each claim's next step computed once, until that day: if a period were missed here, a step
would stay on the worklist after the law had moved it.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.claims.domain.collection.next_step import next_step
from services.claims.domain.collection.terms import ActionKind as K
from services.claims.domain.collection.terms import DocumentKind, Stage
from services.claims.domain.collection.track import Track, period_ends_after
from tests.unit.test_collection_track import PROOFS, RULES, act, facts, noticed

FIRST = date(2026, 6, 1)
LAST = date(2027, 9, 30)


def _ip(*, served: date | None = None, to_person: bool | None = True, seized: date | None = None) -> Track:
    track = act(noticed(), K.INJONCTION_REQUESTED, date(2026, 7, 1), documents=PROOFS)
    track = act(track, K.INJONCTION_GRANTED, date(2026, 7, 15))
    if served is not None:
        track = act(track, K.INJONCTION_SERVED, served, served_to_person=to_person)
    if seized is not None:
        track = act(track, K.ENFORCEMENT_MEASURE, seized)
    return track


def _tracks() -> dict[str, Track]:
    reminded = act(Track(), K.REMINDER, date(2026, 6, 5))
    small = act(noticed(), K.SMALL_CLAIMS_STARTED, date(2026, 7, 1), unpaid="4200.00")
    bounced = act(Track(), K.CHEQUE_BOUNCED, date(2026, 6, 2))
    again = act(bounced, K.CHEQUE_PRESENTED_AGAIN, date(2026, 6, 10))
    certified = act(
        act(again, K.CHEQUE_CERTIFICATE_ISSUED, date(2026, 7, 2)), K.CHEQUE_CERTIFICATE_SERVED, date(2026, 7, 6)
    )
    handed = act(
        noticed(), K.ONLINE_RECOVERY_HANDED_OVER, date(2026, 7, 1), documents=frozenset({DocumentKind.INVOICE})
    )
    return {
        "new": Track(),
        "reminded": reminded,
        "noticed": noticed(),
        "notice of 15 days": act(Track(), K.FORMAL_NOTICE, date(2026, 6, 20), payment_period_days=15),
        "disputed": act(noticed(), K.DISPUTE, date(2026, 6, 30)),
        "injonction requested": act(noticed(), K.INJONCTION_REQUESTED, date(2026, 7, 1), documents=PROOFS),
        "injonction granted, never served": _ip(),
        "injonction served to the person": _ip(served=date(2026, 8, 10)),
        "injonction served at the address": _ip(served=date(2026, 8, 10), to_person=False),
        "injonction served at the address, then goods seized": _ip(
            served=date(2026, 8, 10), to_person=False, seized=date(2026, 10, 1)
        ),
        "injonction opposed": act(
            _ip(served=date(2026, 8, 10)), K.INJONCTION_OPPOSED, date(2026, 9, 1), hearing_on=date(2026, 11, 5)
        ),
        "injonction refused": act(
            act(noticed(), K.INJONCTION_REQUESTED, date(2026, 7, 1), documents=PROOFS),
            K.INJONCTION_REFUSED,
            date(2026, 7, 15),
        ),
        "small claim started": small,
        "small claim agreed": act(small, K.SMALL_CLAIMS_AGREED, date(2026, 7, 28), unpaid="4200.00"),
        "cheque bounced": bounced,
        "cheque presented again": again,
        "cheque certificate served": certified,
        "online recovery handed over": handed,
        "online recovery paid in part": act(
            handed, K.ONLINE_RECOVERY_PAID, date(2026, 7, 20), outcome=Stage.PAID_IN_PART
        ),
        "handover requested": act(noticed(), K.HANDOVER_REQUESTED, date(2026, 7, 1)),
        "handover requested while an order is served": act(
            _ip(served=date(2026, 8, 10)), K.HANDOVER_REQUESTED, date(2026, 8, 12)
        ),
    }


TRACKS = _tracks()


@pytest.mark.parametrize("name", TRACKS)
def test_the_next_step_holds_until_a_period_of_the_track_ends(name: str) -> None:
    track = TRACKS[name]
    days = [FIRST + timedelta(days=offset) for offset in range((LAST - FIRST).days + 1)]
    steps = {day: next_step(track, facts=facts(day), rules=RULES) for day in days}
    changes = 0
    for day in days:
        until = period_ends_after(track, day, RULES)
        assert until is None or until > day
        for later in days:
            if later <= day:
                continue
            if until is not None and later >= until:
                break
            assert steps[later] == steps[day], f"{name}: the step of {day} changed on {later}, before {until}"
        changes += steps.get(day + timedelta(days=1), steps[day]) != steps[day]
    # Every change of step by time alone was announced (the walk above); tracks with a running period have some.
    if name in {"noticed", "injonction served to the person", "small claim started", "online recovery handed over"}:
        assert changes > 0


def test_a_served_order_is_looked_at_again_the_day_after_its_opposition_window() -> None:
    track = _ip(served=date(2026, 8, 10))
    # CPC art. 1416: a month from service to the person; the window ends on 10 September.
    assert period_ends_after(track, date(2026, 8, 20), RULES) == date(2026, 9, 11)
    assert period_ends_after(track, date(2026, 9, 11), RULES) is None
