"""The one release function: small cells withheld, complementary cells withheld so that no
subtraction recovers them (FlowKit #5258's "50 − 45", #4866's inflows and outflows, a level
apart, a day apart, a build apart), checked by the attacker of tests/monitoring/attacker.py.
Each case first shows the attacker succeeding against primary suppression alone, so the test
proves the complementary step is what stops it."""
from __future__ import annotations

import numpy as np
import pytest

from anju.monitoring import release as R
from anju.monitoring.release import Release, determined
from tests.monitoring.attacker import attack_relations


def _naive(cells: dict, relations) -> dict:
    """Primary suppression only: what FlowKit does."""
    return {k: (None if 0 < v < 16 else v) for k, v in cells.items()}


def _run(cells: dict, relations: list[tuple], protected=()) -> dict:
    r = Release()
    for key, value in cells.items():
        r.cell(key, value, protected=key in protected)
    for total, parts in relations:
        r.total(total, parts)
    return r.run().values


def _as_terms(relations):
    return [[(t, 1)] + [(p, -1) for p in parts] for t, parts in relations]


def _audit(cells, relations, protected=()):
    naive = attack_relations(_naive(cells, relations), _as_terms(relations))
    released = _run(cells, relations, protected)
    return naive, attack_relations(released, _as_terms(relations)), released


def test_flowkit_5258_difference_of_two_shown_counts():
    """50 residents, 45 with a permit: showing both tells that 5 have none — the "5" is a cell
    of its own, withheld, and so is a partner, whichever breakdown is looked at."""
    cells = {"all": 50, "permit": 45, "no_permit": 5, "men": 30, "women": 20}
    relations = [("all", ["permit", "no_permit"]), ("all", ["men", "women"])]
    naive, found, released = _audit(cells, relations, protected={"all"})
    assert naive and "no_permit" in naive[0]
    assert found == []
    assert released["no_permit"] is None and released["permit"] is None
    assert released["all"] == 50 and released["men"] == 30  # what need not be withheld is shown


def test_flowkit_4866_inflows_and_outflows_are_true_totals_and_protect_their_cells():
    """Inflows and outflows are counted before release and released as cells of their own (not
    sums of released cells, which would be wrong where cells are withheld), and no origin–
    destination cell can be recovered from them."""
    flows = {("od", "A", "X"): 40, ("od", "B", "X"): 3, ("od", "C", "X"): 2,
             ("od", "A", "Y"): 25, ("od", "B", "Y"): 30, ("od", "C", "Y"): 9}
    inflow = {("in", d): sum(v for (_, _, dd), v in flows.items() if dd == d) for d in "XY"}
    outflow = {("out", o): sum(v for (_, oo, _), v in flows.items() if oo == o) for o in "ABC"}
    cells = {**flows, **inflow, **outflow}
    relations = [(("in", d), [k for k in flows if k[2] == d]) for d in "XY"] + \
        [(("out", o), [k for k in flows if k[1] == o]) for o in "ABC"]
    naive, found, released = _audit(cells, relations)
    assert naive
    assert found == []
    for key in inflow:  # the published inflow is the true one …
        if released[key] is not None:
            assert released[key] == inflow[key]
    shown_sum = sum(v for k, v in released.items() if k[0] == "od" and k[2] == "X" and v)
    assert shown_sum != inflow[("in", "X")]  # … which summing released cells would not give


def test_a_level_apart():
    """county − other townships − a township's shown villages would leave the withheld
    villages plus other withheld townships: that group must not be small either."""
    cells = {"county": 400, "T1": 200, "T2": 190, "T3": 10,
             "v1": 188, "v2": 9, "v3": 3, "w1": 150, "w2": 40}
    relations = [("county", ["T1", "T2", "T3"]), ("T1", ["v1", "v2", "v3"]),
                 ("T2", ["w1", "w2"])]
    naive, found, released = _audit(cells, relations, protected={"county"})
    assert naive
    assert found == [], found
    assert released["county"] == 400


def test_a_day_apart():
    """A village of 15 yesterday (withheld) and 16 today (shown), with one arrival and no
    departure today: stock + arrivals − departures would give yesterday's 15 back."""
    cells = {("stock", "d0"): 15, ("stock", "d1"): 16, ("arr", "d1"): 1, ("dep", "d1"): 0,
             ("stock", "d2"): 30, ("arr", "d2"): 14, ("dep", "d2"): 0}
    r = Release()
    for key, value in cells.items():
        r.cell(key, value)
    terms = [[(("stock", "d1"), 1), (("stock", "d0"), -1), (("arr", "d1"), -1),
              (("dep", "d1"), 1)],
             [(("stock", "d2"), 1), (("stock", "d1"), -1), (("arr", "d2"), -1),
              (("dep", "d2"), 1)]]
    for t in terms:
        r.equation(t)
    values = r.run().values
    assert attack_relations(_naive(cells, []), terms)
    assert attack_relations(values, terms) == []
    assert values[("stock", "d0")] is None and values[("arr", "d1")] is None


def test_a_build_apart_a_revised_figure_that_moved_by_a_few_is_withheld():
    r = Release()
    r.cell("jan", 44)
    r.cell("feb", 60)
    r.previously("jan", [40])  # the last build showed 40: 44 would tell 4 late registrations
    r.previously("feb", [20])
    values = r.run().values
    assert values == {"jan": None, "feb": 60}


def test_only_the_county_total_is_left_when_everything_else_is_small():
    cells = {"county": 20, "a": 7, "b": 6, "c": 7}
    released = _run(cells, [("county", ["a", "b", "c"])], protected={"county"})
    assert released == {"county": 20, "a": None, "b": None, "c": None}


@pytest.mark.parametrize("size", [30, 60])
def test_the_sparse_audit_finds_what_the_dense_one_finds(size, monkeypatch):
    """A 2D table of withheld cells with its margins fixes no cell; two more relations fix one.
    Big systems go to the sparse (least-squares) check: it must agree with the dense SVD."""
    rng = np.random.default_rng(size)
    rows = [[((i, j), 1) for j in range(size)] for i in range(size)]
    rows += [[((i, j), 1) for i in range(size)] for j in range(size)]
    a, b = (3, 4), (5, 4)
    rows += [[(a, 1), (b, 1)], [(a, 1), (b, -1)]]
    rng.shuffle(rows)
    sparse = determined(rows)
    monkeypatch.setattr(R, "DENSE_LIMIT", 10 ** 9)
    dense = determined(rows)
    assert size * size > 400
    assert set(sparse) == set(dense) == {a, b}


def test_relations_must_hold_on_the_data():
    r = Release()
    r.cell("t", 10)
    r.cell("p", 3)
    with pytest.raises(ValueError, match="does not hold"):
        r.total("t", ["p"])
