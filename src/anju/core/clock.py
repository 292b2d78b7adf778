"""The county's local date and time (China Standard Time), in one place so tests can pin it."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

CST = ZoneInfo("Asia/Shanghai")
_pinned: date | None = None


def today() -> date:
    return _pinned or datetime.now(CST).date()


def pin_today(day: date | None) -> None:
    """Tests only: make `today()` answer `day` (None to release)."""
    global _pinned
    _pinned = day
