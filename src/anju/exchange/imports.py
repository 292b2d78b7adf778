"""Department imports into the hub, in batches: part of the exchange service layer (with
`service.py`, the only code that writes the hub's tables).

An import reads and standardises the extract (no database), then stores and links its records
`BATCH` at a time (`batches.py`), each batch one unit of work: its source records, new golden records, review
pairs, golden-record rebuilds, conflicts, audit entries, row errors, and the import's progress
(`rows_done`) and counters commit together or not at all. So a long import holds SQLite's write
lock only for one batch at a time — logins and reads go on meanwhile — and a crash (kill -9)
leaves whole batches: uploading the same file again resumes after the last one, with the
result a clean run gives. The file's content hash (with department and the steward's
jurisdiction) is the import key: a file imported before answers its first report, "unchanged".

`start` opens (or re-opens) the import and hands out a runner token; `run` does the batches,
each checking the token, so a stale runner that wakes up stops instead of writing twice. The
API and the steward's page run `run` as a background job (`service.submit_import` → `job`, on
`anju.core.jobs.JobRunner`); the console runs it in the foreground (`from_console`), and
`service.import_extract` inside the caller's unit of work (tests).
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO

from sqlalchemy import exc as sa_exc
from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core import clock, divisions
from anju.core.access import Access
from anju.core.db import utcnow
from anju.core.errors import NotFound, ValidationError
from anju.core.policy import Actor
from anju.exchange import batches
from anju.exchange import policy as P
from anju.exchange.models import ExchangeImport
from anju.exchange.schemas import ImportReportOut

log = logging.getLogger("anju.exchange.imports")
BATCH = 1000  # records per unit of work: SQLite's write lock is held about this long
STALE = timedelta(minutes=2)  # a running import whose last batch is older was interrupted
RETRIES = 30  # a batch that cannot get the database waits and tries again, this many times
FAILURES = {  # why an import stopped: code → (zh, en)
    "interrupted": ("导入中断（服务重启或进程退出）。重新上传同一文件即从中断处继续。",
                    ("the import was interrupted (the server stopped); upload the same file "
                     "again to resume where it stopped")),
    "unreadable": ("文件无法按该部门的格式读取（文件类型、编码或内容不符）。",
                   ("the file cannot be read in this department's format (type, encoding or "
                    "content)")),
    "failed": ("导入因内部错误中止，已导入的批次保留。可重新上传同一文件继续；如仍失败请联系管理员。",
               ("the import stopped on an internal error; committed batches are kept. Upload "
                "the same file again to resume; if it fails again, contact the administrator")),
}
Units = batches.Units


class Busy(Exception):
    """The database could not be had for a batch (locked, pool exhausted)."""


# --- opening an import ---------------------------------------------------------------------------
def safe_file_name(name: str | None) -> str:
    """The last path part of an uploaded file's name, without control characters; a name that
    is empty, '.', '..' or only separators becomes "extract". The name is only a label in
    reports: files are stored under names of our own."""
    text = "".join(ch for ch in (name or "") if ch.isprintable())
    base = PureWindowsPath(PurePosixPath(text).name).name.strip()
    return base[:200] if base not in ("", ".", "..") else "extract"


def connector(department: str):
    """The configured connector of a department code; nothing else is ever read (a code is
    never a path). Unknown codes get one answer, whatever files exist."""
    from anju.exchange import connectors

    found = connectors.available().get(department) if isinstance(department, str) else None
    if found is None:
        names = "、".join(f"{c.name_zh}（{c.code}）" for c in connectors.available().values())
        raise ValidationError("department_unknown", f"未知部门，可选：{names}",
                              "unknown department; choose one of "
                              + ", ".join(sorted(connectors.available())), field="department")
    return found


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Opened:
    report: ExchangeImport
    token: str | None  # set when the caller must run the import (new, or resumed)


def start(session: Session, actor: Actor, path: Path, department: str, *,
          file_name: str | None = None, as_of: date | None = None,
          running: Callable[[int], bool] = lambda _id: False) -> Opened:
    """Open an import of `path`, or find this file's: finished → nothing to run; running (in
    this process per `running`, or elsewhere with a recent batch) → nothing to run; failed or
    interrupted → re-opened with a new token, to resume after its last committed batch."""
    access = Access(session, actor)
    access.scopes(P.EXCHANGE_IMPORT)
    access.check(P.EXCHANGE_IMPORT, "辖区", division_code=actor.division_code)
    conn = connector(department)
    digest = file_hash(path)
    root = divisions.canonical(actor.division_code)
    key = (ExchangeImport.department == conn.code, ExchangeImport.content_hash == digest,
           ExchangeImport.division_code == root)
    found = session.execute(select(ExchangeImport).where(*key).with_for_update()).scalar()
    if found is None:
        found = ExchangeImport(department=conn.code, file_name=safe_file_name(file_name or
                                                                              path.name),
                               content_hash=digest, as_of=as_of or clock.today(),
                               division_code=root, rows=0, linked=dict.fromkeys(batches.LINKED, 0),
                               imported_by=actor.username, state="running",
                               heartbeat_at=utcnow(), runner=secrets.token_hex(16))
        try:
            with session.begin_nested():  # two uploads of one file at once: one row wins
                session.add(found)
        except sa_exc.IntegrityError:
            found = session.execute(select(ExchangeImport).where(*key)).scalar_one()
            return Opened(found, None)
        return Opened(found, found.runner)
    if found.state == "finished" or (found.state == "running" and (
            running(found.id) or not stale(found))):
        return Opened(found, None)
    found.state, found.failure, found.runner = "running", None, secrets.token_hex(16)
    found.heartbeat_at = utcnow()
    return Opened(found, found.runner)


def job_key(import_id: int) -> str:
    return f"exchange-import-{import_id}"


def stale(report: ExchangeImport) -> bool:
    """A running import whose runner has not committed a batch for a while."""
    return report.heartbeat_at is None or utcnow() - report.heartbeat_at > STALE


def spool(upload: BinaryIO, directory: Path) -> Path:
    """Keep an uploaded file under a name of our own while its import runs."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.upload"):  # left behind when a crash ended a job
        with contextlib.suppress(OSError):
            if time.time() - old.stat().st_mtime > 86400:
                old.unlink()
    target = directory / f"{secrets.token_hex(12)}.upload"
    with target.open("wb") as out:
        shutil.copyfileobj(upload, out, 1 << 20)
    return target


