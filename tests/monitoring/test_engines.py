"""The aggregate SQL is written once (`anju.monitoring.aggregates` against a dialect object):
DuckDB and Apache Spark in local mode give identical tables from the same snapshot of the demo
county — with a boundary change in force, so the crosswalk tables are exercised too."""
from __future__ import annotations

from collections import Counter

from anju.monitoring import build
from anju.monitoring.engine import open_engine


def _rows(table) -> Counter:
    """A table as a multiset of rows (the engines need not agree on order)."""
    if table is None:
        return Counter()
    columns = table.to_pydict()
    return Counter(zip(*(columns[name] for name in table.schema.names), strict=True))


def test_duckdb_and_spark_local_mode_give_identical_aggregates(merged_county, spark, tmp_path):
    inputs, as_of = merged_county.inputs, merged_county.as_of
    answers = {}
    # Spark: the run's one session in local mode (tests/conftest.py), not stopped by the engine
    for name, options in (("duckdb", {}), ("spark", {"spark": spark})):
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
