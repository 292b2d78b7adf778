"""The county's local date and time (China Standard Time), in one place so tests can pin it.

`today()` is the county's date: a test's `pin_today`, else `ANJU_TODAY` (development, test and
training only — production refuses it at settings load), else the real date in China. Record
timestamps (audit entries, sessions) stay real time: only the date moves.
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

CST = ZoneInfo("Asia/Shanghai")
_pinned: date | None = None


def today() -> date:
    if _pinned is not None:
        return _pinned
    from anju.core.config import get_settings  # cached; read here so clock imports nothing

    return get_settings().today or datetime.now(CST).date()


def pin_today(day: date | None) -> None:
    """Tests only: make `today()` answer `day` (None to release)."""
    global _pinned
    _pinned = day
