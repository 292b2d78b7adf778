"""`anju link`: cluster department records into persons, from files, no database or server."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Record linkage: cluster department records into persons (一人一码).",
                  no_args_is_help=True)

INPUT_COLUMNS = ["source", "source_record_id", "name", "id_number", "sex", "birth_date", "phone",
                 "hukou_address", "current_address", "employer"]


class _Progress:
    """Stage-by-stage progress on stderr, with elapsed seconds."""

    def __init__(self, quiet: bool):
        self.quiet, self.t0 = quiet, time.perf_counter()

    def __call__(self, msg: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.t0:6.1f}s] {msg}", file=sys.stderr, flush=True)


@app.callback()
def _main() -> None:
    """Record linkage commands."""


hub = typer.Typer(help="The data hub: department imports into the database (数据交换).",
                  no_args_is_help=True)


@hub.callback()
def _hub() -> None:
    """Data hub commands."""


@hub.command("import")
def import_extract(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                         help="the department's extract, as it sent it")],
    department: Annotated[str, typer.Option(help="connector code: gongan, zhujian, renshe, "
                                                  "yibao, jiaoyu, minzheng, shichang, …")],
    steward: Annotated[str, typer.Option(help="username of the data steward the import is "
                                              "recorded under (their jurisdiction applies)")],
) -> None:
    """Import one department extract into the hub: the same batched, resumable job the web
    upload runs, in the foreground. Running it again resumes an interrupted import; a file
    imported before is not imported again ("unchanged")."""
    from anju.core.config import get_settings
    from anju.core.db import Database
    from anju.core.errors import AnjuError
    from anju.exchange import imports

    settings = get_settings()
    db = Database(settings.resolved_database_url, settings.db_pool_size)
    log = _Progress(quiet=False)
    try:
        state, report = imports.from_console(
            db, steward, file, department,
            lambda done, total: log(f"{done:,} / {total:,} records stored and linked"))
    except AnjuError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    if report is None:
        typer.echo(f"import is {state} (另一进程正在导入该文件 / another process is importing "
                   "this file)")
        raise typer.Exit(1)
    typer.echo(f"{report.status}: import {report.import_id}, {report.rows:,} records, "
               f"{report.new_records:,} new, {report.updated_records:,} updated, "
               f"{report.unchanged_records:,} unchanged, {report.error_count:,} rejected values; "
               f"linked {report.linked}")


@app.command()
def run(
    input: Annotated[Path, typer.Option("--input", "-i", exists=True, dir_okay=False,
                                        help="CSV (UTF-8) with the standard columns")],
    output: Annotated[Path, typer.Option("--output", "-o", dir_okay=False,
                                         help="CSV: source, source_record_id, person_uid")],
    model: Annotated[Path | None, typer.Option(
        "--model", exists=True, dir_okay=False,
        help="Reuse a trained model JSON instead of training")] = None,
    threshold: Annotated[float | None, typer.Option(
        "--threshold", help="Match weight needed to join two records")] = None,
    seed: Annotated[int, typer.Option(
        "--seed", help="Seed for sampling (reproducible models)")] = 42,
    review_band: Annotated[float, typer.Option(
        "--review-band", help="Pairs this far below the threshold go to review")] = 6.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr")] = False,
) -> None:
    """Cluster the records of INPUT into persons and write one row per record to OUTPUT.

    The trained model is saved next to OUTPUT as <OUTPUT>.model.json, and run figures as
    <OUTPUT>.run.json; pairs in the uncertain band below the threshold go to
    <OUTPUT>.review.csv for clerical review.
    """
    import polars as pl

    from anju.exchange import linkage

    log = _Progress(quiet)
    raw = pl.read_csv(input, infer_schema=False, encoding="utf8-lossy")
    missing = [c for c in INPUT_COLUMNS if c not in raw.columns]
    if missing:
        typer.echo(f"输入缺少列 / input lacks columns: {', '.join(missing)}", err=True)
        raise typer.Exit(2)
    log(f"read {raw.height:,} records from {input}")
    df = linkage.prepare(raw)
    log("standardised IDs, names (pinyin keys), dates, sexes, phones, addresses")
    if model is None:
        model_dict = linkage.train(df, seed=seed, log=log)
    else:
        model_dict = json.loads(model.read_text("utf-8"))
    log("scoring blocked pairs")
    pairs = linkage.predict(df, model_dict)
    log(f"scored {pairs.height:,} candidate pairs")
    if threshold is None:
        threshold = model_dict.get("anju_threshold", linkage.DEFAULT_THRESHOLD)
    accepted = linkage.accept(pairs, threshold)
    labels = linkage.connected_components(raw.height, accepted)
    uids = linkage.person_uids(raw, labels)
    out = raw.select("source", "source_record_id").with_columns(person_uid=uids)
    output.parent.mkdir(parents=True, exist_ok=True)
    out.write_csv(output)
    n_persons = uids.n_unique()
    log(f"accepted {accepted.height:,} pairs → {n_persons:,} persons; wrote {output}")
    review = _review_pairs(raw, pairs, threshold, review_band)
    review.write_csv(output.with_name(output.name + ".review.csv"))
    log(f"{review.height:,} uncertain pairs (weight {threshold - review_band:g}–{threshold:g}) "
        f"written for clerical review")
    model_dict["anju_threshold"] = threshold
    model_path = output.with_name(output.name + ".model.json")
    model_path.write_text(json.dumps(model_dict, ensure_ascii=False, indent=1), "utf-8")
    run_info = {"input": str(input), "records": raw.height, "pairs_scored": pairs.height,
                "pairs_accepted": accepted.height, "persons": n_persons, "threshold": threshold,
                "seed": seed, "model": str(model_path), "trained": model is None,
                "seconds": round(time.perf_counter() - log.t0, 2)}
    output.with_name(output.name + ".run.json").write_text(json.dumps(run_info, indent=1), "utf-8")
    log(f"model saved to {model_path}")


def _review_pairs(raw, pairs, threshold: float, band: float):
    import polars as pl

    ids = raw.select("source", "source_record_id").with_row_index("uid").with_columns(
        pl.col("uid").cast(pl.Int64))
    uncertain = pairs.filter(pl.col("match_weight").is_between(threshold - band, threshold,
                                                               closed="left") & ~pl.col("veto"))
    return (uncertain.join(ids, left_on="uid_l", right_on="uid")
            .join(ids, left_on="uid_r", right_on="uid", suffix="_r")
            .select(source_l="source", source_record_id_l="source_record_id",
                    source_r="source_r", source_record_id_r="source_record_id_r",
                    match_weight=pl.col("match_weight").round(2))
            .sort("match_weight", descending=True))


if __name__ == "__main__":
    app()