def job(jobs, actor: Actor, import_id: int, token: str, path: Path) -> str:
    """The background job of an uploaded import (`anju.core.jobs.JobRunner`): run it batch by
    batch, waiting out a busy database; record why if it fails; drop the kept file."""
    db, state = jobs.db, "failed"
    try:
        state = run(db.unit_of_work, db.reading, actor, import_id, token, path,
                    should_stop=jobs.stopping, retry=True)
    except batches.Unreadable:
        _fail_quietly(db, import_id, token, "unreadable")
    except Exception:
        log.exception("import %s failed", import_id)
        _fail_quietly(db, import_id, token, "failed")
    finally:
        path.unlink(missing_ok=True)
    return state


def from_console(db, username: str, path: Path, department: str,
                 progress: Callable[[int, int], None]) -> tuple[str, ImportReportOut | None]:
    """`anju exchange import`: the same batches as the server's job, in the foreground, under
    a data steward's account (the operator's tool on the server, as `anju user create`).
    Returns the import's state and, when finished, its report."""
    from anju.core.identity import actor_of
    from anju.core.models import Account
    from anju.exchange import service

    with db.unit_of_work() as session:
        account = session.execute(select(Account).where(Account.username == username)).scalar()
        if account is None or not account.active:
            raise NotFound("account_unknown", "账号不存在或已停用", "no such active account",
                           field="steward")
        actor = actor_of(account)
        opened = start(session, actor, path, department, file_name=path.name)
        import_id, token = opened.report.id, opened.token
    if token is not None:
        try:
            run(db.unit_of_work, db.reading, actor, import_id, token, path, retry=True,
                progress=progress)
        except batches.Unreadable:
            fail(db.unit_of_work, import_id, token, "unreadable")
            raise ValidationError("file_unreadable", *FAILURES["unreadable"],
                                  field="file") from None
    with db.unit_of_work() as session:
        job = service.import_job(session, actor, import_id,
                                 unchanged=token is None and opened.report.state == "finished")
    return job.state, job.report


