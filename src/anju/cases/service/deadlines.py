"""Working-day deadlines of cases (承诺时限), under the county's official calendar.

The due date is the N-th working day after the day of acceptance (that day itself does not
count, as in administrative practice), moved later by the working days the case spent waiting
for the applicant's supplement (补正: the clock stops). Every answer says whether it rests on a
provisional calendar year — one nobody has published yet, computed from the statutory holidays
(anju.core.workdays) — so a deadline is never guessed silently; once the county loads the
official year the next computation (a read, the daily sweep) gives the official date.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from anju.cases import rules
from anju.cases.rules import CaseStatus
from anju.core.workdays import Calendar


@dataclass(frozen=True)
class Clock:
    """Where a case stands against its deadline on one day."""

    due_date: date | None
    provisional: bool  # the due date (or the days left) rests on a provisional calendar year
    working_days_left: int | None  # negative: overdue by that many working days
    paused_working_days: int  # so far, a running pause included
    warning: rules.Warning


def due(calendar: Calendar, accepted_on: date, limit: int, paused: int) -> tuple[date, bool]:
    """The due date of a case accepted on `accepted_on` with `limit` working days, paused for
    `paused` working days, and whether it rests on a provisional year."""
    reckoning = calendar.add(accepted_on, limit + paused)
    return reckoning.value, reckoning.provisional  # type: ignore[return-value]


def paused_between(calendar: Calendar, since: date, until: date) -> tuple[int, bool]:
    """Working days the clock stood still: from the day after the request up to and including
    the day of the answer (a request answered the same day costs nothing)."""
    reckoning = calendar.between(since, max(since, until))
    return int(reckoning.value), reckoning.provisional  # type: ignore[arg-type]


def left(calendar: Calendar, today: date, due_date: date) -> tuple[int, bool]:
    """Working days left until `due_date` (0 on the due day itself; negative once overdue)."""
    reckoning = calendar.between(today, due_date)
    return int(reckoning.value), reckoning.provisional  # type: ignore[arg-type]


def clock_of(calendar: Calendar, *, status: str, accepted_on: date | None, limit: int,
             paused: int, paused_since: date | None, today: date) -> Clock:
    """The case's clock on `today`: not started before acceptance, stopped while it waits for
    a supplement (the days left frozen at the request), ended once decided."""
    if accepted_on is None:
        return Clock(None, False, None, paused, rules.Warning.NONE)
    running = 0
    if status == CaseStatus.SUPPLEMENT and paused_since is not None:
        running, _ = paused_between(calendar, paused_since, today)
    due_date, provisional = due(calendar, accepted_on, limit, paused + running)
    if status not in rules.OPEN:
        return Clock(due_date, provisional, None, paused, rules.Warning.NONE)
    # while paused the days left stay what they were on the day of the request
    on = paused_since if status == CaseStatus.SUPPLEMENT and paused_since else today
    days, rests = left(calendar, on, due(calendar, accepted_on, limit, paused)[0])
    warning = rules.warning_of(days) if status in rules.CLOCKED else rules.Warning.NONE
    return Clock(due_date, provisional or rests, days, paused + running, warning)
