"""Where the aggregate SQL runs: DuckDB (embedded, the default) or Apache Spark (local mode here,
a cluster for a province). The SQL in `anju.monitoring.aggregates` is written once against a small
dialect object, the way Splink writes its SQL against a `SplinkDialect`; an engine registers
Parquet files as tables, runs statements and hands back Arrow tables of one schema, so both
engines' answers compare equal (`tests/monitoring/test_engines.py`).

Spark is imported only when asked for: `anju demo` and the nightly build never load it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


@dataclass(frozen=True)
class Dialect:
    name: str

    def date(self, day: date) -> str:
        return f"DATE '{day.isoformat()}'"

    def days_between(self, start: str, end: str) -> str:
        """Whole days from `start` to `end` (end − start)."""
        raise NotImplementedError

    def median(self, expr: str) -> str:
        raise NotImplementedError

    def add_days(self, day: str, n: int) -> str:
        raise NotImplementedError


class DuckDBDialect(Dialect):
    def days_between(self, start: str, end: str) -> str:
        return f"date_diff('day', {start}, {end})"

    def median(self, expr: str) -> str:
        return f"quantile_disc({expr}, 0.5)"

    def add_days(self, day: str, n: int) -> str:
        return f"CAST({day} + INTERVAL {int(n)} DAY AS DATE)"


class SparkDialect(Dialect):
    def days_between(self, start: str, end: str) -> str:
        return f"datediff({end}, {start})"

    def median(self, expr: str) -> str:
        return f"percentile_disc(0.5) WITHIN GROUP (ORDER BY {expr})"

    def add_days(self, day: str, n: int) -> str:
        return f"date_add({day}, {int(n)})"


DUCKDB = DuckDBDialect("duckdb")
SPARK = SparkDialect("spark")


def _conform(table: pa.Table, schema: pa.Schema | None) -> pa.Table:
    """One schema whatever the engine (Spark answers int32 counts as int64, large strings …)."""
    if schema is None:
        return table
    return table.select(schema.names).cast(schema)


class DuckDBEngine:
    dialect = DUCKDB

    def __init__(self, workdir: Path, threads: int | None = None,
                 memory_limit: str | None = None) -> None:
        import duckdb

        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = {"temp_directory": str(self.workdir / "spill")}
        if threads:
            config["threads"] = threads
        if memory_limit:
            config["memory_limit"] = memory_limit
        self.con = duckdb.connect(config=config)

    def register_parquet(self, name: str, path: Path | str) -> None:
        self.con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM "
                         f"read_parquet('{Path(path).as_posix()}')")

    def register(self, name: str, table: pa.Table) -> None:
        path = self.workdir / f"{name}.parquet"
        pq.write_table(table, path)
        self.register_parquet(name, path)

    def materialize(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def query(self, sql: str, schema: pa.Schema | None = None) -> pa.Table:
        return _conform(self.con.sql(sql).to_arrow_table(), schema)

    def close(self) -> None:
        self.con.close()


class SparkEngine:
    dialect = SPARK

    def __init__(self, workdir: Path, spark=None, master: str = "local[2]",
                 memory: str = "4g") -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._own = spark is None
        if spark is None:
            from pyspark.sql import SparkSession

            spark = (SparkSession.builder.master(master).appName("anju-stats")
                     .config("spark.sql.shuffle.partitions", "8")
                     .config("spark.ui.enabled", "false")
                     .config("spark.ui.showConsoleProgress", "false")
                     .config("spark.driver.memory", memory)
                     .config("spark.sql.session.timeZone", "UTC")
                     .config("spark.local.dir", str(self.workdir / "spark"))
                     .getOrCreate())
            spark.sparkContext.setLogLevel("ERROR")
        self.spark = spark
        self._cached = []

    def register_parquet(self, name: str, path: Path | str) -> None:
        self.spark.read.parquet(str(path)).createOrReplaceTempView(name)

    def register(self, name: str, table: pa.Table) -> None:
        path = self.workdir / f"{name}.parquet"
        pq.write_table(table, path)
        self.register_parquet(name, path)

    def materialize(self, name: str, sql: str) -> None:
        frame = self.spark.sql(sql).cache()
        frame.createOrReplaceTempView(name)
        self._cached.append(frame)

    def query(self, sql: str, schema: pa.Schema | None = None) -> pa.Table:
        return _conform(self.spark.sql(sql).toArrow(), schema)

    def close(self) -> None:
        for frame in self._cached:
            frame.unpersist()
        if self._own:
            self.spark.stop()


def open_engine(name: str, workdir: Path, **options):
    if name == "duckdb":
        return DuckDBEngine(workdir, **options)
    if name == "spark":
        return SparkEngine(workdir, **options)
    raise ValueError(f"unknown engine {name!r}")
