"""A boundary change: two townships merge. Figures in current boundaries keep the series
comparable (the merged township is the sum of its parts before and after the merge), and the
totals in the boundaries in force at each date still show the old township before the merge."""
from __future__ import annotations

from datetime import date

from anju.monitoring import build, rules
from anju.monitoring.engine import open_engine

COUNTY = "330522000000"


def _build(inputs, as_of, tmp_path):
    engine = open_engine("duckdb", tmp_path / "engine")
    try:
        tables = build.aggregate(engine, inputs, as_of)
    finally:
        engine.close()
    planner, released, _ = build.plan_release(tables, as_of, COUNTY)
    return planner.values, released.values


def test_a_merged_township_is_the_sum_of_its_parts_before_and_after(county, merged_county,
                                                                     tmp_path):
    _, _, built = county
    m = merged_county
    before = built.planner.values  # the same county without the change
    after, shown = _build(m.inputs, m.as_of, tmp_path)
    refs = [d.isoformat() for d in rules.reference_dates(m.as_of)]
    assert any(date.fromisoformat(r) < m.effective for r in refs)
    assert any(date.fromisoformat(r) >= m.effective for r in refs)

    def stock(values, ref, code):
        return values.get(("stock", ref, code, "total", ""), 0)

    assert sum(stock(before, r, m.merged) for r in refs) > 0
    for ref in refs:
        # one series in today's boundaries, comparable on both sides of the change
        assert stock(after, ref, m.kept) == stock(before, ref, m.kept) + stock(before, ref, m.merged)
        assert ("stock", ref, m.merged, "total", "") not in after
        assert stock(after, ref, COUNTY) == stock(before, ref, COUNTY)
        assert shown[("stock", ref, m.kept, "total", "")] in (stock(after, ref, m.kept), None)
        # the boundaries in force then: the old township is there until the merge, not after
        then = after.get(("stock_then", ref, m.merged, "total", ""))
        if date.fromisoformat(ref) < m.effective:
            assert then == stock(before, ref, m.merged)
            assert after.get(("stock_then", ref, m.kept, "total", ""), 0) == stock(before, ref, m.kept)
        else:
            assert then is None


def test_crosswalk_follows_codes_forward_and_back_in_time():
    old_a, old_b, new = "330522101000", "330522102000", "330522199000"
    day = date(2025, 7, 1)
    walk = rules.Crosswalk([rules.Change(day, old_a, new, "merge"),
                            rules.Change(day, old_b, new, "merge"),
                            rules.Change(date(2026, 1, 1), "330522103001", "330522103099",
                                         "rename")])
    assert walk.current(old_a) == walk.current(old_b) == new
    assert walk.then(old_a, date(2025, 6, 30)) == old_a
    assert walk.then(old_a, day) == new
    assert walk.then(new, date(2025, 6, 30)) == new  # a merged code cannot be split back
    assert walk.then("330522103099", date(2025, 12, 31)) == "330522103001"
    assert walk.then("330522103099", date(2026, 1, 1)) == "330522103099"
