"""Monitoring's pure rules: what is published (dimensions, bands, dates, periods, levels), the
boundary crosswalk, and the KPI and warning definitions. No I/O beyond the owned data file."""
from __future__ import annotations

import calendar
import csv
import functools
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from importlib import resources

from anju.core import divisions

PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE = (divisions.PROVINCE, divisions.CITY,
                                              divisions.COUNTY, divisions.TOWNSHIP,
                                              divisions.VILLAGE)
LEVELS = {"province": PROVINCE, "city": CITY, "county": COUNTY, "township": TOWNSHIP,
          "village": VILLAGE}
LEVEL_NAMES = {v: k for k, v in LEVELS.items()}
PREFIX = {PROVINCE: 2, CITY: 4, COUNTY: 6, TOWNSHIP: 9, VILLAGE: 12}
# A registration placed above village level (a house recorded with a township code) is counted at
# its own level and, below it, in this remainder cell ("not placed in a village").
DIRECT = "*"

HISTORY_MONTHS = 36  # month-end stocks and monthly flows: three years (forecasts need two)
RECENT_MONTHS = 12  # breakdowns below the county, OD: the last twelve months
DAY_WINDOW = 90  # daily flows (county and township)
CASE_DAYS = 365  # case KPIs: cases decided in the last year
WEEK_WINDOW = 52
MOVE_GAP_DAYS = 30  # a registration ending and the next starting within this: a move
RECENT_PRESENCE_DAYS = 30


class Dim(StrEnum):
    TOTAL = "total"
    SEX = "sex"
    AGE_BAND = "age_band"
    REASON = "reason"
    STAY = "stay"
    PERMIT = "permit"
    ORIGIN_PROVINCE = "origin_province"
    ORIGIN_CITY = "origin_city"
    ORIGIN_COUNTY = "origin_county"


# The finest level each breakdown is published at, and whether below the county it is published
# for every month-end or only for the recent ones (fewer, sparser cells to protect).
FINEST = {Dim.TOTAL: VILLAGE, Dim.SEX: VILLAGE, Dim.AGE_BAND: VILLAGE, Dim.REASON: VILLAGE,
          Dim.STAY: VILLAGE, Dim.PERMIT: VILLAGE, Dim.ORIGIN_PROVINCE: VILLAGE,
          Dim.ORIGIN_CITY: TOWNSHIP, Dim.ORIGIN_COUNTY: COUNTY}
AGE_BANDS = ((0, 14), (15, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, None))
STAY_BANDS = (("lt6m", 0, 182), ("6to12m", 182, 365), ("1to3y", 365, 1096), ("3yplus", 1096, None))
UNKNOWN = "unknown"


def age_band(age: int | None) -> str:
    if age is None:
        return UNKNOWN
    for low, high in AGE_BANDS:
        if high is None or age <= high:
            return f"{low}+" if high is None else f"{low}-{high}"
    return UNKNOWN


def age_band_sql(age_expr: str) -> str:
    """The same banding as `age_band`, as a SQL CASE over an integer age expression."""
    parts = [f"WHEN {age_expr} IS NULL THEN '{UNKNOWN}'"]
    for low, high in AGE_BANDS:
        if high is None:
            parts.append(f"ELSE '{low}+'")
        else:
            parts.append(f"WHEN {age_expr} <= {high} THEN '{low}-{high}'")
    return "CASE " + " ".join(parts) + " END"


def stay_sql(days_expr: str) -> str:
    parts = []
    for name, _low, high in STAY_BANDS:
        parts.append(f"ELSE '{name}'" if high is None else f"WHEN {days_expr} < {high} THEN '{name}'")
    return "CASE " + " ".join(parts) + " END"


# --- dates and periods ----------------------------------------------------------------------
def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def previous_month_end(day: date) -> date:
    return day.replace(day=1) - timedelta(days=1)


