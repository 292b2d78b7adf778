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

    def stock(self) -> pa.Table:
        d = self.d
        age = rules.age_band_sql("(year(f.ref) - r.birth_year)")
        stay = rules.stay_sql(d.days_between("r.start_date", "f.ref"))
        self.engine.materialize("active", f"""
            SELECT f.ref, f.recent, r.pid, r.place, r.recorded_division, r.sex, r.reason,
                   r.origin, {age} AS age_band, {stay} AS stay
            FROM regs r JOIN refs f
              ON r.start_date <= f.ref AND (r.end_date IS NULL OR r.end_date > f.ref)""")
        self.engine.materialize("permitted", """
            SELECT DISTINCT a.ref, a.pid FROM active a JOIN permits p ON p.pid = a.pid
            WHERE p.valid AND p.issued_on <= a.ref AND p.valid_until >= a.ref""")
        self.engine.materialize("act", """
            SELECT a.*, CASE WHEN q.pid IS NULL THEN 'without' ELSE 'with' END AS permit
            FROM active a LEFT JOIN permitted q ON q.ref = a.ref AND q.pid = a.pid""")
        village = [(Dim.TOTAL, "''"), (Dim.SEX, "sex"), (Dim.AGE_BAND, "age_band"),
                   (Dim.REASON, "reason"), (Dim.STAY, "stay"), (Dim.PERMIT, "permit"),
                   (Dim.ORIGIN_PROVINCE,
                    "CASE WHEN origin = 'unknown' THEN origin ELSE rpad(substr(origin, 1, 2), 12, '0') END")]
        parts = [f"SELECT ref, place AS division, '{dim.value}' AS dim, {expr} AS key, "
                 f"count(*) AS n FROM act GROUP BY ref, place, {expr}"
                 if dim is not Dim.TOTAL else
                 "SELECT ref, place AS division, 'total' AS dim, '' AS key, count(*) AS n "
                 "FROM act GROUP BY ref, place"
                 for dim, expr in village]
        city = ("CASE WHEN origin = 'unknown' THEN origin ELSE rpad(substr(origin, 1, 4), 12, "
                "'0') END")
        county = ("CASE WHEN origin = 'unknown' THEN origin ELSE rpad(substr(origin, 1, 6), 12, "
                  "'0') END")
        township = "rpad(substr(place, 1, 9), 12, '0')"
        parts.append(f"SELECT ref, {township} AS division, 'origin_city' AS dim, {city} AS key, "
                     f"count(*) AS n FROM act GROUP BY ref, {township}, {city}")
        parts.append(f"SELECT ref, rpad(substr(place, 1, 6), 12, '0') AS division, "
                     f"'origin_county' AS dim, {county} AS key, count(*) AS n FROM act "
                     f"GROUP BY ref, rpad(substr(place, 1, 6), 12, '0'), {county}")
        return self.engine.query(" UNION ALL ".join(parts), STOCK)

    def stock_then(self) -> pa.Table:
        """Totals in the boundaries in force at each reference date, where they differ."""
        return self.engine.query("""
            SELECT a.ref, t.then_code AS division, a.place AS current, count(*) AS n
            FROM act a JOIN geo_then t ON t.code = a.recorded_division AND t.ref = a.ref
            GROUP BY a.ref, t.then_code, a.place""", STOCK_THEN)

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
            return self.engine.query(f"""
                SELECT division, day, count(DISTINCT room) AS rooms, count(*) AS key_days
                FROM presence_events WHERE day >= {d.date(first)}
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
