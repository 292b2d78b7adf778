"""The same linkage on Spark (local mode) agrees with DuckDB."""

import polars as pl
import pytest

from anju.exchange import linkage
from anju.exchange.cli import INPUT_COLUMNS
from anju.exchange.synth import benchmark

pyspark = pytest.importorskip("pyspark")
pytestmark = pytest.mark.slow


# `spark`: the run's one Spark session in local mode (tests/conftest.py)


def test_duckdb_and_spark_agree(spark):
    recs, _ = benchmark(800, seed=21)
    df = linkage.prepare(pl.DataFrame(recs, schema={c: pl.String for c in INPUT_COLUMNS}))
    model = linkage.train(df, seed=3)
    on_duckdb = linkage.predict(df, model).sort("uid_l", "uid_r")
    on_spark = linkage.predict(df, model, backend="spark", spark=spark).sort("uid_l", "uid_r")
    assert on_spark.select("uid_l", "uid_r").equals(on_duckdb.select("uid_l", "uid_r"))
    diff = (on_spark["match_weight"] - on_duckdb["match_weight"]).abs().max()
    assert diff < 1e-6
    assert on_spark["veto"].to_list() == on_duckdb["veto"].to_list()
    n = df.height
    assert linkage.connected_components(n, linkage.accept(on_spark)) == \
        linkage.connected_components(n, linkage.accept(on_duckdb))
