"""`anju link run`: the contract, the domain rules and accuracy on a small generated set."""

import json
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from anju.exchange import linkage
from anju.exchange.cli import INPUT_COLUMNS, app
from anju.exchange.synth import benchmark

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks" / "exchange"))
from bench_link import id_baseline, pairwise

runner = CliRunner()


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    """4,000 generated records with truth, linked once for the whole module."""
    d = tmp_path_factory.mktemp("link")
    recs, truth = benchmark(4000, seed=5)
    inp, out = d / "records.csv", d / "clusters.csv"
    pl.DataFrame(recs, schema={k: pl.String for k in INPUT_COLUMNS}).write_csv(inp)
    result = runner.invoke(app, ["run", "--input", str(inp), "--output", str(out)])
    assert result.exit_code == 0, result.output
    return inp, out, truth, result


def test_contract_one_row_per_record(linked):
    inp, out, _truth, result = linked
    got = pl.read_csv(out, infer_schema=False)
    assert got.columns == ["source", "source_record_id", "person_uid"]
    src = pl.read_csv(inp, infer_schema=False)
    assert got["source_record_id"].to_list() == src["source_record_id"].to_list()
    assert got["person_uid"].null_count() == 0
    assert "scored" in result.output and "persons" in result.output  # progress (stderr)


def test_model_and_run_figures_saved(linked):
    _, out, _, _ = linked
    model = json.loads(out.with_name(out.name + ".model.json").read_text())
    assert {c["output_column_name"] for c in model["comparisons"]} >= {"id_number", "name", "household"}
    run = json.loads(out.with_name(out.name + ".run.json").read_text())
    assert run["records"] == 4000 and run["trained"]
    review = pl.read_csv(out.with_name(out.name + ".review.csv"), infer_schema=False)
    assert review.columns[:4] == ["source_l", "source_record_id_l", "source_r", "source_record_id_r"]


def test_accuracy_beats_id_baseline(linked):
    inp, out, truth, _ = linked
    got = pairwise(pl.read_csv(out, infer_schema=False)["person_uid"].to_list(), truth)
    base = pairwise(id_baseline(pl.read_csv(inp, infer_schema=False)), truth)
    assert got["precision"] >= 0.995 and got["recall"] >= 0.99
    assert got["f1"] > base["f1"] + 0.05


def test_saved_model_reproduces_clusters(linked, tmp_path):
    inp, out, _, _ = linked
    again = tmp_path / "again.csv"
    model = out.with_name(out.name + ".model.json")
    res = runner.invoke(app, ["run", "-i", str(inp), "-o", str(again), "--model", str(model), "-q"])
    assert res.exit_code == 0, res.output
    assert pl.read_csv(again)["person_uid"].to_list() == pl.read_csv(out)["person_uid"].to_list()


def _records(rows):
    return pl.DataFrame([{c: r.get(c) for c in INPUT_COLUMNS} for r in rows],
                        schema={c: pl.String for c in INPUT_COLUMNS})


def test_twins_are_vetoed_and_legacy_ids_join():
    df = linkage.prepare(_records([
        {"source": "a", "source_record_id": "1", "id_number": "330522199001011231", "name": "张伟明"},
        {"source": "b", "source_record_id": "2", "id_number": "330522199001011258", "name": "张伟亮"},
        {"source": "c", "source_record_id": "3", "id_number": "330522900101123", "name": "章伟明"},
    ]))
    assert df["id_number"][2] == "330522199001011231"  # 15 → 18
    pairs = pl.DataFrame({"uid_l": [0, 0], "uid_r": [1, 2], "match_weight": [30.0, 30.0]})
    marked = linkage.mark_vetoes(pairs, df)
    assert marked["veto"].to_list() == [True, False]
    assert linkage.accept(marked)["uid_r"].to_list() == [2]


def test_missing_columns_are_refused(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("source,name\na,张伟\n", encoding="utf-8")
    res = runner.invoke(app, ["run", "-i", str(p), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 2 and "id_number" in res.output


def test_connected_components_and_stable_uids():
    edges = pl.DataFrame({"uid_l": [0, 3, 1], "uid_r": [1, 4, 2]})
    assert linkage.connected_components(6, edges) == [0, 0, 0, 3, 3, 5]
    recs = _records([{"source": "s", "source_record_id": str(i)} for i in range(3)])
    a = linkage.person_uids(recs, [0, 0, 2]).to_list()
    assert a[0] == a[1] != a[2] and a == linkage.person_uids(recs, [0, 0, 2]).to_list()
