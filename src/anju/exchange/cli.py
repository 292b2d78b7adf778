"""`anju link`: cluster department records into persons, from files, no database or server."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

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


@app.command()
def run(
    input: Path = typer.Option(..., "--input", "-i", exists=True, dir_okay=False,
                               help="CSV (UTF-8) with the standard columns"),
    output: Path = typer.Option(..., "--output", "-o", dir_okay=False,
                                help="CSV: source, source_record_id, person_uid"),
    model: Path | None = typer.Option(None, "--model", exists=True, dir_okay=False,
                                      help="Reuse a trained model JSON instead of training"),
    threshold: float = typer.Option(None, "--threshold",
                                    help="Match weight needed to join two records"),
    seed: int = typer.Option(42, "--seed", help="Seed for u-sampling (reproducible models)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress on stderr"),
) -> None:
    """Cluster the records of INPUT into persons and write one row per record to OUTPUT.

    The trained model is saved next to OUTPUT as <OUTPUT>.model.json, and run figures as
    <OUTPUT>.run.json.
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
    pairs, model_dict = linkage.train_and_predict(df, model, seed=seed, log=log)
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
    model_dict["anju_threshold"] = threshold
    model_path = output.with_name(output.name + ".model.json")
    model_path.write_text(json.dumps(model_dict, ensure_ascii=False, indent=1), "utf-8")
    run_info = {"input": str(input), "records": raw.height, "pairs_scored": pairs.height,
                "pairs_accepted": accepted.height, "persons": n_persons, "threshold": threshold,
                "seed": seed, "model": str(model_path), "trained": model is None,
                "seconds": round(time.perf_counter() - log.t0, 2)}
    output.with_name(output.name + ".run.json").write_text(json.dumps(run_info, indent=1), "utf-8")
    log(f"model saved to {model_path}")


if __name__ == "__main__":
    app()
