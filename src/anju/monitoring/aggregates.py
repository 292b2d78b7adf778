"""The aggregate SQL of a build, written once for every engine (`anju.monitoring.engine`).

Inputs (tables the build registers): `registrations` and `permits` (the registry's export),
`key_use`, `tasks`, `presence` (the housing export, presence already per division and day) or
`presence_events` (raw daily presence per person, the benchmark's load), `refs` (reference
dates), `geo` (recorded code → current code, the crosswalk) and `geo_then` (recorded code at a
reference date → the code then in force, where it differs).

Every answer is counted at the finest level it is published at (mostly villages); the build
rolls them up the five levels by code prefix, so the engines only do the heavy part.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pyarrow as pa

from anju.monitoring import rules
from anju.monitoring.rules import Dim

STOCK = pa.schema([("ref", pa.date32()), ("division", pa.string()), ("dim", pa.string()),
                   ("key", pa.string()), ("n", pa.int64())])
STOCK_THEN = pa.schema([("ref", pa.date32()), ("division", pa.string()),
                        ("current", pa.string()), ("n", pa.int64())])
FLOWS = pa.schema([("day", pa.date32()), ("division", pa.string()), ("dir", pa.string()),
                   ("n", pa.int64())])
OD = pa.schema([("year", pa.int32()), ("month", pa.int32()), ("division", pa.string()),
                ("origin", pa.string()), ("n", pa.int64())])
MOVES = pa.schema([("year", pa.int32()), ("month", pa.int32()), ("origin", pa.string()),
                   ("division", pa.string()), ("n", pa.int64())])
FREQUENCY = pa.schema([("key", pa.string()), ("n", pa.int64())])
ACCURACY = pa.schema([("division", pa.string()), ("key", pa.string()), ("n", pa.int64())])
CYCLE = pa.schema([("division", pa.string()), ("days", pa.int64()), ("n", pa.int64())])
EVIDENCE = pa.schema([("division", pa.string()), ("n", pa.int64())])
CASES = pa.schema([("division", pa.string()), ("days", pa.int64()), ("on_time", pa.bool_()),
                   ("satisfied", pa.bool_()), ("n", pa.int64())])
NOTICES = pa.schema([("division", pa.string()), ("key", pa.string()), ("n", pa.int64())])
PRESENCE = pa.schema([("division", pa.string()), ("day", pa.date32()), ("rooms", pa.int64()),
                      ("key_days", pa.int64())])
CONFIRMING_OUTCOMES = ("still_living", "registered")
FIELD_CHECK_DAYS = 180


def _ints(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Aggregates:
    """Runs the build's SQL on one engine; each method answers one Arrow table."""

    def __init__(self, engine, as_of: date, progress: Callable[[str], object] = lambda m: None):
        self.engine, self.d, self.as_of, self.progress = engine, engine.dialect, as_of, progress

    def prepare(self) -> None:
        """`regs`: approved registrations placed in current boundaries."""
        self.engine.materialize("regs", """
            SELECT r.pid, r.rid, r.start_date, r.end_date, r.reason, r.sex, r.birth_year,
                   r.recorded, r.division AS recorded_division,
                   coalesce(g.current_code, r.division) AS place,
                   coalesce(r.origin, 'unknown') AS origin
            FROM registrations r LEFT JOIN geo g ON g.code = r.division
            WHERE r.approved""")

    # --- stock: every reference date in one pass ---------------------------------------
    # A registration is active at reference dates number sb … eb-1 (refs are numbered in date
    # order); an attribute that changes with the date (age band, length of stay, permit)
    # narrows that range. So each breakdown is counted once per (division, key, range) over the
    # registrations, then spread over the dates by a join with the few reference dates — not
    # a join of every registration with every date (37 × a million rows at province scale).
    def _idx(self, day: str) -> str:
        """The number of the first reference date on or after `day` (len(refs) when none)."""
        refs = rules.reference_dates(self.as_of)
        base = refs[0].year * 12 + refs[0].month
        return (f"CASE WHEN {day} IS NULL OR {day} > {self.d.date(self.as_of)} THEN {len(refs)} "
                f"ELSE greatest(0, year({day}) * 12 + month({day}) - {base}) END")

    def _idx_year(self, year: str) -> str:
        """The number of the first reference date on or after 1 January of `year`."""
        refs = rules.reference_dates(self.as_of)
        base = refs[0].year * 12 + refs[0].month
        return (f"CASE WHEN ({year}) > {self.as_of.year} THEN {len(refs)} "
                f"ELSE greatest(0, ({year}) * 12 + 1 - {base}) END")

    def _spans(self) -> None:
        self.engine.materialize("spans", f"""
            SELECT * FROM (
              SELECT pid, place, recorded_division, sex, reason, origin, birth_year, start_date,
                     {self._idx("start_date")} AS sb, {self._idx("end_date")} AS eb
              FROM regs) s
            WHERE sb < eb""")

    @staticmethod
    def _ranged(division: str, dim: str, key: str, lo: str = "sb", hi: str = "eb",
                where: str = "") -> str:
        """(division, dim, key, lo, hi, n): spans counted by the range of reference dates they
        are counted at (their own range, narrowed to [lo, hi))."""
        lo, hi = ("sb" if lo == "sb" else f"greatest(sb, {lo})",
                  "eb" if hi == "eb" else f"least(eb, {hi})")
        conditions = [c for c in (where, f"{lo} < {hi}" if (lo, hi) != ("sb", "eb") else "")
                      if c]
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        return (f"SELECT {division} AS division, '{dim}' AS dim, {key} AS key, {lo} AS lo, "
                f"{hi} AS hi, count(*) AS n FROM spans{where} "
                f"GROUP BY {division}, {key}, {lo}, {hi}")

    def stock(self) -> pa.Table:
        d = self.d
        self._spans()
        province, city, county = (
            f"CASE WHEN origin = 'unknown' THEN origin ELSE rpad(substr(origin, 1, {n}), 12, "
            f"'0') END" for n in (2, 4, 6))
        parts = [self._ranged("place", Dim.TOTAL.value, "''"),
                 self._ranged("place", Dim.SEX.value, "sex"),
                 self._ranged("place", Dim.REASON.value, "reason"),
                 self._ranged("place", Dim.ORIGIN_PROVINCE.value, province),
                 self._ranged("rpad(substr(place, 1, 9), 12, '0')", "origin_city", city),
                 self._ranged("rpad(substr(place, 1, 6), 12, '0')", "origin_county", county)]
        # age = year(ref) − birth year: a band holds from 1 January of one year to another
        parts.append(self._ranged("place", Dim.AGE_BAND.value, f"'{rules.UNKNOWN}'",
                                  where="birth_year IS NULL"))
        low = None
        for band_low, high in rules.AGE_BANDS:
            name = f"{band_low}+" if high is None else f"{band_low}-{high}"
            lo = "sb" if low is None else self._idx_year(f"birth_year + {low + 1}")
            hi = "eb" if high is None else self._idx_year(f"birth_year + {high + 1}")
            parts.append(self._ranged("place", Dim.AGE_BAND.value, f"'{name}'", lo, hi,
                                      "birth_year IS NOT NULL"))
            low = high
        # length of stay = ref − start: a band holds from start + low days to start + high
        for name, band_low, high in rules.STAY_BANDS:
            lo = "sb" if not band_low else self._idx(d.add_days("start_date", band_low))
            hi = "eb" if high is None else self._idx(d.add_days("start_date", high))
            parts.append(self._ranged("place", Dim.STAY.value, f"'{name}'", lo, hi))
        # permit: reference dates covered by a valid permit, per person
        self.engine.materialize("covered", f"""
            SELECT DISTINCT p.pid, f.idx FROM permits p JOIN refs f
              ON f.idx >= {self._idx("p.issued_on")}
             AND f.idx < {self._idx(d.add_days("p.valid_until", 1))}
            WHERE p.valid""")
        return self.engine.query(f"""
            WITH ranged AS ({" UNION ALL ".join(parts)}),
            counted AS (
              SELECT f.ref, f.idx, r.division, r.dim, r.key, sum(r.n) AS n
              FROM ranged r JOIN refs f ON f.idx >= r.lo AND f.idx < r.hi
              GROUP BY f.ref, f.idx, r.division, r.dim, r.key),
            permitted AS (
              SELECT c.idx, s.place, count(*) AS n
              FROM spans s JOIN covered c ON c.pid = s.pid AND c.idx >= s.sb AND c.idx < s.eb
              GROUP BY c.idx, s.place)
            SELECT ref, division, dim, key, n FROM counted
            UNION ALL
            SELECT t.ref, t.division, '{Dim.PERMIT.value}' AS dim, 'with' AS key, q.n
            FROM counted t JOIN permitted q ON q.idx = t.idx AND q.place = t.division
            WHERE t.dim = 'total'
            UNION ALL
            SELECT t.ref, t.division, '{Dim.PERMIT.value}' AS dim, 'without' AS key,
                   t.n - coalesce(q.n, 0) AS n
            FROM counted t LEFT JOIN permitted q ON q.idx = t.idx AND q.place = t.division
            WHERE t.dim = 'total' AND t.n - coalesce(q.n, 0) > 0""", STOCK)

    def stock_then(self) -> pa.Table:
        """Totals in the boundaries in force at each reference date, where they differ."""
        return self.engine.query("""
            SELECT f.ref, t.then_code AS division, s.place AS current, sum(s.n) AS n
            FROM (SELECT recorded_division, place, sb, eb, count(*) AS n FROM spans
                  GROUP BY recorded_division, place, sb, eb) s
            JOIN refs f ON f.idx >= s.sb AND f.idx < s.eb
            JOIN geo_then t ON t.code = s.recorded_division AND t.ref = f.ref
            GROUP BY f.ref, t.then_code, s.place""", STOCK_THEN)

    def flows(self, first: date, last: date) -> pa.Table:
        d = self.d
        return self.engine.query(f"""
            SELECT start_date AS day, place AS division, 'arr' AS dir, count(*) AS n FROM regs
            WHERE start_date BETWEEN {d.date(first)} AND {d.date(last)}
            GROUP BY start_date, place
            UNION ALL
            SELECT end_date AS day, place AS division, 'dep' AS dir, count(*) AS n FROM regs
            WHERE end_date BETWEEN {d.date(first)} AND {d.date(last)}
            GROUP BY end_date, place""", FLOWS)

    def od(self, first: date, last: date) -> pa.Table:
        d = self.d
        origin = ("CASE WHEN origin = 'unknown' THEN origin ELSE rpad(substr(origin, 1, 6), 12, "
                  "'0') END")
        return self.engine.query(f"""
            SELECT year(start_date) AS year, month(start_date) AS month, place AS division,
                   {origin} AS origin, count(*) AS n
            FROM regs WHERE start_date BETWEEN {d.date(first)} AND {d.date(last)}
            GROUP BY year(start_date), month(start_date), place, {origin}""", OD)

    def moves(self, first: date, last: date) -> pa.Table:
        """Arrivals in the window that follow a registration of the same person ended in the
        county at most MOVE_GAP_DAYS before: moves within the county, old place → new."""
        d = self.d
        gap = d.days_between("prev_end", "start_date")
        return self.engine.query(f"""
            SELECT year(start_date) AS year, month(start_date) AS month,
                   prev_place AS origin, place AS division, count(*) AS n FROM (
              SELECT pid, place, start_date,
                     lag(place) OVER (PARTITION BY pid ORDER BY start_date, rid) AS prev_place,
                     lag(end_date) OVER (PARTITION BY pid ORDER BY start_date, rid) AS prev_end
              FROM regs) m
            WHERE start_date BETWEEN {d.date(first)} AND {d.date(last)}
              AND prev_end IS NOT NULL AND {gap} BETWEEN 0 AND {rules.MOVE_GAP_DAYS}
              AND substr(prev_place, 1, 6) = substr(place, 1, 6)
            GROUP BY year(start_date), month(start_date), prev_place, place""", MOVES)

    def frequency(self, first: date) -> pa.Table:
        """Persons registered in the county at any time since `first`, by how many
        registrations they started since then (0: there before and stayed)."""
        d = self.d
        return self.engine.query(f"""
            SELECT CASE WHEN started >= 3 THEN '3+' ELSE CAST(started AS STRING) END AS key,
                   count(*) AS n FROM (
              SELECT pid, sum(CASE WHEN start_date >= {d.date(first)} THEN 1 ELSE 0 END)
                     AS started
              FROM regs WHERE start_date <= {d.date(self.as_of)}
                AND (end_date IS NULL OR end_date > {d.date(first)})
              GROUP BY pid) p
            GROUP BY CASE WHEN started >= 3 THEN '3+' ELSE CAST(started AS STRING) END""",
                                 FREQUENCY)

    def accuracy(self) -> pa.Table:
        """Registrations active on the as-of date, confirmed (key used lately, or a field
        check found the person living there) or not."""
        d, day = self.d, self.d.date(self.as_of)
        since = d.date(self.as_of - timedelta(days=FIELD_CHECK_DAYS))
        return self.engine.query(f"""
            SELECT r.place AS division,
                   CASE WHEN k.rid IS NOT NULL OR c.rid IS NOT NULL THEN 'confirmed'
                        ELSE 'unconfirmed' END AS key, count(*) AS n
            FROM regs r
            LEFT JOIN (SELECT DISTINCT rid FROM key_use WHERE recent_days > 0) k ON k.rid = r.rid
            LEFT JOIN (SELECT DISTINCT rid FROM tasks WHERE rid IS NOT NULL
                       AND outcome IN ({_ints(list(CONFIRMING_OUTCOMES))})
                       AND resolved >= {since}) c ON c.rid = r.rid
            WHERE r.start_date <= {day} AND (r.end_date IS NULL OR r.end_date > {day})
            GROUP BY r.place, CASE WHEN k.rid IS NOT NULL OR c.rid IS NOT NULL THEN 'confirmed'
                        ELSE 'unconfirmed' END""", ACCURACY)

    def cycle(self) -> pa.Table:
        """Days from declared move-in to recording, registrations recorded in the last 90 days
        (a histogram per village; medians are taken from the released counts' populations)."""
        d = self.d
        days = d.days_between("start_date", "recorded")
        return self.engine.query(f"""
            SELECT place AS division, CASE WHEN {days} < 0 THEN 0 ELSE {days} END AS days,
                   count(*) AS n FROM regs
            WHERE recorded > {d.date(self.as_of - timedelta(days=90))}
              AND recorded <= {d.date(self.as_of)}
            GROUP BY place, CASE WHEN {days} < 0 THEN 0 ELSE {days} END""", CYCLE)

    def evidence(self) -> pa.Table:
        """Keys in regular use without a registration, in rooms with an open task."""
        return self.engine.query("""
            SELECT coalesce(g.current_code, t.division) AS division,
                   sum(t.unregistered_keys) AS n
            FROM tasks t LEFT JOIN geo g ON g.code = t.division
            WHERE t.kind = 'unregistered_occupant' AND t.status = 'open'
            GROUP BY coalesce(g.current_code, t.division)""", EVIDENCE)

    def presence(self, first: date, raw: bool = False) -> pa.Table:
        """Rooms with lock presence and key-days per division and day (from raw daily presence
        events when the build has them, else the housing export's daily counts)."""
        d = self.d
        if raw:
            # distinct rooms by grouping first: cheaper than count(DISTINCT) on 10⁸ rows
            return self.engine.query(f"""
                SELECT division, day, count(*) AS rooms, sum(n) AS key_days FROM (
                  SELECT division, day, room, count(*) AS n FROM presence_events
                  WHERE day >= {d.date(first)} GROUP BY division, day, room) e
                GROUP BY division, day""", PRESENCE)
        return self.engine.query(f"""
            SELECT coalesce(g.current_code, p.division) AS division, p.day,
                   sum(p.rooms) AS rooms, sum(p.key_days) AS key_days
            FROM presence p LEFT JOIN geo g ON g.code = p.division
            WHERE p.day >= {d.date(first)}
            GROUP BY coalesce(g.current_code, p.division), p.day""", PRESENCE)

    def cases(self) -> pa.Table:
        """Decided cases per division (current boundaries), by handling days, on time, and
        satisfied (null where there is no deadline or no rating)."""
        place = "coalesce(g.current_code, c.division)"
        return self.engine.query(f"""
            SELECT {place} AS division, c.working_days AS days, c.on_time, c.satisfied,
                   count(*) AS n
            FROM cases c LEFT JOIN geo g ON g.code = c.division
            GROUP BY {place}, c.working_days, c.on_time, c.satisfied""", CASES)

    def notices(self) -> pa.Table:
        """Eligibilities (a person eligible for a service; the cases domain's counts per
        division and service) notified or not, per division (current boundaries)."""
        place = "coalesce(g.current_code, e.division)"
        return self.engine.query(f"""
            SELECT division, key, n FROM (
              SELECT {place} AS division, 'notified' AS key, sum(e.notified) AS n
              FROM notices e LEFT JOIN geo g ON g.code = e.division GROUP BY {place}
              UNION ALL
              SELECT {place} AS division, 'not_notified' AS key,
                     sum(e.eligible - e.notified) AS n
              FROM notices e LEFT JOIN geo g ON g.code = e.division GROUP BY {place}) t
            WHERE n > 0""", NOTICES)
