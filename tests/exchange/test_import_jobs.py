"""Department imports as batched, resumable jobs (service level, SQLite and PostgreSQL): each
batch commits on its own; a run stopped between batches — or killed, leaving whole batches —
resumes from the last one to the result a clean run gives; re-running changes nothing; two
runners never both write; only configured departments are read; file names are labels."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from tests.factories import make_account, make_person, valid_id, verified

from anju.core.errors import ValidationError
from anju.exchange import batches, connectors, imports, service
from anju.exchange.models import ExchangeImport, GoldenRecord, ReviewPair, SourceRecord
from anju.exchange.samples import write_sample


@pytest.fixture
def sample(tmp_path):
    """A 300-record public-security extract with the dirt real ones have (bad values, legacy
    IDs, typos, the same person twice)."""
    return write_sample(connectors.get("gongan"), tmp_path / "gongan.csv", n=300, seed=5)


def _open(db, actor, path, department="gongan", **kw):
    with db.unit_of_work() as s:
        opened = imports.start(s, actor, path, department, **kw)
        return opened.report.id, opened.token


def _run(db, actor, import_id, token, path, **kw):
    return imports.run(db.unit_of_work, db.reading, actor, import_id, token, path, batch=64,
                       **kw)


def _outcome(db, steward, import_id) -> dict:
    """What an import left, independent of ids: the records grouped into golden records, the
    review pairs, and the report's figures."""
    with db.unit_of_work() as s:
        rows = s.execute(select(SourceRecord.source_record_id, SourceRecord.golden_id)).all()
        groups: dict[int, set] = {}
        for srid, golden in rows:
            groups.setdefault(service.active_id(s, golden), set()).add(srid)
        by_id = dict(s.execute(select(SourceRecord.id, SourceRecord.source_record_id)).all())
        pairs = {frozenset((by_id[p.left_source_id], by_id[p.right_source_id]))
                 for p in s.execute(select(ReviewPair)).scalars()}
        report = service.read_import(s, steward, import_id)
        goldens = s.execute(select(func.count()).select_from(GoldenRecord)).scalar_one()
    assert verified(db).ok
    figures = report.model_dump(include={"status", "rows", "new_records", "updated_records",
                                         "unchanged_records", "error_count", "linked"})
    return {"groups": sorted(sorted(g) for g in groups.values()), "pairs": pairs,
            "goldens": goldens, "report": figures,
            "errors": [(e.row, e.field, e.code) for e in report.errors]}


def _steward(db):
    return make_account(db, "data_steward", username="steward")


def test_batches_commit_one_by_one_and_a_stopped_import_resumes_to_the_clean_result(
        db, sample, tmp_path, sqlite_template):
    from tests.conftest import _fresh_sqlite

    from anju.core.db import Database

    steward = _steward(db)
    # the clean run, in a database of its own
    clean_db = Database(_fresh_sqlite(sqlite_template, tmp_path))
    try:
        clean_steward = _steward(clean_db)
        import_id, token = _open(clean_db, clean_steward, sample)
        assert _run(clean_db, clean_steward, import_id, token, sample) == "finished"
        clean = _outcome(clean_db, clean_steward, import_id)
    finally:
        clean_db.dispose()
    # stopped after two batches: those two are committed, the import is still "running"
    import_id, token = _open(db, steward, sample)
    batches = []
    state = _run(db, steward, import_id, token, sample,
                 should_stop=lambda: batches.append(1) or len(batches) >= 2)
    assert state == "running"
    with db.unit_of_work() as s:
        report = s.get(ExchangeImport, import_id)
        assert report.state == "running" and report.rows_done == 128
        assert 0 < s.execute(select(func.count()).select_from(SourceRecord)).scalar_one() <= 128
        stale = report.heartbeat_at
    # the same file again, before the import looks stale: nothing new starts
    again_id, again_token = _open(db, steward, sample)
    assert again_id == import_id and again_token is None
    # once stale (the server died), uploading it again resumes after batch two
    with db.unit_of_work() as s:
        s.get(ExchangeImport, import_id).heartbeat_at = stale - imports.STALE * 2
    again_id, again_token = _open(db, steward, sample)
    assert again_id == import_id and again_token not in (None, token)
    # the old runner, waking up, finds the import taken over and writes nothing
    assert _run(db, steward, import_id, token, sample) == "running"
    assert _run(db, steward, import_id, again_token, sample) == "finished"
    assert _outcome(db, steward, import_id) == clean
    # and the same file once more is "unchanged", changing nothing
    assert _open(db, steward, sample) == (import_id, None)
    assert _outcome(db, steward, import_id) == clean


def test_a_failed_batch_leaves_nothing_of_itself(db, sample, monkeypatch):
    steward = _steward(db)
    import_id, token = _open(db, steward, sample)
    calls = []
    real = batches.Batch._write

    def write_then_fail(self):
        calls.append(1)
        real(self)
        if len(calls) == 3:
            raise RuntimeError("the process dies mid-batch")

    monkeypatch.setattr(batches.Batch, "_write", write_then_fail)
    with pytest.raises(RuntimeError):
        _run(db, steward, import_id, token, sample)
    with db.unit_of_work() as s:
        report = s.get(ExchangeImport, import_id)
        assert report.rows_done == 128  # two whole batches, nothing of the third
        assert s.execute(select(func.count()).select_from(SourceRecord)).scalar_one() == \
            report.new_records > 0
    assert verified(db).ok
    imports.fail(db.unit_of_work, import_id, token, "failed")
    monkeypatch.setattr(batches.Batch, "_write", real)
    again_id, again_token = _open(db, steward, sample)  # failed: re-opened to resume
    assert again_id == import_id and again_token
    assert _run(db, steward, import_id, again_token, sample) == "finished"
    with db.unit_of_work() as s:
        assert s.get(ExchangeImport, import_id).rows_done == s.get(ExchangeImport,
                                                                    import_id).rows


