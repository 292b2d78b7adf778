"""The one door every figure leaves monitoring through: small-cell suppression with
complementary suppression, checked against the subtractions an attacker can make.

A build puts every figure it means to publish — stock, flows, origin–destination, KPI counts,
mobile-network counts — into one `Release` as *cells*, and states every additive relation an
outsider knows between them as *relations* (a total is the sum of its parts: a township of its
villages, a division of the categories of a breakdown, a month of its days; a stock at one date
plus the arrivals less the departures is the stock at the next). `Release.run()` then decides:

1. **Primary suppression.** A cell of 1 to `threshold - 1` people (1–15) is withheld; 0 is
   shown. A cell that an earlier release published with a value that differs from today's by
   1–15 is withheld too: the difference would be a small group ("the same table a build apart").
2. **Complementary suppression.** In every relation, a withheld cell must not be alone (it would
   be the total less the shown parts), and withheld cells on the same side of a relation must
   not add up to 1–15 (FlowKit #5258's "50 − 45"). The same holds for the sum or difference of
   two relations that share a withheld cell (a breakdown against another breakdown, a level
   against the level above). Each violation withholds the cheapest shown cell that mends it.
3. **Linear audit.** Withheld cells connected by relations form components; for each, a cell is
   recoverable when its unit vector lies in the row space of the relations restricted to the
   withheld cells (the shown cells are constants). Any recoverable cell gets another partner
   and steps 2–3 repeat until nothing is recoverable.

The engine knows nothing about migrants: it takes keys, counts and costs. Suppression choices are
deterministic (ties broken by key), so the same data give the same release.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

THRESHOLD = 16  # FlowKit's rule: publish no group of 15 or fewer people
_PROTECTED = 1e12  # the cost of a cell that should be withheld only as a last resort
DENSE_LIMIT = 400  # components up to this many withheld cells: dense SVD; larger: sparse


@dataclass
class Released:
    """What may be shown: `values[key]` is the count, or None where it is withheld."""

    values: dict[Hashable, int | None]
    primary: int = 0
    complementary: int = 0
    rounds: int = 0
    checked_components: int = 0
    reasons: dict[Hashable, str] = field(default_factory=dict)

    def shown(self, key: Hashable, default: int | None = 0) -> int | None:
        """The released value of a cell (a key never added is an empty cell: 0)."""
        return self.values.get(key, default)

    @property
    def suppressed(self) -> int:
        return self.primary + self.complementary


class Release:
    """Cells and relations of one build's publication; `run()` decides what is shown."""

    def __init__(self, threshold: int = THRESHOLD) -> None:
        self.threshold = threshold
        self._index: dict[Hashable, int] = {}
        self.keys: list[Hashable] = []
        self.value: list[int] = []
        self.cost: list[float] = []
        self.members: list[tuple[int, ...]] = []
        self.coefs: list[tuple[int, ...]] = []
        self.consts: list[int] = []
        self.member_of: list[list[int]] = []
        self._forced: set[int] = set()

    # --- building ----------------------------------------------------------------------
    def cell(self, key: Hashable, value: int, *, cost: float | None = None,
             protected: bool = False) -> None:
        """A figure to publish. `cost` ranks complementary candidates (default: its value);
        `protected` cells (the county's own totals) are withheld only as a last resort."""
        if key in self._index:
            raise ValueError(f"cell {key!r} added twice")
        if value < 0:
            raise ValueError(f"cell {key!r} is negative")
        self._index[key] = len(self.keys)
        self.keys.append(key)
        self.value.append(int(value))
        self.cost.append(_PROTECTED if protected else float(value if cost is None else cost))
        self.member_of.append([])

    def __contains__(self, key: Hashable) -> bool:
        return key in self._index

    def equation(self, terms: Iterable[tuple[Hashable, int]], const: int = 0) -> None:
        """Σ coef·cell = const. Keys never added are empty cells (0) and drop out; so do
        empty cells added explicitly (a 0 is shown and carries nothing)."""
        members, coefs, seen = [], [], set()
        for key, coef in terms:
            index = self._index.get(key)
            if index is None or self.value[index] == 0:
                continue
            if index in seen:
                raise ValueError(f"{key!r} appears twice in one relation")
            seen.add(index)
            members.append(index)
            coefs.append(coef)
        if not members:
            return
        total = sum(c * self.value[i] for i, c in zip(members, coefs))
        if total != const:
            raise ValueError(f"relation does not hold on the data: {total} != {const} "
                             f"({[self.keys[i] for i in members][:6]}…)")
        relation = len(self.members)
        self.members.append(tuple(members))
        self.coefs.append(tuple(coefs))
        self.consts.append(const)
        for index in members:
            self.member_of[index].append(relation)

    def total(self, total_key: Hashable, part_keys: Iterable[Hashable]) -> None:
        """total = Σ parts."""
        self.equation([(total_key, 1), *((k, -1) for k in part_keys)])

    def previously(self, key: Hashable, published: Iterable[int]) -> None:
        """Values an earlier release published for this cell: a difference of 1–15 from
        any of them withholds the cell now."""
        index = self._index.get(key)
        value = self.value[index] if index is not None else 0
        if any(0 < abs(value - old) < self.threshold for old in published):
            if index is None:  # it was shown before and is empty now: the 0 would tell
                self.cell(key, 0)
                index = self._index[key]
            self._forced.add(index)

    # --- deciding ----------------------------------------------------------------------
    def run(self) -> Released:
        n, k = len(self.keys), self.threshold
        state = _State(self)
        for index in range(n):
            if 0 < self.value[index] < k or index in self._forced:
                state.withhold(index, "small")
        primary = len(state.reasons)
        rounds = components = 0
        while True:
            rounds += 1
            self._mend_relations(state)
            found, checked = self._recoverable(state.supp)
            components += checked
            if not found:
                break
            for index in found:
                if not self._partner(index, state):
                    raise RuntimeError(f"no partner can protect {self.keys[index]!r}")
        values = {self.keys[i]: (None if state.supp[i] else self.value[i]) for i in range(n)}
        return Released(values, primary, len(state.reasons) - primary, rounds, components,
                        {self.keys[i]: r for i, r in state.reasons.items()})

    def _violation(self, relation: int, state: _State) -> int:
        """0: fine; else the sign (+1/-1) of the withheld group that needs a partner (or 2
        when any partner will do: a withheld cell alone in its relation)."""
        unknown = state.unknown[relation]
        if not unknown:
            return 0
        if len(unknown) == 1:
            return 2
        pos = state.pos[relation]
        if pos == len(unknown) or pos == 0:
            sign = 1 if pos else -1
            if 0 < state.rest[relation] * sign < self.threshold:
                return sign
        return 0

    def _mend_relations(self, state: _State) -> None:
        queue = list(range(len(self.members)))
        queued = set(queue)
        while queue:
            relation = queue.pop()
            queued.discard(relation)
            sign = self._violation(relation, state)
            if sign:
                chosen = self._cheapest(state.terms[relation].items(), state, sign)
            else:
                chosen = self._mend_pairs(relation, state)
            if chosen is None:
                continue
            state.withhold(chosen, "complementary")
            for other in self.member_of[chosen]:
                if other not in queued:
                    queued.add(other)
                    queue.append(other)
            if relation not in queued:
                queued.add(relation)
                queue.append(relation)

    def _mend_pairs(self, relation: int, state: _State) -> int | None:
        """The sum or difference of this relation and another that cancels a withheld cell
        they share (a level against the level above, a breakdown against another): if what
        is left withheld is all on one side and adds up to 1–15, or is a single cell, the
        partner that mends it."""
        mine = state.unknown[relation]
        if not mine:
            return None
        unknown, pos_of, member_of = state.unknown, state.pos, self.member_of
        my_pos, my_len, my_rest = pos_of[relation], len(mine), state.rest[relation]
        seen = set()
        for index, a in mine.items():
            for other in member_of[index]:
                if other == relation or other in seen:
                    continue
                seen.add(other)
                theirs = unknown[other]
                s = -a * theirs[index]
                if len(theirs) == 1:  # the common case: they share `index` only
                    if a + s * theirs[index] != 0:
                        continue
                    n_shared, pos_shared_mine, pos_shared_theirs = 1, a > 0, theirs[index] > 0
                else:
                    small, large = (mine, theirs) if my_len <= len(theirs) else (theirs, mine)
                    n_shared = pos_shared_mine = pos_shared_theirs = 0
                    cancels = True
                    for j in small:
                        if j in large:
                            mj, tj = mine[j], theirs[j]
                            if mj + s * tj != 0:
                                cancels = False  # a shared cell that does not cancel: a
                                break            # weighted sum, no group
                            n_shared += 1
                            pos_shared_mine += mj > 0
                            pos_shared_theirs += tj > 0
                    if not cancels:
                        continue
                pos = my_pos - pos_shared_mine
                neg = my_len - n_shared - pos
                their_pos = pos_of[other] - pos_shared_theirs
                their_neg = len(theirs) - n_shared - their_pos
                if s < 0:
                    their_pos, their_neg = their_neg, their_pos
                pos, neg = pos + their_pos, neg + their_neg
                if (pos and neg) or not (pos or neg):
                    continue
                sign = 1 if pos else -1
                group = (my_rest + s * state.rest[other]) * sign
                if pos + neg == 1 or 0 < group < self.threshold:
                    combined = dict(state.terms[relation])
                    for j, c in state.terms[other].items():
                        combined[j] = combined.get(j, 0) + s * c
                    return self._cheapest(combined.items(), state,
                                          2 if pos + neg == 1 else sign)
        return None

    def _cheapest(self, terms, state: _State, sign: int) -> int | None:
        """The shown, non-empty member that costs least to withhold; the group's own side
        first (it makes the withheld total larger), then the other side."""
        best, best_rank = None, None
        for index, coef in terms:
            if coef == 0 or state.supp[index] or self.value[index] <= 0:
                continue
            rank = (sign != 2 and coef != sign, self.cost[index], self.value[index],
                    repr(self.keys[index]))
            if best_rank is None or rank < best_rank:
                best, best_rank = index, rank
        return best

    def _partner(self, index: int, state: _State) -> bool:
        """Withhold one more cell so that `index` is no longer fixed: the cheapest shown cell of
        its own relations, else of the relations the withheld cells around it reach (the
        subtraction that fixed it may run through several relations) — the nearest cell that
        is not protected, and a protected one only when there is no other."""
        seen_cells, seen_relations, frontier = {index}, set(), [index]
        fallback = None
        while frontier:
            best = None
            following = []
            for cell in frontier:
                for relation in self.member_of[cell]:
                    if relation in seen_relations:
                        continue
                    seen_relations.add(relation)
                    chosen = self._cheapest(state.terms[relation].items(), state, 2)
                    if chosen is not None and (best is None or
                                               self.cost[chosen] < self.cost[best]):
                        best = chosen
                    for other in state.unknown[relation]:
                        if other not in seen_cells:
                            seen_cells.add(other)
                            following.append(other)
            if best is not None and self.cost[best] < _PROTECTED:
                state.withhold(best, "complementary")
                return True
            fallback = fallback if fallback is not None else best
            frontier = following
        if fallback is None:
            return False
        state.withhold(fallback, "complementary")
        return True

    # --- the linear audit ----------------------------------------------------------------
    def _recoverable(self, supp: list[bool]) -> tuple[list[int], int]:
        """Withheld cells whose value the relations determine, and how many components were
        checked."""
        parent = {}

        def find(x: int) -> int:
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        live = []
        for relation, members in enumerate(self.members):
            unknown = [i for i in members if supp[i]]
            if not unknown:
                continue
            live.append(relation)
            first = find(unknown[0])
            for other in unknown[1:]:
                root = find(other)
                if root != first:
                    parent[root] = first
        groups: dict[int, list[int]] = {}
        for relation in live:
            first = next(i for i in self.members[relation] if supp[i])
            groups.setdefault(find(first), []).append(relation)
        found = []
        for relations in groups.values():
            found += determined(
                [[(i, c) for i, c in zip(self.members[r], self.coefs[r]) if supp[i]]
                 for r in relations])
        return sorted(set(found), key=lambda i: (self.cost[i], repr(self.keys[i]))), len(groups)


