"""An outsider who has every published table of a build and tries to recover a withheld cell.

Written apart from the release engine on purpose: it knows only what the published tables mean
(a division is the sum of its children; a total is the sum of a breakdown's categories; a stock
plus a month's arrivals less its departures is the next month-end's stock; a month and a week
are the sums of their days; an origin–destination column adds up to the arrivals; moves in plus
arrivals from outside are the year's arrivals …), states those relations over the published
values — a missing cell is a published 0 — and then subtracts:

1. every relation alone: a single withheld cell is recovered; withheld cells all on one side are
   a group whose total the shown cells give away;
2. every pair of relations that share a withheld cell, added or subtracted so that cell cancels
   (a breakdown against another breakdown, a level against the level above, a day against the
   next): the same two tests on what is left;
3. every connected set of withheld cells as a linear system: a cell whose unit vector lies in
   the row space is recovered, whatever combination of subtractions it takes (a dense SVD of
   the system's ±1 matrix; for large systems, random vectors projected off the row space with
   LSMR — a recovered cell keeps no part of them).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import numpy as np

K = 16


def _level(code: str) -> int:
    if code.endswith("*"):
        return _level(code[:-1]) + 1
    for lv, n in ((1, 2), (2, 4), (3, 6), (4, 9)):
        if code[n:] == "0" * (12 - n):
            return lv
    return 5


def _parent(code: str) -> str | None:
    if code.endswith("*"):
        return code[:-1]
    lv = _level(code)
    if lv == 1:
        return None
    keep = {2: 2, 3: 4, 4: 6, 5: 9}[lv]
    return code[:keep].ljust(12, "0")


def _month_end(label: str) -> date:
    year, month = int(label[:4]), int(label[5:7])
    first_next = date(year + (month == 12), month % 12 + 1, 1)
    return first_next - timedelta(days=1)


class Attacker:
    def __init__(self, cells: dict[tuple, int | None], tables: set[tuple[str, str, int, str]],
                 as_of: date) -> None:
        self.cells, self.tables, self.as_of = cells, tables, as_of
        self.relations: list[list[tuple[tuple, int]]] = []
        self.by: dict[tuple, set] = defaultdict(set)  # (table, ref, dim) -> keys
        for key in cells:
            if isinstance(key, tuple) and len(key) == 5:
                self.by[(key[0], key[1], key[3])].add(key)

    def value(self, key: tuple) -> int | None:
        return self.cells.get(key, 0)

    def relate(self, total: tuple, parts: list[tuple]) -> None:
        terms = [(total, 1)] + [(p, -1) for p in parts]
        terms = [(k, c) for k, c in terms if k in self.cells]  # missing cells are shown zeros
        if any(self.cells[k] is None for k, _ in terms):
            self.relations.append(terms)

    def equation(self, terms: list[tuple[tuple, int]]) -> None:
        terms = [(k, c) for k, c in terms if k in self.cells]
        if any(self.cells[k] is None for k, _ in terms):
            self.relations.append(terms)

    # --- what the published tables mean -----------------------------------------------------
    def state(self) -> None:
        self._hierarchies()
        self._breakdowns()
        self._time()
        self._od()
        self._moves()
        self._kpis()

    def _hierarchies(self) -> None:
        for (table, ref, dim), keys in self.by.items():
            if table in ("moves", "frequency", "kpi"):
                continue
            groups = defaultdict(list)
            for key in keys:
                groups[key[4]].append(key)
            for category, members in groups.items():
                codes = {k[2] for k in members}
                children = defaultdict(list)
                for code in codes:
                    up = _parent(code)
                    if up in codes and (table, ref, _level(code), dim) in self.tables:
                        children[up].append(code)
                for up, kids in children.items():
                    self.relate((table, ref, up, dim, category),
                                [(table, ref, k, dim, category) for k in kids])

    def _breakdowns(self) -> None:
        rows = defaultdict(list)
        for key in self.cells:
            if key[0] == "stock" and key[3] != "total":
                rows[(key[1], key[2], key[3])].append(key)
        for (ref, code, _dim), keys in rows.items():
            self.relate(("stock", ref, code, "total", ""), keys)
        then = defaultdict(list)
        for key in self.cells:
            if key[0] == "stock_then":
                then[(key[1], key[4])].append(key)
        for (ref, current), keys in then.items():
            self.relate(("stock", ref, current, "total", ""), keys)

    def _time(self) -> None:
        refs = sorted({k[1] for k in self.cells if k[0] == "stock" and k[3] == "total"} |
                      {t[1] for t in self.tables if t[0] == "stock" and t[3] == "total"})
        months = {t[1] for t in self.tables if t[0] == "flows" and t[3] == "month"}
        days = sorted({t[1] for t in self.tables if t[0] == "flows" and t[3] == "day"})
        codes = {k[2] for k in self.cells if k[0] in ("stock", "flows")}
        for before, after in zip(refs, refs[1:]):
            month = after[:7]
            if month in months and date.fromisoformat(after) == _month_end(month):
                periods, freq = [month], "month"
            else:
                periods = [d for d in days if before < d <= after]
                freq = "day"
                if len(periods) != (date.fromisoformat(after) - date.fromisoformat(before)).days:
                    continue
            for code in codes:
                if not all(("flows", p, _level(code), freq) in self.tables for p in periods):
                    continue
                terms = [(("stock", after, code, "total", ""), 1),
                         (("stock", before, code, "total", ""), -1)]
                for p in periods:
                    terms += [(("flows", p, code, freq, "arr"), -1),
                              (("flows", p, code, freq, "dep"), 1)]
                self.equation(terms)
        day_set = set(days)
        weeks = {t[1] for t in self.tables if t[0] == "flows" and t[3] == "week"}
        for code in codes:
            for month in months:
                end = _month_end(month)
                span = [(end.replace(day=1) + timedelta(days=i)).isoformat()
                        for i in range(end.day)]
                if all(d in day_set for d in span) and ("flows", span[0], _level(code), "day") \
                        in self.tables:
                    for direction in ("arr", "dep"):
                        self.relate(("flows", month, code, "month", direction),
                                    [("flows", d, code, "day", direction) for d in span])
            for week in weeks:
                monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
                span = [(monday + timedelta(days=i)).isoformat() for i in range(7)]
                if all(d in day_set for d in span) and ("flows", span[0], _level(code), "day") \
                        in self.tables:
                    for direction in ("arr", "dep"):
                        self.relate(("flows", week, code, "week", direction),
                                    [("flows", d, code, "day", direction) for d in span])

    def _od(self) -> None:
        columns = defaultdict(list)
        for key in self.cells:
            if key[0] == "od":
                columns[(key[1], key[2], key[3])].append(key)
        for (month, dest, origin_level), keys in columns.items():
            self.relate(("flows", month, dest, "month", "arr"), keys)
            finer = {"province": "city", "city": "county"}.get(origin_level)
            if not finer:
                continue
            width = {"province": 2, "city": 4}[origin_level]
            for key in keys:
                parts = [k for k in columns.get((month, dest, finer), [])
                         if (k[4] == key[4] == "unknown") or
                         (key[4] != "unknown" and k[4][:width] == key[4][:width])]
                self.relate(key, parts)

    def _moves(self) -> None:
        matrix = [k for k in self.cells if k[0] == "moves" and k[3] == "from"]
        for dest in {k[2] for k in self.cells if k[0] == "moves"}:
            self.relate(("moves", "12m", dest, "in", ""), [k for k in matrix if k[2] == dest])
            self.relate(("moves", "12m", dest, "out", ""), [k for k in matrix if k[4] == dest])
            months = sorted({t[1] for t in self.tables if t[0] == "od"})
            self.equation([(("flows", m, dest, "month", "arr"), 1) for m in months]
                          + [(("moves", "12m", dest, "in", ""), -1),
                             (("moves", "12m", dest, "outside", ""), -1)])
        for key in self.cells:
            if key[0] == "frequency" and key[3] == "total":
                self.relate(key, [k for k in self.cells if k[0] == "frequency"
                                  and k[3] == "moves"])

    def _kpis(self) -> None:
        for key in self.cells:
            if key[0] == "kpi" and key[3] == "accuracy" and key[4] == "confirmed":
                self.relate(("stock", key[1], key[2], "total", ""),
                            [key, key[:4] + ("unconfirmed",)])

    # --- subtracting ---------------------------------------------------------------------------
    def _check(self, terms: dict[tuple, int], why: str, findings: list[str]) -> None:
        unknown = {k: c for k, c in terms.items() if c and self.cells.get(k, 0) is None}
        if not unknown:
            return
        rest = -sum(c * self.value(k) for k, c in terms.items() if c and k not in unknown)
        if len(unknown) == 1:
            (key, coef), = unknown.items()
            findings.append(f"{why}: {key} = {rest / coef:g}")
            return
        signs = set(unknown.values())
        if len(signs) == 1 and abs(next(iter(signs))) == 1:
            group = rest * next(iter(signs))
            if 0 < group < K:
                findings.append(f"{why}: {len(unknown)} withheld cells add up to {group} "
                                f"({sorted(unknown)[:3]}…)")

    def attack(self) -> list[str]:
        self.state()
        findings: list[str] = []
        relations = [dict(r) for r in self.relations]
        for terms in relations:
            self._check(terms, "one relation", findings)
        holding = defaultdict(list)
        for index, terms in enumerate(relations):
            for key in terms:
                if self.cells.get(key, 0) is None:
                    holding[key].append(index)
        done = set()
        for key, indices in holding.items():
            for i in indices:
                for j in indices:
                    if i >= j or (i, j) in done:
                        continue
                    done.add((i, j))
                    s = -relations[i][key] * relations[j][key]
                    combined = dict(relations[i])
                    for k, c in relations[j].items():
                        combined[k] = combined.get(k, 0) + s * c
                    self._check(combined, "two relations", findings)
        findings += self._rank(relations)
        return findings

    def _rank(self, relations: list[dict]) -> list[str]:
        parent: dict = {}

        def find(x):
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for terms in relations:
            unknown = [k for k in terms if self.cells.get(k, 0) is None]
            for k in unknown[1:]:
                parent[find(k)] = find(unknown[0])
        groups = defaultdict(list)
        for terms in relations:
            unknown = [k for k in terms if self.cells.get(k, 0) is None]
            if unknown:
                groups[find(unknown[0])].append({k: terms[k] for k in unknown})
        findings = []
        for rows in groups.values():
            names = sorted({k for row in rows for k in row})
            index = {k: j for j, k in enumerate(names)}
            if len(names) <= 1500:
                a = np.zeros((len(rows), len(names)))
                for r, row in enumerate(rows):
                    for k, c in row.items():
                        a[r, index[k]] = c
                _, sigma, vt = np.linalg.svd(a, full_matrices=False)
                rank = int((sigma > 1e-9 * max(1.0, sigma[0])).sum())
                distance = 1.0 - (vt[:rank] ** 2).sum(axis=0)
            else:  # the part of random vectors outside the row space (sparse least squares)
                from scipy.sparse import coo_matrix
                from scipy.sparse.linalg import lsmr

                entries = [(r, index[k], c) for r, row in enumerate(rows) for k, c in row.items()]
                rows_, cols, vals = zip(*entries)
                at = coo_matrix((vals, (cols, rows_)), shape=(len(names), len(rows))).tocsr()
                rng = np.random.default_rng(11)
                distance = np.zeros(len(names))
                for _ in range(2):
                    v = rng.standard_normal(len(names))
                    y = lsmr(at, v, atol=1e-14, btol=1e-14, maxiter=40 * len(names))[0]
                    distance = np.maximum(distance, np.abs(v - at @ y))
            findings += [f"linear system: {names[j]} is determined"
                         for j in range(len(names)) if distance[j] < 1e-6]
        return findings

def attack_relations(values: dict, relations: list[list[tuple]]) -> list[str]:
    """The same subtractions over ad-hoc cells and relations (unit tests)."""
    attacker = Attacker(values, set(), date.today())
    attacker.state = lambda: None  # the relations are given
    attacker.relations = [[(k, c) for k, c in r if k in values] for r in relations]
    return attacker.attack()


def published(db, build_id: int | None = None) -> tuple[dict, set, date]:
    """Every published cell and table of a build (the latest), as an outsider gets them."""
    from sqlalchemy import select

    from anju.monitoring.models import StatsBuild, StatsCell, StatsTable

    with db.unit_of_work() as s:
        build = s.get(StatsBuild, build_id) if build_id else s.execute(
            select(StatsBuild).where(StatsBuild.status == "done")
            .order_by(StatsBuild.id.desc())).scalars().first()
        cells = {(c.table, c.ref, c.division, c.dim, c.key): c.count for c in s.execute(
            select(StatsCell).where(StatsCell.build_id == build.id)).scalars()}
        tables = {(t.table, t.ref, t.level, t.dim) for t in s.execute(
            select(StatsTable).where(StatsTable.build_id == build.id)).scalars()}
        return cells, tables, build.as_of