def month_ends(as_of: date, months: int = HISTORY_MONTHS) -> list[date]:
    """The last `months` complete month-ends on or before `as_of`, oldest first."""
    end = as_of if as_of == month_end(as_of.year, as_of.month) else previous_month_end(as_of)
    out = [end]
    while len(out) < months:
        out.append(previous_month_end(out[-1]))
    return out[::-1]


def reference_dates(as_of: date) -> list[date]:
    """The dates stock is published for: month-ends of the last three years and the as-of date."""
    ends = month_ends(as_of)
    return ends if ends[-1] == as_of else [*ends, as_of]


def recent_dates(as_of: date) -> list[date]:
    """Reference dates that also get breakdowns below the county and OD."""
    return reference_dates(as_of)[-(RECENT_MONTHS + 1):]


def month_label(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def period_of(day: date, freq: str) -> str:
    return {"day": day.isoformat, "week": lambda: week_label(day),
            "month": lambda: month_label(day)}[freq]()


@dataclass(frozen=True)
class Windows:
    """What a build as of `as_of` publishes for flows."""

    as_of: date
    months: tuple[str, ...]  # complete months, oldest first
    weeks: tuple[str, ...]  # complete ISO weeks within the daily window
    days: tuple[date, ...]

    @classmethod
    def of(cls, as_of: date) -> Windows:
        ends = month_ends(as_of)
        days = tuple(as_of - timedelta(days=i) for i in range(DAY_WINDOW - 1, -1, -1))
        weeks = []
        for day in days:
            if day.isoweekday() == 7 and day - timedelta(days=6) >= days[0]:
                weeks.append(week_label(day))
        return cls(as_of, tuple(month_label(e) for e in ends), tuple(weeks[-WEEK_WINDOW:]), days)


# --- levels ---------------------------------------------------------------------------------
def up(code: str, level: int) -> str:
    """The ancestor code of a 12-digit code at `level` (itself when already there or above)."""
    return code[:PREFIX[level]].ljust(12, "0")


def level_of(code: str) -> int:
    return divisions.level(code)


def division_name(code: str, lang: str = "zh") -> str:
    if code.endswith(DIRECT):
        return "（未落到村/社区）" if lang == "zh" else "(not placed in a village)"
    if code == UNKNOWN:
        return "未知" if lang == "zh" else "unknown"
    found = divisions.get(code) if code.isdigit() and len(code) == 12 else None
    if found:
        return found.name
    return code


# --- boundary changes -----------------------------------------------------------------------
@dataclass(frozen=True)
class Change:
    effective: date  # the first day the new code is in force
    old: str
    new: str
    kind: str  # merge | rename | move
    note: str = ""


@functools.cache
def shipped_changes() -> tuple[Change, ...]:
    path = resources.files("anju.monitoring").joinpath("data/division_changes.csv")
    with path.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("old_code")]
    return tuple(Change(date.fromisoformat(r["effective"]), divisions.canonical(r["old_code"]),
                        divisions.canonical(r["new_code"]), r["kind"], r.get("note", ""))
                 for r in rows)


class Crosswalk:
    """Division codes through boundary changes. `current(code)` follows a code forward to the
    code in force today (series stay comparable: a merged township is the sum of its parts,
    before and after); `then(code, day)` gives the code in force on `day` where it can be told
    (a renamed or moved code goes back to its predecessor; a merged one cannot be split and
    stays with its successor)."""

    def __init__(self, changes: tuple[Change, ...] | list[Change]) -> None:
        self.changes = sorted(changes, key=lambda c: c.effective)
        self.forward = {c.old: c for c in self.changes}
        self.backward: dict[str, list[Change]] = {}
        for change in self.changes:
            self.backward.setdefault(change.new, []).append(change)

    def current(self, code: str) -> str:
        seen = set()
        while code in self.forward and code not in seen:
            seen.add(code)
            code = self.forward[code].new
        return code

    def then(self, code: str, day: date) -> str:
        seen = set()
        while code in self.forward and self.forward[code].effective <= day and code not in seen:
            seen.add(code)
            code = self.forward[code].new
        while True:
            before = self.backward.get(code, [])
            if len(before) != 1 or before[0].effective <= day:
                return code
            code = before[0].old

    def affected(self) -> set[str]:
        return {c.old for c in self.changes} | {c.new for c in self.changes}


