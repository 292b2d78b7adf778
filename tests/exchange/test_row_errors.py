"""An import's rejected rows are `anju.core.errors.RowError`s from the file to the answer: the
same fields (1-based `row`, `field`, `code`, `message_zh`, `message_en`, `file`) in the import
report the service returns, in the API's JSON and on the steward's page, and reports stored
before the type was shared are still read in full."""
from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient
from sqlalchemy import text
from tests.exchange.test_exchange_web import _login, wait_for_job
from tests.factories import build_world, make_account, token

from anju.core import migrate
from anju.core.db import Database
from anju.core.errors import RowError
from anju.exchange import service
from anju.web.app import create_app

FIELDS = {"row", "field", "code", "message_zh", "message_en", "file"}


def _bad_extract(extracts, prefix: str = "Z"):
    """Row 1 fine; row 2 a wrong check digit; row 3 neither name nor ID (the whole row)."""
    return extracts.zhujian([
        [f"{prefix}1", "陈静", "", "0", "1990-01-01", "", "雉城街道"],
        [f"{prefix}2", "周海", "330522199001011232", "1", "1990-01-01", "", "雉城街道"],
        [f"{prefix}3", "", "", "", "", "", ""]], "bad.tsv")


def test_the_report_the_api_and_the_page_carry_the_one_row_error(sqlite_db, extracts):
    world = build_world(sqlite_db)
    path = _bad_extract(extracts)
    with sqlite_db.unit_of_work() as s:
        report = service.import_extract(s, world.steward, path, "zhujian")
    assert all(type(e) is RowError and e.file == path.name for e in report.errors)
    assert {(e.row, e.field, e.code) for e in report.errors} == {
        (2, "id_number", "id_checksum"), (3, "name", "name_missing"),
        (3, "*", "row_unidentifiable")}
    assert all(e.message_zh and e.message_en for e in report.errors)

    with TestClient(create_app(db=sqlite_db), base_url="http://localhost") as client:
        steward = token(client, world.steward.username)
        sent = client.post("/api/v1/exchange/imports", headers=steward,
                           data={"department": "zhujian"},
                           files={"file": ("again.tsv", _bad_extract(extracts, "Y").read_bytes(),
                                           "text/plain")})
        job = wait_for_job(client, sent.json()["status_url"], steward)
        errors = job["report"]["errors"]
        assert errors and all(set(e) == FIELDS for e in errors)
        assert {(e["row"], e["code"], e["file"]) for e in errors} == {
            (2, "id_checksum", "again.tsv"), (3, "name_missing", "again.tsv"),
            (3, "row_unidentifiable", "again.tsv")}
        _login(client, world.steward.username)
        page = client.get(f"/exchange/imports/{job['job_id']}").text
        checksum = next(e for e in errors if e["code"] == "id_checksum")
        assert checksum["message_zh"] in page and "整行" in page
        client.get("/lang/en")
        assert checksum["message_en"] in client.get(f"/exchange/imports/{job['job_id']}").text


def test_reports_stored_before_0011_are_read_in_full(tmp_path):
    """A report written under the old column names (reason_zh/reason_en) reads the same after
    the migration renames them."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    migrate.upgrade(url, "0008")
    db = Database(url)
    with db.engine.begin() as c:
        c.execute(text(
            "INSERT INTO exchange_imports (id, department, file_name, content_hash, as_of, "
            "division_code, rows, new_records, updated_records, unchanged_records, error_count, "
            "linked, imported_by, created_at, state, rows_done) VALUES (1, 'zhujian', 'old.tsv', "
            "'h', '2026-01-05', '330522000000', 2, 1, 0, 0, 1, '{}', 'steward', "
            "'2026-01-05 08:00:00', 'finished', 2)"))
        c.execute(text(
            "INSERT INTO exchange_import_errors (import_id, row, field, code, reason_zh, reason_en) "
            "VALUES (1, 2, 'phone', 'phone_format', '电话号码格式无效', "
            "'phone number format invalid')"))
    migrate.upgrade(url)
    steward = make_account(db, "data_steward")
    with db.unit_of_work() as s:
        [error] = service.read_import(s, steward, 1).errors
    assert dataclasses.asdict(error) == {
        "row": 2, "code": "phone_format", "message_zh": "电话号码格式无效",
        "message_en": "phone number format invalid", "field": "phone", "file": "old.tsv"}
    db.dispose()