def determined(rows: list[list[tuple[Hashable, int]]], tolerance: float = 1e-6) -> list:
    """The unknowns of a linear system (rows of (unknown, coefficient); right-hand sides do
    not matter) whose value the system fixes: those whose unit vector lies in the row space.

    Up to DENSE_LIMIT unknowns: an orthonormal basis of the row space from an economic SVD, and
    each unknown's distance to it. Larger: random vectors projected off the row space by sparse
    least squares (LSQR) — a fixed unknown keeps no part of any of them, a free one almost
    surely does."""
    import numpy as np
    from scipy.sparse import csr_matrix

    names = sorted({name for row in rows for name, _ in row}, key=repr)
    if not names:
        return []
    column = {name: j for j, name in enumerate(names)}
    data, indices, indptr = [], [], [0]
    for row in rows:
        for name, coef in row:
            data.append(float(coef))
            indices.append(column[name])
        indptr.append(len(data))
    n, m = len(names), len(rows)
    a = csr_matrix((data, indices, indptr), shape=(m, n))
    if n <= DENSE_LIMIT:
        _, sigma, vt = np.linalg.svd(a.toarray(), full_matrices=False)
        rank = int((sigma > 1e-9 * max(1.0, sigma[0] if sigma.size else 1.0)).sum())
        basis = vt[:rank]  # orthonormal rows spanning the row space
        weight = 1.0 - (basis ** 2).sum(axis=0)  # squared distance of e_i to the row space
    else:
        from scipy.sparse.linalg import lsqr

        rng = np.random.default_rng(7)
        weight = np.zeros(n)
        at = a.T.tocsr()
        for _ in range(2):
            r = rng.standard_normal(n)
            found = lsqr(at, r, atol=1e-14, btol=1e-14, conlim=1e12, iter_lim=20 * (m + n))
            if found[1] not in (1, 2, 4, 5):  # did not converge: a free cell would look fixed
                raise RuntimeError(f"least squares did not converge (istop={found[1]})")
            weight = np.maximum(weight, np.abs(r - at @ found[0]))
    return [names[j] for j in range(n) if weight[j] < tolerance]

class _State:
    """Which cells are withheld, and per relation its withheld members (with coefficients),
    how many of them are on the + side, and what the shown members say they add up to."""

    def __init__(self, release: Release) -> None:
        self.release = release
        self.supp = [False] * len(release.keys)
        self.reasons: dict[int, str] = {}
        self.terms = [dict(zip(m, c)) for m, c in zip(release.members, release.coefs)]
        self.unknown: list[dict[int, int]] = [{} for _ in release.members]
        self.pos = [0] * len(release.members)
        self.rest = [const - sum(c * release.value[i] for i, c in zip(m, cs))
                     for m, cs, const in zip(release.members, release.coefs, release.consts)]

    def withhold(self, index: int, reason: str) -> None:
        if self.supp[index]:
            return
        self.supp[index] = True
        self.reasons[index] = reason
        value = self.release.value[index]
        for relation in self.release.member_of[index]:
            coef = self.terms[relation][index]
            self.unknown[relation][index] = coef
            self.rest[relation] += coef * value
            if coef > 0:
                self.pos[relation] += 1
