"""The aggregate SQL is written once (`anju.monitoring.aggregates` against a dialect object):
DuckDB and Apache Spark in local mode give identical tables from the same snapshot of the demo
county — with a boundary change in force, so the crosswalk tables are exercised too."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pyarrow.parquet as pq
import pytest

from anju.core.identity import job_actor
from anju.monitoring import build, rules
from anju.monitoring.engine import open_engine

pytest.importorskip("pyspark")


def _rows(table) -> Counter:
    """A table as a multiset of rows (the engines need not agree on order)."""
    if table is None:
        return Counter()
    columns = table.to_pydict()
    return Counter(zip(*(columns[name] for name in table.schema.names), strict=True))


@pytest.fixture(scope="module")
def snapshot(county, tmp_path_factory):
    db, _, built = county
    folder = tmp_path_factory.mktemp("engines") / "snapshot"
    build.snapshot(db, job_actor("monitoring.nightly"), folder, built.as_of)
    return build.Inputs(folder, rules.Crosswalk(merge_two_townships(folder, built.as_of))), \
        built.as_of


def merge_two_townships(folder, as_of) -> list[rules.Change]:
    """The second-busiest township merged into the busiest 200 days ago: its villages take new
    codes under the one kept (as a real merge renumbers them)."""
    places = pq.read_table(folder / "registrations.parquet", columns=["division"]).column(0)
    towns = Counter(d[:9] + "000" for d in places.to_pylist())
    (kept, _), (merged, _) = towns.most_common(2)
    effective = as_of - timedelta(days=200)
    villages = sorted({d for d in places.to_pylist() if d[:9] == merged[:9] and d != merged})
    changes = [rules.Change(effective, merged, kept, "merge")]
    changes += [rules.Change(effective, v, f"{kept[:9]}{900 + i:03d}", "move")
                for i, v in enumerate(villages)]
    return changes


def test_duckdb_and_spark_local_mode_give_identical_aggregates(snapshot, tmp_path):
    inputs, as_of = snapshot
    answers = {}
    for name, options in (("duckdb", {}), ("spark", {"master": "local[2]", "memory": "1g"})):
        engine = open_engine(name, tmp_path / name, **options)
        try:
            answers[name] = build.aggregate(engine, inputs, as_of)
        finally:
            engine.close()
    duck, spark = answers["duckdb"], answers["spark"]
    assert set(duck) == set(spark)
    assert duck["stock_then"] is not None and duck["stock_then"].num_rows > 0
    assert sum(duck["stock"].column("n").to_pylist()) > 1000
    for name in duck:
        if duck[name] is not None:
            assert duck[name].schema == spark[name].schema, name
        assert _rows(duck[name]) == _rows(spark[name]), name