# --- KPIs and warnings ------------------------------------------------------------------------
@dataclass(frozen=True)
class Kpi:
    name: str
    zh: str
    en: str
    definition_zh: str
    definition_en: str
    target: str = ""


KPIS = (
    Kpi("accuracy", "登记准确率", "Registration accuracy",
        "有效居住登记中，近 30 天钥匙有使用记录、或经网格员实地核查确认仍在居住的比例。",
        "Share of active registrations whose e-key was used in the last 30 days or that a grid "
        "worker confirmed on a field check.", "≥ 98%"),
    Kpi("under_registration", "漏登率（估计）", "Under-registration (estimate)",
        "未登记居住的迹象（门锁显示的未登记常用钥匙；导入的手机信令常住人数与外省籍登记人数之差）"
        "占实际居住人数的比例，附区间。",
        "Evidence of people living unregistered (keys in regular use with no registration; where "
        "imported, mobile-network residents from other provinces against registered stock from "
        "other provinces) as a share of the people living there, with an interval.", "< 3%"),
    Kpi("update_cycle", "信息更新周期", "Update cycle",
        "近 90 天录入的登记，从申报入住日期到登记录入的天数（中位数）。",
        "Days from the declared move-in date to the registration being recorded (median, "
        "registrations recorded in the last 90 days).", "1 天 / 1 day"),
    Kpi("permit_coverage", "居住证覆盖率", "Permit coverage",
        "在住登记人员中持有效居住证的比例。", "Share of registered residents holding a valid "
        "residence permit."),
    Kpi("grid_load", "网格员负荷", "Grid-worker load",
        "每名网格员（该辖区启用的网格员账号）对应的在住登记人数。",
        "Registered residents per grid worker (active grid-worker accounts of the area)."),
    Kpi("handling_time", "办理时长", "Handling time",
        "近一年办结的服务事项，从受理到办结的工作日数（中位数，扣除补正停表的工作日）。",
        "Working days from a case being accepted to being decided, less the days the clock "
        "stood still for a supplement (median, cases decided in the last year)."),
    Kpi("on_time", "按时办结率", "On-time rate",
        "近一年办结的有期限服务事项中，在期限内办结的比例。",
        "Share of cases with a deadline, decided in the last year, decided by their deadline."),
    Kpi("satisfaction", "满意度", "Satisfaction",
        "近一年办结并经评价的服务事项中，评价为基本满意及以上（无需整改）的比例。",
        "Share of rated cases decided in the last year rated fairly satisfied or better (no "
        "rectification needed)."),
    Kpi("notified", "应知尽知率", "Eligible people notified",
        "最近一次主动推送核查中，符合某项服务申请条件的人次（一人符合两项服务计两次）中，"
        "已收到该项服务主动通知的比例，附区间。",
        "Of the eligibilities the latest proactive eligibility run found (a person eligible for "
        "two services counts twice), the share whose person was notified of that service, with "
        "an interval."),
)
CASE_KPIS = ("handling_time", "on_time", "satisfaction", "notified")


def ratio(numerator: int | None, denominator: int | None) -> float | None:
    """A share from released counts; None when either is withheld or the base is empty."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion."""
    if total <= 0:
        return (0.0, 1.0)
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * ((p * (1 - p) / total + z * z / (4 * total * total)) ** 0.5) / (1 + z * z / total)
    return (max(0.0, centre - half), min(1.0, centre + half))


def growth_warning(before: int | None, after: int | None, threshold_pct: float) -> float | None:
    """The month-on-month growth in percent when it reaches the threshold (released values)."""
    if not before or after is None:
        return None
    change = (after - before) * 100.0 / before
    return change if change >= threshold_pct else None