def _fail_quietly(db, import_id: int, token: str, reason: str) -> None:
    for attempt in range(RETRIES):
        try:
            return fail(db.unit_of_work, import_id, token, reason)
        except (sa_exc.OperationalError, sa_exc.TimeoutError):
            time.sleep(min(0.5 * (attempt + 1), 5))
    log.error("import %s: could not record its failure (%s)", import_id, reason)


# --- running it -------------------------------------------------------------------------------
def run(units: Units, reading: Units, actor: Actor, import_id: int, token: str, path: Path, *,
        model: dict | None = None, review_band: float | None = None, batch: int = BATCH,
        should_stop: Callable[[], bool] = lambda: False, retry: bool = False,
        progress: Callable[[int, int], None] = lambda done, total: None) -> str:
    """Store and link the records of an opened import, batch by batch; mark it finished.
    Returns the import's state when it returns ("finished", "running" if stopped or taken
    over). With `retry`, a batch that finds the database busy waits and tries again."""
    from anju.exchange import service

    with reading() as session:
        report = session.get(ExchangeImport, import_id)
        conn, done = connector(report.department), report.rows_done
    plan = batches.make_plan(reading, actor, conn, path, done, model or service.default_model())
    with units() as session:
        if not _claim(session, import_id, token, done):  # taken over meanwhile
            return "running"
        session.get(ExchangeImport, import_id).rows = plan.records.height
    band = service.REVIEW_BAND if review_band is None else review_band
    for begin in range(done, plan.records.height, batch):
        end = min(begin + batch, plan.records.height)
        for attempt in range(RETRIES if retry else 1):
            try:
                with units() as session:
                    if not _claim(session, import_id, token, begin):
                        return "running"
                    batches.Batch(session, actor, conn, plan, band, import_id).run(begin, end)
                break
            except (sa_exc.OperationalError, sa_exc.TimeoutError) as error:
                batches.undo(plan, begin, end)
                if not retry or attempt == RETRIES - 1:
                    raise Busy(str(error).splitlines()[0]) from error
                time.sleep(min(0.5 * (attempt + 1), 5))
            except BaseException:
                batches.undo(plan, begin, end)
                raise
        progress(end, plan.records.height)
        if should_stop():
            return "running"
    with units() as session:
        if not _claim(session, import_id, token, plan.records.height):
            return "running"
        _finish(session, import_id, plan)
    return "finished"


def _claim(session: Session, import_id: int, token: str, rows_done: int) -> bool:
    """Lock the import row; go on only while it is ours and where we think it is."""
    report = session.execute(select(ExchangeImport).where(ExchangeImport.id == import_id)
                             .with_for_update()).scalar()
    if report is None or report.runner != token or report.rows_done != rows_done:
        return False
    report.heartbeat_at = utcnow()
    return True


def _finish(session: Session, import_id: int, plan: batches.Plan) -> None:
    report = session.get(ExchangeImport, import_id)
    batches.write_errors(session, import_id, plan.read_errors)
    report.error_count += len(plan.read_errors)
    report.state, report.runner, report.finished_at = "finished", None, utcnow()


def fail(units: Units, import_id: int, token: str, reason: str) -> None:
    """Mark an import failed (if it is still this runner's), with a reason from FAILURES."""
    with units() as session:
        report = session.execute(select(ExchangeImport).where(ExchangeImport.id == import_id)
                                 .with_for_update()).scalar()
        if report is not None and report.runner == token:
            report.state, report.failure, report.runner = "failed", reason, None
