"""The publication plan: which figures a build publishes, as cells of one `Release`, and every
relation between them an outsider knows — so the release function protects them together.

Cell keys are (table, ref, division, dim, key):

| table | ref | division | dim | key |
|---|---|---|---|---|
| stock | reference date | any level (village … province) | total or a breakdown | category |
| stock_then | reference date | a code in force then | total | "" |
| flows | day / ISO week / month | county, township (days, weeks); every level (months) | day, week, month | arr, dep |
| od | month | destination (county, township) | origin level | origin code |
| moves | "12m" | destination township | from, in, out, outside | origin township or "" |
| frequency | "36m" | county | moves, total | 0, 1, 2, 3+ |
| kpi | as-of date | county, township | accuracy, cycle, evidence | … |
| presence | day | county, township | rooms | "" |
| mobile | day | county, township | origin, total | province or "" |

Relations: a parent division is the sum of its children (and of a "not placed in a village"
remainder); a division's total is the sum of each breakdown's categories; a stock plus a period's
arrivals less its departures is the stock at the period's end (month-ends with monthly flows at
every level, the last month-end and the as-of date with daily flows); a month and an ISO week are
the sums of their days; an origin–destination column is the arrivals of its destination, and an
origin province is the sum of its cities, a city of its counties; arrivals within the county
(moves) and from outside add up to the arrivals of the twelve months; confirmed and unconfirmed
registrations add up to the stock of the as-of date.
"""
from __future__ import annotations

import functools
import itertools
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

import pyarrow as pa

from anju.monitoring import rules
from anju.monitoring.release import Release
from anju.monitoring.rules import COUNTY, DIRECT, PROVINCE, TOWNSHIP, VILLAGE, Dim

SMALL_DIMS = (Dim.SEX, Dim.AGE_BAND, Dim.REASON, Dim.STAY, Dim.PERMIT, Dim.ORIGIN_PROVINCE)
CATEGORIES = {
    Dim.SEX: ("M", "F"),
    Dim.AGE_BAND: tuple(rules.age_band(low) for low, _ in rules.AGE_BANDS) + (rules.UNKNOWN,),
    Dim.REASON: ("work", "family", "business", "study", "stable_home", "other"),
    Dim.STAY: tuple(name for name, _, _ in rules.STAY_BANDS),
    Dim.PERMIT: ("with", "without"),
}
ORIGIN_LEVELS = {"province": PROVINCE, "city": rules.CITY, "county": COUNTY}
# Flows are published for the county and its townships (months, weeks) and the county (days):
# a village sees a handful of arrivals a month, all of which would be withheld.
FLOW_LEVEL = {"month": TOWNSHIP, "week": TOWNSHIP, "day": COUNTY}


# --- divisions and their lineage -------------------------------------------------------------
@functools.lru_cache(maxsize=100_000)
def level(code: str) -> int:
    if code.endswith(DIRECT):
        return level(code[:-1]) + 1
    return rules.level_of(code)


@functools.lru_cache(maxsize=100_000)
def lineage(code: str) -> tuple[str, ...]:
    """The code's ancestors from the province down to itself, then — when it lies above
    village level — its "not placed lower" remainder."""
    own = rules.level_of(code)
    codes = tuple(rules.up(code, lv) for lv in range(PROVINCE, own + 1))
    return codes + ((code + DIRECT,) if own < VILLAGE else ())


def parent(code: str) -> str | None:
    if code.endswith(DIRECT):
        return code[:-1]
    own = level(code)
    return rules.up(code, own - 1) if own > PROVINCE else None


def max_stock_level(dim: Dim, recent: bool, latest: bool = False) -> int | None:
    """The finest level a breakdown is published at: villages get totals at every date and
    breakdowns on the as-of date; townships the small breakdowns at every date and origin
    cities at the recent dates; origin counties are counted for the county only."""
    if dim is Dim.TOTAL:
        return VILLAGE
    if dim in SMALL_DIMS:
        return VILLAGE if latest else TOWNSHIP
    if dim is Dim.ORIGIN_CITY:
        return TOWNSHIP if recent else COUNTY
    return COUNTY if recent else None


