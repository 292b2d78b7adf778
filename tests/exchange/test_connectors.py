"""Every shipped connector reads its sample extract; dirt is reported, never fatal."""

import json
import shutil

import polars as pl
import pytest

from anju.exchange import connectors
from anju.exchange.extracts import ImportLedger, import_extract, read_extract
from anju.exchange.samples import write_sample

ALL = sorted(connectors.available())


def test_at_least_seven_departments_in_three_file_types():
    conns = connectors.available().values()
    assert len(ALL) >= 7
    assert {c.file_type for c in conns} == {"csv", "xlsx", "json"}
    assert {"gbk", "gb18030"} & {c.encoding for c in conns}
    assert all(c.sample_path().exists() for c in conns)


@pytest.mark.parametrize("code", ALL)
def test_sample_reads_with_reported_dirt(code):
    conn = connectors.get(code)
    records, errors = read_extract(conn.sample_path(), conn)
    assert 100 <= records.height <= 200
    assert (records["source"] == code).all()
    assert records["source_record_id"].null_count() == 0
    # the shipped dirt: bad IDs, dates, sexes, phones, names, a row with no name and no ID
    codes = {e.code for e in errors}
    expected = {"id_length", "id_chars", "phone_format", "name_chars", "row_unidentifiable"}
    if "birth_date" in conn.columns.values():
        expected.add("date_format")
    assert expected <= codes
    assert all(e.file == conn.sample_path().name and e.row >= 1 for e in errors)
    # values arrive standardised
    valid = records.filter(pl.col("id_valid"))
    assert valid["id_number"].str.contains(r"^\d{17}[\dX]$").all()
    assert valid.height > 0.8 * records.height
    assert records["birth_date"].drop_nulls().str.contains(r"^\d{4}-\d{2}-\d{2}$").all()
    assert set(records["sex"].drop_nulls().unique()) <= {"M", "F"}
    assert records["phone"].drop_nulls().str.contains(r"^(1\d{10}|0\d{9,11})$").all()
    assert not records["name"].drop_nulls().str.contains("[•・.]").any()
    assert records["current_county_code"].drop_nulls().len() > 0.5 * records["current_address"].drop_nulls().len()


def test_malformed_rows_do_not_sink_the_batch(tmp_path):
    conn = connectors.get("gongan")
    path = tmp_path / "x.csv"
    path.write_bytes("登记编号,姓名,公民身份号码\r\nA1,张伟,330522900101123\r\nA2,李\xff娜\r\n"
                     .encode("gbk", errors="ignore") + b"A3,\xff\xfe,330522199001011231\r\n")
    records, errors = read_extract(path, conn)
    assert records["source_record_id"].to_list() == ["A1", "A3"]
    assert {(e.row, e.code) for e in errors} >= {(2, "row_malformed")}
    assert "field_missing" in {e.code for e in errors}  # 性别, 出生日期 … are absent


def test_reimport_is_a_no_op(tmp_path):
    conn = connectors.get("yibao")
    path = tmp_path / "y.json"
    shutil.copy(conn.sample_path(), path)
    ledger = ImportLedger(tmp_path / "ledger.json")
    first = import_extract(path, conn, ledger)
    again = import_extract(path, "yibao", ImportLedger(tmp_path / "ledger.json"))
    assert first.status == "imported" and again.status == "unchanged"
    assert again.content_hash == first.content_hash
    # the same records re-read give the same record hashes (idempotent upsert keys)
    assert read_extract(path, conn)[0]["record_hash"].to_list() == first.records["record_hash"].to_list()


def test_new_department_needs_only_a_mapping_file(tmp_path):
    toml = tmp_path / "gonghui.toml"
    toml.write_text('''
[department]
code = "gonghui"
name_zh = "总工会"
name_en = "Trade union"
[file]
type = "json"
[columns]
"hybh" = "source_record_id"
"xm" = "name"
"sfz" = "id_number"
"csrq" = "birth_date"
[dates]
format = "%d/%m/%Y"
''', encoding="utf-8")
    data = [{"hybh": "G1", "xm": "王伟", "sfz": "330522199001011231", "csrq": "05/03/1990"}]
    (tmp_path / "g.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    records, errors = read_extract(tmp_path / "g.json", connectors.get(toml))
    assert records.row(0, named=True)["birth_date"] == "1990-03-05" and not errors


def test_sample_writer_is_reproducible(tmp_path):
    conn = connectors.get("weijian")
    a = write_sample(conn, tmp_path / "a.csv").read_bytes()
    b = write_sample(conn, tmp_path / "b.csv").read_bytes()
    assert a == b
