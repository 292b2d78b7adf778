"""Department imports into the hub, in batches: part of the exchange service layer (with
`service.py`, the only code that writes the hub's tables).

An import reads and standardises the extract (no database), then stores and links its records
`BATCH` at a time, each batch one unit of work: its source records, new golden records, review
pairs, golden-record rebuilds, conflicts, audit entries, row errors, and the import's progress
(`rows_done`) and counters commit together or not at all. So a long import holds SQLite's write
lock only for one batch at a time — logins and reads go on meanwhile — and a crash (kill -9)
leaves whole batches: uploading the same file again resumes after the last one, with the
result a clean run gives. The file's content hash (with department and the steward's
jurisdiction) is the import key: a file imported before answers its first report, "unchanged".

`start` opens (or re-opens) the import and hands out a runner token; `run` does the batches,
each checking the token, so a stale runner that wakes up stops instead of writing twice. The
API runs `run` as a background job (`submit`, `anju.core.jobs`); tests and the command line
run it in the foreground (`import_now`, `run` with `Database.unit_of_work`).
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO

import polars as pl
from sqlalchemy import exc as sa_exc
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from anju.core import audit, clock, divisions
from anju.core import policy as P
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.db import allocate_ids, utcnow
from anju.core.errors import NotFound, ValidationError
from anju.core.policy import Actor
from anju.exchange import rules
from anju.exchange.models import (
    ExchangeImport,
    GoldenRecord,
    ImportErrorRow,
    ReviewPair,
    SourceRecord,
)
from anju.exchange.reasons import RowError

log = logging.getLogger("anju.exchange.imports")
BATCH = 1000  # records per unit of work: SQLite's write lock is held about this long
STALE = timedelta(minutes=2)  # a running import whose last batch is older was interrupted
RETRIES = 30  # a batch that cannot get the database waits and tries again, this many times
LINKED = ("exact_id", "registry", "matched", "review", "new")
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
Units = Callable[[], contextlib.AbstractContextManager[Session]]


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
                               division_code=root, rows=0, linked=dict.fromkeys(LINKED, 0),
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
    except Unreadable:
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
        except Unreadable:
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
@dataclass
class _Plan:
    """What the batches work from: the standardised records and how each will be treated."""

    records: pl.DataFrame
    read_errors: list[RowError]
    srid: list[str]
    division: list[str]
    skip: dict[int, str]  # record index → row-error code (outside jurisdiction, duplicate id)
    fresh_uid: dict[int, int]  # record index → its row in the matcher frame
    owners: list[int | None]  # matcher row → golden record (None: not linked yet)
    sources: list[int | None]  # matcher row → source record id
    matcher: object | None = None


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
    plan = _plan(reading, actor, conn, path, done, model or service.default_model())
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
                    _Batch(session, actor, conn, plan, band, import_id).run(begin, end)
                break
            except (sa_exc.OperationalError, sa_exc.TimeoutError) as error:
                _undo(plan, begin, end)
                if not retry or attempt == RETRIES - 1:
                    raise Busy(str(error).splitlines()[0]) from error
                time.sleep(min(0.5 * (attempt + 1), 5))
            except BaseException:
                _undo(plan, begin, end)
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


def _finish(session: Session, import_id: int, plan: _Plan) -> None:
    report = session.get(ExchangeImport, import_id)
    _write_errors(session, import_id, plan.read_errors)
    report.error_count += len(plan.read_errors)
    report.state, report.runner, report.finished_at = "finished", None, utcnow()


def fail(units: Units, import_id: int, token: str, reason: str) -> None:
    """Mark an import failed (if it is still this runner's), with a reason from FAILURES."""
    with units() as session:
        report = session.execute(select(ExchangeImport).where(ExchangeImport.id == import_id)
                                 .with_for_update()).scalar()
        if report is not None and report.runner == token:
            report.state, report.failure, report.runner = "failed", reason, None


def _undo(plan: _Plan, begin: int, end: int) -> None:
    """Forget the links a rolled-back batch made in memory."""
    for index in range(begin, end):
        uid = plan.fresh_uid.get(index)
        if uid is not None:
            plan.owners[uid] = plan.sources[uid] = None


def _plan(reading: Units, actor: Actor, conn, path: Path, done: int, model: dict) -> _Plan:
    from anju.exchange import linkage
    from anju.exchange.extracts import read_extract
    from anju.exchange.realtime import Matcher
    from anju.exchange.service import STANDARD, hub_records

    try:
        records, errors = read_extract(path, conn)
    except Exception as error:  # a corrupt workbook, a JSON file that is not JSON, …
        raise Unreadable(str(error)[:200]) from error
    prefix = divisions.significant_prefix(actor.division_code)
    fallback = divisions.canonical(conn.county or actor.division_code)
    sid = pl.col("source_record_id").cast(pl.String)
    keys = records.select(
        srid=pl.when(sid.is_null() | (sid == "")).then(pl.format("row-{}", "_row"))
        .otherwise(sid).str.slice(0, 64),
        division=pl.coalesce("current_township_code", "current_county_code", pl.lit(fallback)))
    srid, division = keys["srid"].to_list(), keys["division"].to_list()
    with reading() as session:
        known = _known_sources(session, conn.code, srid[done:])
        hub = hub_records(session, prefix)
    skip, seen, fresh = {}, set(srid[:done]), []
    for index in range(done, records.height):
        if not division[index].startswith(prefix):
            skip[index] = "outside_jurisdiction"
        elif srid[index] in seen:
            skip[index] = "duplicate_record"
        elif srid[index] not in known:
            fresh.append(index)
        seen.add(srid[index])
    offset = len(hub["raw"])
    plan = _Plan(records, errors, srid, division, skip,
                 {index: offset + i for i, index in enumerate(fresh)},
                 hub["golden"] + [None] * len(fresh), hub["source"] + [None] * len(fresh))
    if fresh:
        raw = pl.concat([pl.DataFrame(hub["raw"], schema=dict.fromkeys(STANDARD, pl.String)),
                         records[fresh].select([pl.col(c).cast(pl.String) for c in STANDARD])])
        plan.matcher = Matcher(linkage.prepare(raw), model)
    return plan


class Unreadable(Exception):
    """The extract could not be read at all (the batches never start)."""


def _known_sources(session: Session, department: str, srids: list[str]) -> set[str]:
    known: set[str] = set()
    unique = list(dict.fromkeys(srids))
    for i in range(0, len(unique), 500):
        known.update(session.execute(select(SourceRecord.source_record_id).where(
            SourceRecord.department == department,
            SourceRecord.source_record_id.in_(unique[i:i + 500]))).scalars())
    return known


class _Batch:
    """Stores and links records [begin, end) of a plan inside one unit of work."""

    def __init__(self, session: Session, actor: Actor, conn, plan: _Plan, band: float,
                 import_id: int) -> None:
        from anju.exchange.service import _cipher

        self.session, self.actor, self.conn, self.plan = session, actor, conn, plan
        self.band, self.import_id = band, import_id
        self.access = Access(session, actor)
        self.report = session.get(ExchangeImport, import_id)
        self.cipher = _cipher()
        self.linked = dict.fromkeys(LINKED, 0)
        self.new = self.updated = self.unchanged = 0
        self.dirty: set[int] = set()
        self.errors: list[RowError] = []
        self.goldens: list[dict] = []
        self.sources: list[dict] = []
        self.pairs: list[tuple[int, int, float, str]] = []
        self._golden_ids: Iterator[int] = iter(())

    def run(self, begin: int, end: int) -> None:
        plan, self.end = self.plan, end
        rows = plan.records.slice(begin, end - begin).rows(named=True)
        existing = self._existing([plan.srid[i] for i in range(begin, end)])
        fresh = [i for i in range(begin, end) if i in plan.fresh_uid]
        source_ids = iter(allocate_ids(self.session, SourceRecord.__tablename__, len(fresh)))
        exact = self._exact_ids([rows[i - begin] for i in fresh])
        batch_pairs = self._pairs(fresh)
        for index, rec in zip(range(begin, end), rows, strict=True):
            if index in plan.skip:
                self.errors.append(RowError.of(self.report.file_name, rec["_row"],
                                               "*", plan.skip[index]))
                continue
            if index not in plan.fresh_uid or plan.srid[index] in existing:
                self._known(existing.get(plan.srid[index]), rec, plan.division[index])
                continue
            values = self._values(rec, plan.division[index])
            uid = plan.fresh_uid[index]
            golden, how, review = self._link(uid, rec, values, exact, batch_pairs)
            source_id = next(source_ids)
            plan.owners[uid], plan.sources[uid] = golden, source_id
            self.sources.append({"id": source_id, "department": self.conn.code,
                                 "source_record_id": plan.srid[index], "golden_id": golden,
                                 **values})
            if rec.get("id_valid") and values["id_hash"]:
                exact["batch"].setdefault(values["id_hash"], golden)
            self.linked[how] += 1
            self.new += 1
            self.dirty.add(golden)
            if review is not None:
                other, weight = review
                self.pairs.append((*sorted((plan.sources[other], source_id)), weight,
                                   values["division_code"]))
        self._write()

    # -- one record --
    def _values(self, rec: dict, division: str) -> dict:
        cipher, number = self.cipher, rec.get("id_number")
        cut = lambda v, n: v[:n] if isinstance(v, str) else v
        return {
            "row": rec["_row"], "as_of": self.report.as_of, "name": cut(rec.get("name"), 64),
            "id_cipher": cipher.encrypt(number) if number else None,
            "id_hash": cipher.lookup_hash(number) if number else None,
            "id_valid": bool(rec.get("id_valid")), "sex": rec.get("sex"),
            "birth_date": rec.get("birth_date"), "phone": cut(rec.get("phone"), 20),
            "hukou_address": cut(rec.get("hukou_address"), 200),
            "hukou_division_code": rec.get("hukou_township_code") or rec.get("hukou_county_code"),
            "current_address": cut(rec.get("current_address"), 200),
            "current_division_code": rec.get("current_township_code")
            or rec.get("current_county_code"),
            "employer": cut(rec.get("employer"), 200), "division_code": division,
            "import_id": self.import_id, "record_hash": format(int(rec["record_hash"]), "x"),
        }

    def _known(self, existing: tuple[int, str, int] | None, rec: dict, division: str) -> None:
        if existing is None:  # stored meanwhile by another import: left to that one
            self.unchanged += 1
            return
        source_id, digest, golden = existing
        if digest == format(int(rec["record_hash"]), "x"):
            self.unchanged += 1
            return
        # the department changed its record: keep the link, rebuild the golden record
        values = self._values(rec, division)
        self.session.execute(update(SourceRecord), [{"id": source_id, **values,
                                                     "updated_at": utcnow()}])
        self.updated += 1
        self.dirty.add(golden)

    def _link(self, uid: int, rec: dict, values: dict, exact: dict, pairs: dict):
        plan, id_hash = self.plan, values["id_hash"]
        if rec.get("id_valid") and id_hash:
            known = exact["hub"].get(id_hash) or exact["batch"].get(id_hash)
            if known is not None:
                return known, "exact_id", None
            person = exact["registry"].get(rec["id_number"])
            if person is not None:
                golden = exact["person"].get(person)
                if golden is None:
                    golden = exact["person"][person] = self._new_golden(values, person)
                return golden, "registry", None
        candidates = [c for c in pairs.get(uid, ()) if plan.owners[c] is not None]
        scored = []
        if candidates:
            rows = plan.matcher.records[[uid, *candidates]].rows(named=True)
            scored = plan.matcher.score(rows[0], rows[1:])
        decision = rules.decide(scored, plan.matcher.threshold, self.band)
        if decision.kind == "match":
            return plan.owners[decision.candidate], "matched", None
        golden = self._new_golden(values, None)
        if decision.kind == "review":
            return golden, "review", (decision.candidate, decision.weight)
        return golden, "new", None

    def _new_golden(self, values: dict, person_code: str | None) -> int:
        golden_id = next(self._golden_ids, None)
        if golden_id is None:
            self._golden_ids = iter(allocate_ids(self.session, GoldenRecord.__tablename__, 256))
            golden_id = next(self._golden_ids)
        now = utcnow()
        self.goldens.append({"id": golden_id, "person_code": person_code, "fields": {},
                             "provenance": {}, "division_code": values["division_code"],
                             "created_at": now, "updated_at": now})
        return golden_id

    # -- what the batch looks up at once --
    def _existing(self, srids: list[str]) -> dict[str, tuple[int, str, int]]:
        rows = self.session.execute(select(
            SourceRecord.source_record_id, SourceRecord.id, SourceRecord.record_hash,
            SourceRecord.golden_id).where(SourceRecord.department == self.conn.code,
                                          SourceRecord.source_record_id.in_(set(srids))))
        return {srid: (sid, digest, golden) for srid, sid, digest, golden in rows}

    def _exact_ids(self, rows: list[dict]) -> dict:
        """Valid ID numbers of the batch's fresh records: the golden record of each already in
        the hub (its first record's), and the registry persons of the others."""
        from anju.exchange.service import _active_ids
        from anju.registry import service as registry

        numbers = {r["id_number"] for r in rows if r.get("id_valid") and r.get("id_number")}
        hashes = {self.cipher.lookup_hash(n): n for n in numbers}
        hub: dict[str, int] = {}
        listed = list(hashes)
        for i in range(0, len(listed), 500):
            for id_hash, golden in self.session.execute(
                    select(SourceRecord.id_hash, SourceRecord.golden_id).where(
                        SourceRecord.id_hash.in_(listed[i:i + 500]),
                        SourceRecord.id_valid.is_(True)).order_by(SourceRecord.id)):
                hub.setdefault(id_hash, golden)
        active = _active_ids(self.session, set(hub.values()))
        hub = {h: active[g] for h, g in hub.items()}
        unknown = [n for h, n in hashes.items() if h not in hub]
        # a registry read under the steward's own purpose and reach (audited there)
        persons = registry.find_persons_by_id_numbers(self.session, self.actor, unknown) \
            if unknown else {}
        goldens = dict(self.session.execute(select(GoldenRecord.person_code, GoldenRecord.id)
                                            .where(GoldenRecord.person_code.in_(
                                                set(persons.values())))).all()) if persons else {}
        return {"hub": hub, "batch": {}, "registry": persons, "person": goldens}

    def _pairs(self, fresh: list[int]) -> dict[int, list[int]]:
        """Each fresh record's candidates; the golden records they are linked to followed
        through merges made meanwhile."""
        from anju.exchange.service import _active_ids

        plan = self.plan
        if not fresh or plan.matcher is None:
            return {}
        found = plan.matcher.candidates_of([plan.fresh_uid[i] for i in fresh])
        linked = {c for cands in found.values() for c in cands if plan.owners[c] is not None}
        active = _active_ids(self.session, {plan.owners[c] for c in linked})
        for c in linked:
            plan.owners[c] = active[plan.owners[c]]
        return found

    # -- writing --
    def _write(self) -> None:
        from anju.exchange.service import rebuild_many

        session, report = self.session, self.report
        # render_nulls: rows with and without NULLs stay in one executemany
        if self.goldens:
            session.execute(insert(GoldenRecord).execution_options(render_nulls=True),
                            self.goldens)
        if self.sources:
            now = utcnow()
            session.execute(insert(SourceRecord).execution_options(render_nulls=True),
                            [s | {"created_at": now, "updated_at": now} for s in self.sources])
        self._propose()
        touched = rebuild_many(session, self.dirty)
        _write_errors(session, self.import_id, self.errors)
        audit.append_bulk(session, self.actor, [
            AuditEvent(P.EXCHANGE_IMPORT, "data_quality", person, "golden_record", str(golden),
                       {"department": self.conn.code, "import": self.import_id})
            for golden, person in touched])
        linked = dict(report.linked or {})
        for how, n in self.linked.items():
            linked[how] = linked.get(how, 0) + n
        report.linked = linked
        report.new_records += self.new
        report.updated_records += self.updated
        report.unchanged_records += self.unchanged
        report.error_count += len(self.errors)
        report.rows_done = self.end

    def _propose(self) -> None:
        for left, right, weight, division in self.pairs:
            seen = self.session.execute(select(ReviewPair.id).where(
                ReviewPair.left_source_id == left, ReviewPair.right_source_id == right)).first()
            if seen is None:
                self.session.add(ReviewPair(left_source_id=left, right_source_id=right,
                                            weight=round(float(weight), 4),
                                            division_code=division))


def _write_errors(session: Session, import_id: int, errors: list[RowError]) -> None:
    if errors:
        session.execute(insert(ImportErrorRow).execution_options(render_nulls=True), [
            {"import_id": import_id, "row": e.row, "field": e.field[:32], "code": e.code,
             "reason_zh": e.reason_zh[:200], "reason_en": e.reason_en[:200]} for e in errors])