def test_departments_come_from_the_configured_list_only(db, tmp_path):
    steward = _steward(db)
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", "utf-8")
    answers = set()
    for department in ("x.toml", "/etc/passwd.toml", "pyproject.toml", "../gongan.toml",
                       "gongan/../gongan", "nonesuch"):
        with db.unit_of_work() as s, pytest.raises(ValidationError) as error:
            service.import_extract(s, steward, path, department)
        assert error.value.code == "department_unknown" and error.value.field == "department"
        answers.add((error.value.message_zh, error.value.message_en))
    assert len(answers) == 1, "the answer must not depend on which files exist"


@pytest.mark.parametrize("name, label", [
    (".", "extract"), ("..", "extract"), ("", "extract"), ("../../etc/passwd", "passwd"),
    ("C:\\\\temp\\\\人社.csv", "人社.csv"), ("a/b/\x01c.csv", "c.csv"), ("/", "extract"),
])
def test_any_file_name_is_a_safe_label(name, label):
    assert imports.safe_file_name(name) == label


def test_a_file_named_dot_dot_imports_under_a_safe_name(db, extracts):
    steward = _steward(db)
    number = valid_id("341221", date(1988, 11, 13), "M")
    make_person(db, make_account(db, "police"), "刘洋", id_number=number)
    path = extracts.gongan([["G1", "刘洋", number, "1", "19881113", "", "雉城街道", "", ""]])
    with db.unit_of_work() as s:
        report = service.import_extract(s, steward, path, "gongan", file_name="..")
    assert report.file_name == "extract" and report.new_records == 1


def test_a_record_id_twice_in_one_file_is_reported_not_a_crash(db, extracts):
    steward = _steward(db)
    path = extracts.gongan([["G1", "刘洋", valid_id(), "1", "", "", "雉城街道", "", ""],
                            ["G1", "刘洋", valid_id(), "1", "", "", "雉城街道", "", ""]])
    with db.unit_of_work() as s:
        report = service.import_extract(s, steward, path, "gongan")
    assert report.new_records == 1
    assert [(e.row, e.code) for e in report.errors] == [(2, "duplicate_record")]


def test_the_console_runs_the_same_job(tmp_path, monkeypatch, sample):
    """`anju exchange import`: batches in the foreground with progress; again → unchanged;
    an unknown department or account → exit 2 with the reason."""
    from typer.testing import CliRunner

    from anju.cli.main import app
    from anju.core.config import reset_settings_cache

    monkeypatch.setenv("ANJU_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    reset_settings_cache()
    runner = CliRunner()
    assert runner.invoke(app, ["init-db"]).exit_code == 0
    assert runner.invoke(app, ["user", "create", "--username", "steward1", "--password",
                               "long-enough-1", "--role", "data_steward"]).exit_code == 0
    command = ["exchange", "import", str(sample), "--department", "gongan",
               "--steward", "steward1"]
    first = runner.invoke(app, command)
    assert first.exit_code == 0, first.output
    assert "299 / 299 records stored and linked" in first.output
    assert "imported: import 1, 299 records" in first.output
    again = runner.invoke(app, command)
    assert again.exit_code == 0 and "unchanged: import 1" in again.output
    wrong = runner.invoke(app, [*command[:3], "--department", "pyproject.toml",
                                "--steward", "steward1"])
    assert wrong.exit_code == 2 and "未知部门" in wrong.output
    nobody = runner.invoke(app, [*command[:5], "--steward", "nobody"])
    assert nobody.exit_code == 2 and "账号不存在" in nobody.output


def test_a_batch_that_finds_the_database_busy_waits_and_goes_on(sqlite_db, sample, monkeypatch):
    """Another writer holds SQLite's lock longer than the job's timeout: the batch rolls back,
    waits and tries again — the job is not lost and nothing is written twice."""
    import sqlite3
    import threading

    from sqlalchemy.engine import make_url

    from anju.core.db import Database

    steward = _steward(sqlite_db)
    impatient = Database(sqlite_db.url, lock_timeout=0.2)
    import_id, token = _open(impatient, steward, sample)
    held = threading.Event()

    def hold_the_lock() -> None:
        blocker = sqlite3.connect(make_url(sqlite_db.url).database, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        held.set()
        threading.Event().wait(1.0)
        blocker.execute("ROLLBACK")
        blocker.close()

    def progress(done: int, total: int) -> None:
        if done == 64:  # after the first batch, someone else takes the lock for a second
            thread.start()
            held.wait()

    thread = threading.Thread(target=hold_the_lock)
    waits = []
    monkeypatch.setattr(imports.time, "sleep", lambda s: waits.append(s) or threading.Event()
                        .wait(s))
    try:
        state = imports.run(impatient.unit_of_work, impatient.reading, steward, import_id, token,
                            sample, batch=64, retry=True, progress=progress)
    finally:
        thread.join()
        impatient.dispose()
    assert state == "finished" and waits, "the busy batch was never retried"
    with sqlite_db.unit_of_work() as s:
        report = s.get(ExchangeImport, import_id)
        assert report.rows_done == report.rows
        assert s.execute(select(func.count()).select_from(SourceRecord)).scalar_one() == \
            report.new_records