def _cost(table: str, code: str, value: int) -> tuple[float, bool]:
    """(cost, protected): coarser cells cost more to withhold; the county's own totals are
    withheld only as a last resort."""
    lv = level(code)
    if table in ("stock", "flows") and lv <= COUNTY:
        return float(value), True
    return float(value) * {TOWNSHIP: 4, VILLAGE: 1}.get(lv, 8), False


def _rollup(rows: Iterable[tuple[str, int]], finest: int | None) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    if finest is None:
        return out
    for code, n in rows:
        for place in lineage(code):
            if level(place) <= finest:
                out[place] += n
    return out


class Planner:
    """Fills one Release from a build's aggregates."""

    def __init__(self, as_of: date, release: Release | None = None) -> None:
        self.as_of = as_of
        self.release = release or Release()
        self.refs = rules.reference_dates(as_of)
        self.recent = set(rules.recent_dates(as_of))
        self.windows = rules.Windows.of(as_of)
        self.tables: set[tuple[str, str, int, str]] = set()  # (table, ref, level, dim)
        self.values: dict[tuple, int] = {}
        self.case_days: dict[str, dict[int, int]] = {}  # filled by cases()

    # --- helpers -------------------------------------------------------------------------
    def add(self, key: tuple, value: int, protected: bool | None = None) -> None:
        if value <= 0 or key in self.release:
            return
        cost, protect = _cost(key[0], key[2], value)
        self.release.cell(key, value, cost=cost, protected=protect if protected is None
                          else protected)
        self.values[key] = value
        self.tables.add((key[0], key[1], level(key[2]), key[3]))

    def hierarchy(self, table: str, ref: str, dim: str, key: str,
                  counts: dict[str, int]) -> None:
        """parent = Σ children for every division present."""
        children: dict[str, list[str]] = defaultdict(list)
        for code in counts:
            up = parent(code)
            if up is not None and up in counts:
                children[up].append(code)
        for up, kids in children.items():
            self.release.total((table, ref, up, dim, key), [(table, ref, k, dim, key)
                                                            for k in kids])

    # --- stock ---------------------------------------------------------------------------
    def stock(self, stock: pa.Table) -> None:
        grouped: dict[tuple[str, str, str], list[tuple[str, int]]] = defaultdict(list)
        for ref, code, dim, key, n in zip(*(stock.column(c).to_pylist()
                                            for c in ("ref", "division", "dim", "key", "n"))):
            grouped[(ref.isoformat(), dim, key)].append((code, n))
        for ref_day in self.refs:  # every level of every reference date exists, even if empty
            for lv in range(PROVINCE, VILLAGE + 1):
                self.tables.add(("stock", ref_day.isoformat(), lv, Dim.TOTAL.value))
        by_division: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(
            lambda: defaultdict(list))
        for (ref, dim, key), rows in grouped.items():
            recent = date.fromisoformat(ref) in self.recent
            latest = ref == self.as_of.isoformat()
            counts = _rollup(rows, max_stock_level(Dim(dim), recent, latest))
            for code, n in counts.items():
                self.add(("stock", ref, code, dim, key), n)
                if dim != Dim.TOTAL:
                    by_division[(ref, dim)][code].append(key)
            self.hierarchy("stock", ref, dim, key, counts)
            finest = max_stock_level(Dim(dim), recent, latest)
            for lv in range(PROVINCE, (finest or 0) + 1):
                self.tables.add(("stock", ref, lv, dim))
        for (ref, dim), divisions in by_division.items():
            for code, keys in divisions.items():
                self.release.total(("stock", ref, code, Dim.TOTAL.value, ""),
                                   [("stock", ref, code, dim, k) for k in keys])

    def stock_then(self, then: pa.Table, current_totals: dict[tuple[str, str], int]) -> None:
        """Totals in the boundaries in force at each date, for divisions a change touched:
        each current division is the sum of the old ones it took in and what stayed."""
        parts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for ref, code, current, n in zip(*(then.column(c).to_pylist()
                                           for c in ("ref", "division", "current", "n"))):
            for lv in (TOWNSHIP, VILLAGE):
                if level(code) >= lv and level(current) >= lv:
                    parts[(ref.isoformat(), rules.up(current, lv))][rules.up(code, lv)] += n
        for (ref, current), olds in parts.items():
            total = self.values.get(("stock", ref, current, Dim.TOTAL.value, ""), 0)
            stayed = total - sum(n for old, n in olds.items() if old != current)
            olds = {old: n for old, n in olds.items() if old != current}
            keys = []
            for old, n in olds.items():
                self.add(("stock_then", ref, old, Dim.TOTAL.value, ""), n)
                keys.append(("stock_then", ref, old, Dim.TOTAL.value, ""))
            if stayed:
                self.add(("stock_then", ref, current, Dim.TOTAL.value, ""), stayed)
                keys.append(("stock_then", ref, current, Dim.TOTAL.value, ""))
            self.release.total(("stock", ref, current, Dim.TOTAL.value, ""), keys)
            self.tables.add(("stock_then", ref, level(current), Dim.TOTAL.value))

    # --- flows ---------------------------------------------------------------------------
    def flows(self, flows: pa.Table) -> None:
        w = self.windows
        months, days = set(w.months), set(w.days)
        weeks = set(w.weeks)
        grouped: dict[tuple[str, str, str], list[tuple[str, int]]] = defaultdict(list)
        for day, code, direction, n in zip(*(flows.column(c).to_pylist()
                                             for c in ("day", "division", "dir", "n"))):
            month = rules.month_label(day)
            if month in months:
                grouped[("month", month, direction)].append((code, n))
            if day in days:
                grouped[("day", day.isoformat(), direction)].append((code, n))
                week = rules.week_label(day)
                if week in weeks:
                    grouped[("week", week, direction)].append((code, n))
        for freq, periods, finest in (("month", w.months, TOWNSHIP),
                                      ("week", w.weeks, TOWNSHIP),
                                      ("day", [d.isoformat() for d in w.days], COUNTY)):
            for period in periods:
                for lv in range(PROVINCE, finest + 1):
                    self.tables.add(("flows", period, lv, freq))
        for (freq, period, direction), rows in grouped.items():
            counts = _rollup(rows, FLOW_LEVEL[freq])
            for code, n in counts.items():
                self.add(("flows", period, code, freq, direction), n)
            self.hierarchy("flows", period, freq, direction, counts)
        self._period_sums()
        self._identities()

    def _codes(self, table: str, ref: str, dim: str, key: str) -> set[str]:
        return {k[2] for k in self.values if k[0] == table and k[1] == ref and k[3] == dim
                and k[4] == key}

    def _period_sums(self) -> None:
        """A month, and an ISO week, is the sum of its days where its days are published."""
        w = self.windows
        first = w.days[0]
        days_of: dict[tuple[str, str], list[str]] = defaultdict(list)
        for day in w.days:
            days_of[("week", rules.week_label(day))].append(day.isoformat())
            days_of[("month", rules.month_label(day))].append(day.isoformat())
        index: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        for key in self.values:
            if key[0] == "flows":
                index[(key[3], key[1], key[4])].add(key[2])
        for (freq, period), days in days_of.items():
            if freq == "week" and period not in w.weeks:
                continue
            if freq == "month" and (period not in w.months or month_start(period) < first):
                continue
            for direction in ("arr", "dep"):
                codes = index[(freq, period, direction)] | set().union(
                    *(index[("day", d, direction)] for d in days))
                for code in codes:
                    if level(code) > FLOW_LEVEL["day"]:
                        continue
                    self.release.total(("flows", period, code, freq, direction),
                                       [("flows", d, code, "day", direction) for d in days])

    def _identities(self) -> None:
        """stock(end) − stock(start) = arrivals − departures of the period between."""
        refs, w = self.refs, self.windows
        totals: dict[str, set[str]] = defaultdict(set)
        for key in self.values:
            if key[0] == "stock" and key[3] == Dim.TOTAL.value:
                totals[key[1]].add(key[2])
        flows: dict[tuple[str, str], set[str]] = defaultdict(set)
        for key in self.values:
            if key[0] == "flows":
                flows[(key[3], key[1])].add(key[2])
        for before, after in itertools.pairwise(refs):
            b, a = before.isoformat(), after.isoformat()
            if after == rules.month_end(after.year, after.month) and \
                    rules.month_label(after) in w.months:
                periods, freq = [rules.month_label(after)], "month"
            else:
                periods = [d.isoformat() for d in w.days if before < d <= after]
                freq = "day"
                if len(periods) != (after - before).days:
                    continue
            finest = FLOW_LEVEL[freq]
            codes = totals[b] | totals[a] | set().union(*(flows[(freq, p)] for p in periods))
            for code in codes:
                if level(code) > finest:
                    continue
                terms = [(("stock", a, code, "total", ""), 1), (("stock", b, code, "total", ""), -1)]
                for p in periods:
                    terms += [(("flows", p, code, freq, "arr"), -1),
                              (("flows", p, code, freq, "dep"), 1)]
                self.release.equation(terms)

    # --- origin–destination, moves, frequency ---------------------------------------------
    def od(self, od: pa.Table) -> None:
        months = set(self.windows.months[-rules.RECENT_MONTHS:])
        cells: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for year, month, code, origin, n in zip(*(od.column(c).to_pylist() for c in
                                                  ("year", "month", "division", "origin", "n"))):
            period = f"{year:04d}-{month:02d}"
            if period not in months:
                continue
            for place in lineage(code):
                if COUNTY <= level(place) <= TOWNSHIP:
                    for name, lv in ORIGIN_LEVELS.items():
                        key = origin if origin == rules.UNKNOWN else rules.up(origin, lv)
                        cells[(period, name, key)][place] += n
        for period in months:
            for name in ORIGIN_LEVELS:
                for lv in (COUNTY, TOWNSHIP):
                    self.tables.add(("od", period, lv, name))
        columns: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        for (period, name, origin), places in cells.items():
            for place, n in places.items():
                self.add(("od", period, place, name, origin), n, protected=False)
                columns[(period, place, name)].append(origin)
            self.hierarchy("od", period, name, origin, places)
        for (period, place, name), origins in columns.items():
            self.release.total(("flows", period, place, "month", "arr"),
                               [("od", period, place, name, o) for o in origins])
            if name == "county":
                continue
            finer = "city" if name == "province" else "county"
            lv = ORIGIN_LEVELS[name]
            for origin in origins:
                parts = [("od", period, place, finer, o) for o in columns[(period, place, finer)]
                         if o == origin or (origin != rules.UNKNOWN and o != rules.UNKNOWN
                                            and rules.up(o, lv) == origin)]
                self.release.total(("od", period, place, name, origin), parts)

    def moves(self, moves: pa.Table) -> None:
        months = self.windows.months[-rules.RECENT_MONTHS:]
        window = set(months)
        matrix: dict[tuple[str, str], int] = defaultdict(int)
        for year, month, origin, code, n in zip(*(moves.column(c).to_pylist() for c in
                                                  ("year", "month", "origin", "division", "n"))):
            if f"{year:04d}-{month:02d}" in window:
                matrix[(_township(origin), _township(code))] += n
        ref, into, out = "12m", defaultdict(int), defaultdict(int)
        for (origin, dest), n in matrix.items():
            self.add(("moves", ref, dest, "from", origin), n, protected=False)
            into[dest] += n
            out[origin] += n
        for dest, n in into.items():
            self.add(("moves", ref, dest, "in", ""), n, protected=False)
            self.release.total(("moves", ref, dest, "in", ""),
                               [("moves", ref, dest, "from", o) for o, d in matrix if d == dest])
        for origin, n in out.items():
            self.add(("moves", ref, origin, "out", ""), n, protected=False)
            self.release.total(("moves", ref, origin, "out", ""),
                               [("moves", ref, d, "from", o) for o, d in matrix if o == origin])
        # arrivals of the twelve months = from within the county + from outside
        arrivals: dict[str, int] = defaultdict(int)
        for key, n in self.values.items():
            if key[0] == "flows" and key[3] == "month" and key[4] == "arr" and \
                    key[1] in window and level(key[2]) == TOWNSHIP:
                arrivals[key[2]] += n
        for dest, total in arrivals.items():
            outside = total - into.get(dest, 0)
            self.add(("moves", ref, dest, "outside", ""), outside, protected=False)
            self.release.equation(
                [(("flows", m, dest, "month", "arr"), 1) for m in months]
                + [(("moves", ref, dest, "in", ""), -1), (("moves", ref, dest, "outside", ""), -1)])
        self.tables.add(("moves", ref, TOWNSHIP, "from"))

    def frequency(self, frequency: pa.Table, county: str) -> None:
        ref, keys = "36m", []
        for key, n in zip(frequency.column("key").to_pylist(), frequency.column("n").to_pylist()):
            self.add(("frequency", ref, county, "moves", key), n, protected=False)
            keys.append(("frequency", ref, county, "moves", key))
        self.add(("frequency", ref, county, "total", ""), sum(frequency.column("n").to_pylist()),
                 protected=False)
        self.release.total(("frequency", ref, county, "total", ""), keys)
        self.tables.add(("frequency", ref, COUNTY, "moves"))

    # --- KPI counts, presence, mobile-network counts --------------------------------------
    def kpis(self, accuracy: pa.Table, cycle: pa.Table, evidence: pa.Table) -> dict:
        ref = self.as_of.isoformat()
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for code, key, n in zip(*(accuracy.column(c).to_pylist() for c in ("division", "key", "n"))):
            for place in lineage(code):
                if COUNTY <= level(place) <= TOWNSHIP:
                    counts[key][place] += n
        for key, places in counts.items():
            for place, n in places.items():
                self.add(("kpi", ref, place, "accuracy", key), n, protected=False)
        for place in set(counts["confirmed"]) | set(counts["unconfirmed"]):
            self.release.total(("stock", ref, place, Dim.TOTAL.value, ""),
                               [("kpi", ref, place, "accuracy", k)
                                for k in ("confirmed", "unconfirmed")])
        histograms: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for code, days, n in zip(*(cycle.column(c).to_pylist() for c in ("division", "days", "n"))):
            for place in lineage(code):
                if COUNTY <= level(place) <= TOWNSHIP:
                    histograms[place][days] += n
        for place, histogram in histograms.items():
            self.add(("kpi", ref, place, "cycle", "n"), sum(histogram.values()), protected=False)
        evidence_rows = defaultdict(int)
        for code, n in zip(evidence.column("division").to_pylist(),
                           evidence.column("n").to_pylist()):
            for place in lineage(code):
                if COUNTY <= level(place) <= TOWNSHIP:
                    evidence_rows[place] += int(n or 0)
        for place, n in evidence_rows.items():
            self.add(("kpi", ref, place, "evidence", "keys"), n, protected=False)
        for lv in (COUNTY, TOWNSHIP):
            self.tables.add(("kpi", ref, lv, "accuracy"))
        return {place: dict(h) for place, h in histograms.items()}

    def cases(self, cases: pa.Table) -> None:
        """Decided cases of the last year (county, townships): on time or late, satisfied or
        not, and how many have a handling time — each a cell of its own, townships summing to
        the county. The handling-time histograms stay here (`case_days`) for the median, which
        is published only where its population is released."""
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.case_days = defaultdict(lambda: defaultdict(int))
        columns = ("division", "days", "on_time", "satisfied", "n")
        for code, days, on_time, satisfied, n in zip(*(cases.column(c).to_pylist()
                                                      for c in columns)):
            for place in lineage(code):
                if not COUNTY <= level(place) <= TOWNSHIP:
                    continue
                if on_time is not None:
                    counts["on_time" if on_time else "late"][place] += n
                if satisfied is not None:
                    counts["satisfied" if satisfied else "unsatisfied"][place] += n
                if days is not None:
                    counts["timed"][place] += n
                    self.case_days[place][days] += n
        ref = self.as_of.isoformat()
        for key, places in counts.items():
            for place, n in places.items():
                self.add(("kpi", ref, place, "cases", key), n, protected=False)
            self.hierarchy("kpi", ref, "cases", key, dict(places))
        for lv in (COUNTY, TOWNSHIP):
            self.tables.add(("kpi", ref, lv, "cases"))

    def notices(self, notices: pa.Table) -> None:
        """Eligibilities notified and not (county, townships), townships summing to the
        county, like the case counts."""
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for code, key, n in zip(*(notices.column(c).to_pylist()
                                  for c in ("division", "key", "n"))):
            for place in lineage(code):
                if COUNTY <= level(place) <= TOWNSHIP:
                    counts[key][place] += n
        ref = self.as_of.isoformat()
        for key, places in counts.items():
            for place, n in places.items():
                self.add(("kpi", ref, place, "notices", key), n, protected=False)
            self.hierarchy("kpi", ref, "notices", key, dict(places))
        for lv in (COUNTY, TOWNSHIP):
            self.tables.add(("kpi", ref, lv, "notices"))

    def presence(self, presence: pa.Table) -> None:
        days = {d for d in self.windows.days}
        grouped: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for code, day, rooms in zip(*(presence.column(c).to_pylist()
                                      for c in ("division", "day", "rooms"))):
            if day in days:
                grouped[day.isoformat()].append((code, rooms))
        for day, rows in grouped.items():
            counts = _rollup(rows, TOWNSHIP)
            for code, n in counts.items():
                self.add(("presence", day, code, "rooms", ""), n, protected=False)
            self.hierarchy("presence", day, "rooms", "", counts)
            self.tables.add(("presence", day, TOWNSHIP, "rooms"))

    def mobile(self, rows: Iterable[tuple[date, str, str, int]]) -> None:
        """Operators' counts (each already 16 or more) per township, day and origin province,
        with township and county totals."""
        grouped: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
        for day, code, origin, n in rows:
            grouped[(day.isoformat(), origin)].append((code, n))
        totals: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for (day, origin), places in grouped.items():
            counts = _rollup(places, TOWNSHIP)
            for code, n in counts.items():
                if level(code) >= COUNTY:
                    self.add(("mobile", day, code, "origin", origin), n, protected=False)
                    totals[day][code].append(origin)
            self.hierarchy("mobile", day, "origin", origin,
                           {c: n for c, n in counts.items() if level(c) >= COUNTY})
        for day, places in totals.items():
            for code, origins in places.items():
                keys = [("mobile", day, code, "origin", o) for o in origins]
                self.add(("mobile", day, code, "total", ""),
                         sum(self.values.get(k, 0) for k in keys), protected=False)
                self.release.total(("mobile", day, code, "total", ""), keys)
            self.tables.add(("mobile", day, TOWNSHIP, "origin"))


def _township(code: str) -> str:
    return rules.up(code, TOWNSHIP) if level(code) >= TOWNSHIP else code + DIRECT


def month_start(label: str) -> date:
    return date(int(label[:4]), int(label[5:7]), 1)


def month_days(label: str) -> list[date]:
    start = month_start(label)
    end = rules.month_end(start.year, start.month)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
