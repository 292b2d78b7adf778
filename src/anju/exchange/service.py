"""Exchange use cases: the only code that writes the hub's tables (source records, golden
records, review pairs, conflicts, subscriptions, data-access requests).

Each function takes the session and the acting identity, asks `Access` (role, jurisdiction,
and for department officers their own department), writes, and appends to the audit chain,
inside the caller's unit of work. Forbidden records look missing (404).

Linking an imported record to a person, in order:
1. *exact ID*: a valid ID number already in the hub (its lookup hash) → that golden record;
2. *registry*: a registry person with that ID number → the golden record of that person
   (created on first sight);
3. *matcher*: the real-time matcher (`realtime.Matcher`, the shipped default model or one
   passed in) against the hub's records in the steward's jurisdiction and the batch itself —
   accepted → that golden record; in the uncertain band → a new golden record plus a review
   pair; else a new golden record.
A golden record without a registry person is an *unregistered* identity: departments know the
person, the registry does not (yet). Merging two registered identities is the registry's
business, so clerical review refuses it.
"""
from __future__ import annotations

import contextlib
import functools
import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import and_, distinct, func, insert, select, update
from sqlalchemy.orm import Session

from anju.core import clock, divisions
from anju.exchange import policy as P
from anju.registry.policy import DATA_QUALITY
from anju.core.access import Access, shown
from anju.core.audit import AuditEvent
from anju.core.crypto import id_cipher
from anju.core.db import utcnow
from anju.core.errors import Conflict, Forbidden, NotFound, ValidationError
from anju.core.policy import Actor, GOLDEN_FIELDS, Purpose, Role, department_code, department_purpose, departments
from anju.exchange import rules
from anju.exchange.models import Conflict as ConflictRow
from anju.exchange.models import (
    DataDelivery,
    DataRequest,
    ExchangeImport,
    GoldenChange,
    GoldenRecord,
    ImportErrorRow,
    ReviewPair,
    SourceRecord,
    Subscription,
)
from anju.exchange.schemas import (
    ConflictOut,
    ConflictSummaryOut,
    DataRequestOut,
    DeliveryOut,
    FeedOut,
    GoldenOut,
    ImportJobOut,
    ImportReportOut,
    ProvenanceOut,
    RateOut,
    ReviewPairOut,
    RowErrorOut,
    SourceRecordOut,
    SubscriptionsOut,
)

DEFAULT_MODEL = Path(__file__).parent / "default.model.json"
REVIEW_BAND = 6.0  # match weights in [threshold - band, threshold) go to clerical review
STANDARD = ("name", "id_number", "sex", "birth_date", "phone", "hukou_address",
            "current_address", "employer")
PURPOSE = DATA_QUALITY  # what a data steward's exchange work is recorded under


@functools.lru_cache(maxsize=1)
def default_model() -> dict:
    """The linkage model shipped with Anju (trained on 20,000 synthetic department records,
    `synth.benchmark(seed=11)`); pass a model from `anju link run` to use your own."""
    return json.loads(DEFAULT_MODEL.read_text("utf-8"))


def _cipher():
    return id_cipher()


def _not_found(what: str) -> NotFound:
    return NotFound("not_found", f"{what}不存在", "not found")


def _department(actor: Actor) -> str:
    """The connector code of a department officer's department (their only reach)."""
    code = department_code(actor.department)
    if not code or code not in departments():
        raise Forbidden("department_unknown", "账号未关联可交换数据的部门",
                        "your account has no data-exchange department")
    return code


def _own_department(access: Access) -> str | None:
    """Department officers are narrowed to their own department; stewards see all."""
    return _department(access.actor) if access.actor.role is Role.DEPT_OFFICER else None


# --- 1. import into the hub (the batches themselves: imports.py) -------------------------------
def import_extract(session: Session, actor: Actor, path: str | Path, department: str, *,
                   file_name: str | None = None, as_of: date | None = None,
                   model: dict | None = None, review_band: float = REVIEW_BAND,
                   batch: int | None = None) -> ImportReportOut:
    """Run one department import in the caller's unit of work (tests, the foreground): read,
    standardise, store, link, rebuild golden records — the batches the background job commits
    one by one (`imports.run`), here committed together with the caller.

    Re-importing the same file is a no-op answering the first report (status "unchanged");
    a record whose standard content is unchanged is left alone."""
    from anju.exchange import batches, imports

    path = Path(path)
    opened = imports.start(session, actor, path, department, file_name=file_name, as_of=as_of)
    if opened.token is None:
        return _report(session, opened.report, status="unchanged")
    here = lambda: contextlib.nullcontext(session)
    try:
        imports.run(here, here, actor, opened.report.id, opened.token, path, model=model,
                    review_band=review_band, batch=batch or imports.BATCH)
    except batches.Unreadable:
        raise ValidationError("file_unreadable", *imports.FAILURES["unreadable"],
                              field="file") from None
    session.flush()
    return _report(session, opened.report, status="imported")


def hub_records(session: Session, prefix: str) -> dict:
    """The hub's records under a division prefix, in the standard columns the matcher needs,
    with the golden record (after merges) and id of each, in id order."""
    cipher = _cipher()
    cols = [SourceRecord.id, SourceRecord.golden_id, SourceRecord.id_cipher,
            *[getattr(SourceRecord, c) for c in STANDARD if c != "id_number"]]
    rows = session.execute(select(*cols).where(SourceRecord.division_code.like(prefix + "%"))
                           .order_by(SourceRecord.id)).all()
    active = _active_ids(session, {r.golden_id for r in rows})
    raw = [{"name": r.name, "id_number": cipher.decrypt(r.id_cipher) if r.id_cipher else None,
            "sex": r.sex, "birth_date": r.birth_date, "phone": r.phone,
            "hukou_address": r.hukou_address, "current_address": r.current_address,
            "employer": r.employer} for r in rows]
    return {"raw": raw, "golden": [active[r.golden_id] for r in rows],
            "source": [r.id for r in rows]}


def _active_id(session: Session, golden_id: int) -> int:
    """Follow merges to the golden record that is still in use."""
    return _active_ids(session, {golden_id})[golden_id]


def _active_ids(session: Session, golden_ids: Iterable[int]) -> dict[int, int]:
    """Each golden record id → the one still in use after merges (itself if never merged)."""
    ids = set(golden_ids)
    merged: dict[int, int] = {}
    ask, asked = set(ids), set()
    while ask:
        asked |= ask
        listed, ask = sorted(ask), set()
        for i in range(0, len(listed), 500):
            for gid, target in session.execute(select(GoldenRecord.id, GoldenRecord.merged_into)
                                               .where(GoldenRecord.id.in_(listed[i:i + 500]),
                                                      GoldenRecord.merged_into.is_not(None))):
                merged[gid] = target
                if target not in asked:
                    ask.add(target)
    out = {}
    for gid in ids:
        seen, cur = set(), gid
        while cur in merged and cur not in seen:
            seen.add(cur)
            cur = merged[cur]
        out[gid] = cur
    return out


# --- 2 + 3. golden records, survivorship, conflicts -----------------------------------------
def _source_values(record: SourceRecord) -> rules.SourceValues:
    cipher = _cipher()
    values = {f: getattr(record, f) for f in STANDARD if f != "id_number"}
    values["id_number"] = cipher.decrypt(record.id_cipher) if record.id_cipher else None
    return rules.SourceValues(record.id, record.department, record.as_of, values,
                              id_valid=record.id_valid,
                              hukou_division_code=record.hukou_division_code,
                              current_division_code=record.current_division_code)


def rebuild(session: Session, golden: GoldenRecord) -> None:
    """Survivorship and conflicts for one golden record (internal: callers have checked)."""
    rebuild_many(session, [golden.id])
    session.expire(golden)


def rebuild_many(session: Session, golden_ids: Iterable[int]) -> list[tuple[int, str | None]]:
    """Survivorship and conflicts for golden records (internal: callers have checked): each
    value chosen from its sources with provenance, a change logged when anything changed, the
    current disagreements open as conflicts and the others resolved. Reads and writes a few
    statements for all of them (an import batch rebuilds thousands). Returns (id, person code)
    of the records still in use, in id order."""
    ids = sorted(set(golden_ids))
    if not ids:
        return []
    session.flush()
    goldens, sources, open_rows = {}, defaultdict(list), defaultdict(list)
    source_cols = [c for c in SourceRecord.__table__.c]
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        goldens.update((g.id, g) for g in session.execute(
            select(GoldenRecord.id, GoldenRecord.person_code, GoldenRecord.merged_into,
                   GoldenRecord.fields, GoldenRecord.provenance, GoldenRecord.id_hash,
                   GoldenRecord.id_cipher, GoldenRecord.division_code)
            .where(GoldenRecord.id.in_(chunk))))
        for row in session.execute(select(*source_cols).where(SourceRecord.golden_id.in_(chunk))
                                   .order_by(SourceRecord.id)):
            sources[row.golden_id].append(row)
        for row in session.execute(select(ConflictRow.id, ConflictRow.golden_id, ConflictRow.field,
                                          ConflictRow.source_id).where(
                ConflictRow.golden_id.in_(chunk), ConflictRow.status == "open")
                .order_by(ConflictRow.id)):
            open_rows[row.golden_id].append(row)
    cipher, now = _cipher(), utcnow()
    updates, changes, resolved, kept, added, touched = [], [], [], [], [], []
    for golden_id in ids:
        golden = goldens.get(golden_id)
        if golden is None or golden.merged_into is not None:
            continue
        touched.append((golden_id, golden.person_code))
        values = [_source_values(r) for r in sources[golden_id]]
        chosen = rules.survive(values)
        by_id = {v.source_id: v for v in values}
        fields = {f: c.value for f, c in chosen.items() if f != "id_number"}
        for kind in ("hukou", "current"):
            winner = chosen.get(f"{kind}_address")
            if winner is not None:
                fields[f"{kind}_division_code"] = getattr(by_id[winner.source_id],
                                                          f"{kind}_division_code")
        provenance = {f: c.provenance() for f, c in chosen.items()}
        id_number = chosen["id_number"].value if "id_number" in chosen else None
        id_hash = cipher.lookup_hash(id_number) if id_number else None
        division = fields.get("current_division_code") or golden.division_code
        # every row names the same columns, so they go in one executemany
        row = {"id": golden_id, "fields": fields, "provenance": provenance,
               "division_code": division, "updated_at": now, "id_hash": id_hash,
               "id_cipher": golden.id_cipher}
        if id_hash != golden.id_hash:
            row["id_cipher"] = cipher.encrypt(id_number) if id_number else None
        if (fields != golden.fields or provenance != golden.provenance
                or id_hash != golden.id_hash):
            changes.append({"golden_id": golden_id, "at": now})
        updates.append(row)
        # conflicts: the current findings stay open, the others are resolved
        findings = {(c.field, c.source_id): c for c in rules.conflicts(values, chosen)}
        for conflict in open_rows[golden_id]:
            if findings.pop((conflict.field, conflict.source_id), None) is None:
                resolved.append({"id": conflict.id, "status": "resolved", "resolved_at": now})
            else:
                kept.append({"id": conflict.id, "division_code": division})
        added += [{"golden_id": golden_id, "field": c.field, "department": c.department,
                   "source_id": c.source_id, "authority_department": c.authority_department,
                   "authority_source_id": c.authority_source_id, "status": "open",
                   "division_code": division, "created_at": now} for c in findings.values()]
    for model, rows, write in ((GoldenRecord, updates, update), (GoldenChange, changes, insert),
                               (ConflictRow, resolved, update), (ConflictRow, kept, update),
                               (ConflictRow, added, insert)):
        if rows:  # render_nulls: rows with and without NULLs stay in one executemany
            session.execute(write(model).execution_options(render_nulls=True), rows)
    return touched


def _golden_values(golden: GoldenRecord) -> dict:
    """A golden record in the field vocabulary (every field present, None when unknown)."""
    values: dict = dict.fromkeys(GOLDEN_FIELDS)
    values.update(golden.fields)
    values.update(golden_id=golden.id, person_code=golden.person_code,
                  id_number=lambda: _cipher().decrypt(golden.id_cipher) if golden.id_cipher
                  else None)
    return values


def _source_out(purpose: Purpose, record: SourceRecord,
                golden_id: int | None = None) -> SourceRecordOut:
    values = {f: getattr(record, f) for f in STANDARD if f != "id_number"}
    values["id_number"] = lambda: _cipher().decrypt(record.id_cipher) if record.id_cipher \
        else None
    return SourceRecordOut(
        source_id=record.id, department=record.department,
        source_record_id=record.source_record_id, as_of=record.as_of, id_valid=record.id_valid,
        golden_id=golden_id or record.golden_id, **shown(purpose, values))


def read_golden(session: Session, actor: Actor, golden_id: int) -> GoldenOut:
    """A golden record with the provenance of every value and its source records (masked)."""
    access = Access(session, actor)
    access.scopes(P.GOLDEN_READ)
    golden = session.get(GoldenRecord, golden_id)
    if golden is None:
        raise _not_found("主记录")
    access.check(P.GOLDEN_READ, "主记录", division_code=golden.division_code)
    purpose = access.purpose()
    fields = {k: v for k, v in shown(purpose, _golden_values(golden)).items()
              if k not in ("golden_id", "person_code") and v is not None}
    sources = session.execute(select(SourceRecord).where(
        SourceRecord.golden_id == golden.id).order_by(SourceRecord.id)).scalars().all()
    access.record(AuditEvent(P.GOLDEN_READ, PURPOSE, golden.person_code, "golden_record",
                             str(golden.id)))
    return GoldenOut(golden_id=golden.id, person_code=golden.person_code,
                     registered=golden.person_code is not None,
                     division_code=golden.division_code, merged_into=golden.merged_into,
                     fields=fields,
                     provenance={f: ProvenanceOut(**p) for f, p in golden.provenance.items()},
                     sources=[_source_out(purpose, s) for s in sources])


def golden_for_person(session: Session, actor: Actor, person_code: str) -> GoldenOut:
    access = Access(session, actor)
    access.scopes(P.GOLDEN_READ)
    golden_id = session.execute(select(GoldenRecord.id).where(
        GoldenRecord.person_code == person_code)).scalar()
    if golden_id is None:
        raise _not_found("主记录")
    return read_golden(session, actor, golden_id)


# --- import reports and jobs --------------------------------------------------------------------
def _report(session: Session, report: ExchangeImport, *, status: str | None = None,
            with_errors: bool = True) -> ImportReportOut:
    errors = None
    if with_errors:
        errors = [RowErrorOut(row=e.row, field=e.field, code=e.code, reason_zh=e.reason_zh,
                              reason_en=e.reason_en)
                  for e in session.execute(select(ImportErrorRow).where(
                      ImportErrorRow.import_id == report.id).order_by(
                      ImportErrorRow.row, ImportErrorRow.id)).scalars()]
    state = {"finished": "imported", "running": "running", "failed": "failed"}[report.state]
    return ImportReportOut(
        import_id=report.id, department=report.department, file_name=report.file_name,
        status=status or state, as_of=report.as_of, rows=report.rows,
        new_records=report.new_records, updated_records=report.updated_records,
        unchanged_records=report.unchanged_records, error_count=report.error_count,
        linked=dict(report.linked or {}), imported_by=report.imported_by,
        created_at=report.created_at, errors=errors)


def list_imports(session: Session, actor: Actor, limit: int = 100) -> list[ImportReportOut]:
    access = Access(session, actor)
    where = access.restrict(P.EXCHANGE_IMPORT, division_col=ExchangeImport.division_code)
    rows = session.execute(select(ExchangeImport).where(where).order_by(
        ExchangeImport.id.desc()).limit(min(limit, 500))).scalars().all()
    return [_report(session, r, with_errors=False) for r in rows]


def _load_import(session: Session, actor: Actor, import_id: int) -> ExchangeImport:
    access = Access(session, actor)
    access.scopes(P.EXCHANGE_IMPORT)
    report = session.get(ExchangeImport, import_id)
    if report is None:
        raise _not_found("导入记录")
    access.check(P.EXCHANGE_IMPORT, "导入记录", division_code=report.division_code)
    return report


def read_import(session: Session, actor: Actor, import_id: int) -> ImportReportOut:
    return _report(session, _load_import(session, actor, import_id))


def import_job(session: Session, actor: Actor, import_id: int, jobs=None, *,
               unchanged: bool = False) -> ImportJobOut:
    """An import as a job: state, progress, the reason it stopped, the report when finished.
    A running import whose last batch is old and that no job of this process holds was
    interrupted (the server stopped): uploading the same file again resumes it."""
    from anju.exchange import imports

    report = _load_import(session, actor, import_id)
    state, reason = report.state, report.failure
    here = jobs is not None and jobs.running(imports.job_key(report.id))
    if state == "running" and not here and imports.stale(report):
        state, reason = "interrupted", "interrupted"
    zh, en = imports.FAILURES.get(reason, (None, None)) if reason else (None, None)
    return ImportJobOut(
        job_id=report.id, state=state, department=report.department,
        file_name=report.file_name, rows_total=report.rows, rows_done=report.rows_done,
        reason_zh=zh, reason_en=en, status_url=f"/api/v1/exchange/imports/jobs/{report.id}",
        started_at=report.created_at, finished_at=report.finished_at,
        report=_report(session, report, status="unchanged" if unchanged else None)
        if state == "finished" else None)


def import_departments() -> list[tuple[str, str, str]]:
    """(code, Chinese name, English name) of each department an extract can come from."""
    from anju.exchange import connectors

    return [(c.code, c.name_zh, c.name_en) for c in connectors.available().values()]


def submit_import(session: Session, actor: Actor, jobs, upload: BinaryIO, department: str,
                  file_name: str | None, spool: Path) -> ImportJobOut:
    """An uploaded extract, imported by a background job (`jobs`: the server's
    `anju.core.jobs.JobRunner`): the file is kept under `spool` while the job runs, the import
    opened (or found: a file imported before is not imported again, one being imported is not
    started twice, an interrupted one resumes), and the job queued once this unit of work
    commits."""
    from anju.exchange import imports

    imports.connector(department)  # an unknown department is refused before anything is kept
    stored = imports.spool(upload, spool)
    try:
        opened = imports.start(session, actor, stored, department, file_name=file_name,
                               running=lambda i: jobs.running(imports.job_key(i)))
    except BaseException:
        stored.unlink(missing_ok=True)
        raise
    if opened.token is None:
        stored.unlink(missing_ok=True)
    else:
        session.flush()
        jobs.after_commit(session, imports.job_key(opened.report.id), imports.job, jobs, actor,
                          opened.report.id, opened.token, stored)
    return import_job(session, actor, opened.report.id, jobs,
                      unchanged=opened.report.state == "finished")


# --- 3. conflicts -----------------------------------------------------------------------------
def list_conflicts(session: Session, actor: Actor, status: str = "open",
                   limit: int = 200) -> list[ConflictOut]:
    """Conflicts in reach; a department officer sees only those their department should fix."""
    access = Access(session, actor)
    where = access.restrict(P.CONFLICT_READ, division_col=ConflictRow.division_code)
    query = (select(ConflictRow, SourceRecord.source_record_id, GoldenRecord.person_code)
             .join(SourceRecord, SourceRecord.id == ConflictRow.source_id)
             .join(GoldenRecord, GoldenRecord.id == ConflictRow.golden_id)
             .where(where, ConflictRow.status == status))
    if (own := _own_department(access)) is not None:
        query = query.where(ConflictRow.department == own)
    rows = session.execute(query.order_by(ConflictRow.id).limit(min(limit, 1000))).all()
    access.record(*[AuditEvent(P.CONFLICT_READ, P.DATA_CORRECTION, code, "conflict", str(c.id))
                    for c, _, code in rows])
    return [ConflictOut(conflict_id=c.id, golden_id=c.golden_id, field=c.field,
                        department=c.department, source_record_id=srid,
                        authority_department=c.authority_department, status=c.status,
                        created_at=c.created_at) for c, srid, _ in rows]


def conflict_summary(session: Session, actor: Actor) -> ConflictSummaryOut:
    """Rates of disagreement per department and per field (aggregates: nothing personal)."""
    access = Access(session, actor)
    src_where = access.restrict(P.CONFLICT_READ, division_col=SourceRecord.division_code)
    con_where = access.restrict(P.CONFLICT_READ, division_col=ConflictRow.division_code)
    own = _own_department(access)
    if own is not None:
        src_where = and_(src_where, SourceRecord.department == own)
        con_where = and_(con_where, ConflictRow.department == own)
    con_where = and_(con_where, ConflictRow.status == "open")
    records = dict(session.execute(select(SourceRecord.department, func.count())
                                   .where(src_where).group_by(SourceRecord.department)).all())
    goldens = session.execute(select(func.count(distinct(SourceRecord.golden_id)))
                              .where(src_where)).scalar_one()
    in_conflict = dict(session.execute(
        select(ConflictRow.department, func.count(distinct(ConflictRow.source_id)))
        .where(con_where).group_by(ConflictRow.department)).all())
    by_field_conflicts = dict(session.execute(
        select(ConflictRow.field, func.count()).where(con_where)
        .group_by(ConflictRow.field)).all())
    holding = session.execute(select(*[func.count(getattr(SourceRecord, f))
                                       for f in rules.CONFLICT_FIELDS if f != "id_number"],
                                     func.count(SourceRecord.id_cipher)).where(src_where)).one()
    held = dict(zip([f for f in rules.CONFLICT_FIELDS if f != "id_number"] + ["id_number"],
                    holding))
    total = sum(records.values())
    conflicted = sum(in_conflict.values())

    def rate(n: int, d: int) -> float:
        return round(n / d, 4) if d else 0.0

    return ConflictSummaryOut(
        records=total, golden_records=goldens, duplicate_rate=rate(total - goldens, total),
        records_in_conflict=conflicted, conflict_rate=rate(conflicted, total),
        by_department=[RateOut(key=d, records=n, conflicts=in_conflict.get(d, 0),
                               rate=rate(in_conflict.get(d, 0), n))
                       for d, n in sorted(records.items())],
        by_field=[RateOut(key=f, records=held[f], conflicts=by_field_conflicts.get(f, 0),
                          rate=rate(by_field_conflicts.get(f, 0), held[f]))
                  for f in rules.CONFLICT_FIELDS])


# --- 4. clerical review -----------------------------------------------------------------------
def _pair_out(access: Access, pair: ReviewPair) -> ReviewPairOut:
    session, purpose = access.session, access.purpose()
    left = session.get(SourceRecord, pair.left_source_id)
    right = session.get(SourceRecord, pair.right_source_id)
    return ReviewPairOut(
        pair_id=pair.id, weight=pair.weight, status=pair.status,
        left=_source_out(purpose, left, _active_id(session, left.golden_id)),
        right=_source_out(purpose, right, _active_id(session, right.golden_id)),
        decided_by=pair.decided_by, decided_at=pair.decided_at)


def _pair_persons(session: Session, pair: ReviewPair) -> list[str | None]:
    codes = []
    for source_id in (pair.left_source_id, pair.right_source_id):
        golden_id = _active_id(session, session.get(SourceRecord, source_id).golden_id)
        codes.append(session.get(GoldenRecord, golden_id).person_code)
    return list(dict.fromkeys(codes))


def list_review_pairs(session: Session, actor: Actor, status: str = "pending",
                      limit: int = 100) -> list[ReviewPairOut]:
    access = Access(session, actor)
    where = access.restrict(P.EXCHANGE_REVIEW, division_col=ReviewPair.division_code)
    pairs = session.execute(select(ReviewPair).where(where, ReviewPair.status == status)
                            .order_by(ReviewPair.weight.desc(), ReviewPair.id)
                            .limit(min(limit, 500))).scalars().all()
    out = [_pair_out(access, p) for p in pairs]
    access.record(*[AuditEvent(P.EXCHANGE_REVIEW, PURPOSE, code, "review_pair", str(p.id))
                    for p in pairs for code in _pair_persons(session, p)])
    return out


def _load_pair(access: Access, pair_id: int, lock: bool = False) -> ReviewPair:
    query = select(ReviewPair).where(ReviewPair.id == pair_id)
    pair = access.session.execute(query.with_for_update() if lock else query).scalar()
    if pair is None:
        raise _not_found("复核记录")
    access.check(P.EXCHANGE_REVIEW, "复核记录", division_code=pair.division_code)
    return pair


def read_review_pair(session: Session, actor: Actor, pair_id: int) -> ReviewPairOut:
    """The two records side by side (ID numbers and phones masked)."""
    access = Access(session, actor)
    access.scopes(P.EXCHANGE_REVIEW)
    pair = _load_pair(access, pair_id)
    access.record(*[AuditEvent(P.EXCHANGE_REVIEW, PURPOSE, code, "review_pair", str(pair.id))
                    for code in _pair_persons(session, pair)])
    return _pair_out(access, pair)


def decide_review_pair(session: Session, actor: Actor, pair_id: int,
                       decision: str) -> ReviewPairOut:
    """"match" merges the two golden records into one; "non_match" is remembered (the pair is
    never proposed again). Either way the decision is audited against both persons."""
    access = Access(session, actor)
    access.scopes(P.EXCHANGE_REVIEW)
    decision = str(decision)
    if decision not in ("match", "non_match"):
        raise ValidationError("decision_unknown", "复核结论应为“同一人”或“不是同一人”",
                              "decision must be match or non_match", field="decision")
    pair = _load_pair(access, pair_id, lock=True)
    if pair.status != "pending":
        raise Conflict("review_decided", "该记录对已复核", "this pair was already decided")
    persons = _pair_persons(session, pair)
    merged = None
    if decision == "match":
        merged = _merge(session, session.get(SourceRecord, pair.left_source_id).golden_id,
                        session.get(SourceRecord, pair.right_source_id).golden_id)
    pair.status, pair.decided_by, pair.decided_at = decision, actor.username, utcnow()
    access.record(*[AuditEvent(P.EXCHANGE_REVIEW, PURPOSE, code, "review_pair", str(pair.id),
                               {"decision": decision, "golden": merged})
                    for code in persons])
    session.flush()
    return _pair_out(access, pair)


def _merge(session: Session, a: int, b: int) -> int:
    """Merge two golden records; the registered one (else the older) survives."""
    a, b = _active_id(session, a), _active_id(session, b)
    if a == b:
        return a
    ga, gb = session.get(GoldenRecord, a), session.get(GoldenRecord, b)
    if ga.person_code and gb.person_code:
        raise Conflict("merge_registered",
                       "两条记录分属两个已登记人员，请通过人员档案合并处理",
                       "both records belong to registered persons; merge them in the registry")
    keep, drop = (ga, gb) if (ga.person_code or (not gb.person_code and ga.id < gb.id)) else (gb, ga)
    session.execute(update(SourceRecord).where(SourceRecord.golden_id == drop.id)
                    .values(golden_id=keep.id))
    subscribed = set(session.execute(select(Subscription.department).where(
        Subscription.golden_id == keep.id)).scalars())
    for sub in session.execute(select(Subscription).where(
            Subscription.golden_id == drop.id)).scalars().all():
        if sub.department in subscribed:
            session.delete(sub)
        else:
            sub.golden_id = keep.id
    session.execute(update(ConflictRow).where(ConflictRow.golden_id == drop.id,
                                              ConflictRow.status == "open")
                    .values(status="resolved", resolved_at=utcnow()))
    drop.merged_into = keep.id
    session.add(GoldenChange(golden_id=drop.id))
    session.flush()
    rebuild(session, keep)
    return keep.id


# --- 5. sharing back: subscriptions, the feed, data-access requests -----------------------------
def subscribe(session: Session, actor: Actor, golden_ids: list[int] | None = None,
              served: bool = False) -> SubscriptionsOut:
    """Subscribe the officer's department to persons it serves (or to named golden records)."""
    access = Access(session, actor)
    access.scopes(P.SUBSCRIPTION_MANAGE)
    department = _department(actor)
    where = access.restrict(P.SUBSCRIPTION_MANAGE, division_col=GoldenRecord.division_code)
    wanted: list[GoldenRecord] = []
    if served:
        wanted += session.execute(select(GoldenRecord).where(
            where, GoldenRecord.merged_into.is_(None), GoldenRecord.id.in_(
                select(SourceRecord.golden_id).where(SourceRecord.department == department))
        ).order_by(GoldenRecord.id)).scalars().all()
    for golden_id in golden_ids or []:
        golden = session.get(GoldenRecord, golden_id)
        if golden is None or golden.merged_into is not None:
            raise _not_found("主记录")
        access.check(P.SUBSCRIPTION_MANAGE, "主记录", division_code=golden.division_code)
        wanted.append(golden)
    have = set(session.execute(select(Subscription.golden_id).where(
        Subscription.department == department)).scalars())
    added = []
    for golden in wanted:
        if golden.id not in have:
            have.add(golden.id)
            added.append(golden)
            session.add(Subscription(department=department, golden_id=golden.id,
                                     created_by=actor.username))
    access.record(*[AuditEvent(P.SUBSCRIPTION_MANAGE, department_purpose(department),
                               g.person_code, "golden_record", str(g.id),
                               {"department": department}) for g in added])
    session.flush()
    return SubscriptionsOut(department=department, added=len(added), total=len(have))


def _shared(golden: GoldenRecord, purpose: Purpose) -> dict:
    """A golden record as one department's purpose may see it: every field the purpose lists
    that a golden record holds (None when unknown), nothing else."""
    return shown(purpose, _golden_values(golden))


def feed(session: Session, actor: Actor, cursor: int = 0, limit: int = 100) -> FeedOut:
    """Changes to the persons the officer's department subscribed to, after `cursor`, with only
    its purpose's fields. Every delivered person is written to the audit chain."""
    access = Access(session, actor)
    where = access.restrict(P.FEED_READ, division_col=GoldenRecord.division_code)
    department = _department(actor)
    purpose = department_purpose(department)
    rows = session.execute(
        select(GoldenChange.id, GoldenRecord)
        .join(GoldenRecord, GoldenRecord.id == GoldenChange.golden_id)
        .join(Subscription, and_(Subscription.golden_id == GoldenChange.golden_id,
                                 Subscription.department == department))
        .where(where, GoldenChange.id > cursor)
        .order_by(GoldenChange.id).limit(max(1, min(limit, 500)))).all()
    latest: dict[int, tuple[int, GoldenRecord]] = {}
    for change_id, golden in rows:
        latest[golden.id] = (change_id, golden)
    items, events = [], []
    for change_id, golden in sorted(latest.values(), key=lambda t: t[0]):
        if golden.merged_into is not None:
            items.append({"change": change_id, "golden_id": golden.id,
                          "merged_into": golden.merged_into})
            continue
        if not access.serves(golden.fields.get("birth_date")):
            continue
        items.append({"change": change_id, **_shared(golden, purpose)})
        events.append(AuditEvent(P.FEED_READ, purpose, golden.person_code, "golden_record",
                                 str(golden.id), {"department": department}))
    access.record(*events)
    return FeedOut(department=department, purpose=purpose.name, cursor=cursor,
                   next_cursor=rows[-1][0] if rows else cursor, items=items)


def _request_out(req: DataRequest) -> DataRequestOut:
    return DataRequestOut(request_id=req.id, department=req.department, dataset=req.dataset,
                          purpose=req.purpose, division_code=req.division_code,
                          status=req.status, requested_by=req.requested_by,
                          decided_by=req.decided_by, expires_on=req.expires_on,
                          expired=_expired(req), created_at=req.created_at)


def _expired(req: DataRequest) -> bool:
    return req.status == "approved" and req.expires_on is not None and \
        req.expires_on < clock.today()


def create_data_request(session: Session, actor: Actor, dataset: str,
                        purpose: str) -> DataRequestOut:
    access = Access(session, actor)
    access.check(P.DATA_REQUEST_CREATE, "辖区", division_code=actor.division_code)
    department = _department(actor)
    dataset = str(dataset)
    if dataset not in ("served", "all"):
        raise ValidationError("dataset_unknown", "数据范围应为“服务对象”或“辖区全部人员”",
                              "dataset must be served or all", field="dataset")
    if len((purpose or "").strip()) < 4:
        raise ValidationError("purpose_required", "请说明用途", "state the purpose",
                              field="purpose")
    req = DataRequest(department=department, dataset=dataset, purpose=purpose.strip()[:500],
                      division_code=divisions.canonical(actor.division_code),
                      requested_by=actor.username)
    session.add(req)
    session.flush()
    access.record(AuditEvent(P.DATA_REQUEST_CREATE, P.DATA_REQUEST, None, "data_request",
                             str(req.id), {"department": department, "dataset": dataset}))
    return _request_out(req)


def list_data_requests(session: Session, actor: Actor, limit: int = 100) -> list[DataRequestOut]:
    access = Access(session, actor)
    where = access.restrict(P.DATA_REQUEST_READ, division_col=DataRequest.division_code)
    query = select(DataRequest).where(where)
    if (own := _own_department(access)) is not None:
        query = query.where(DataRequest.department == own)
    rows = session.execute(query.order_by(DataRequest.id.desc()).limit(min(limit, 500))).scalars()
    return [_request_out(r) for r in rows]


def _load_request(access: Access, action: str, request_id: int, lock: bool = False) -> DataRequest:
    query = select(DataRequest).where(DataRequest.id == request_id)
    req = access.session.execute(query.with_for_update() if lock else query).scalar()
    if req is None:
        raise _not_found("数据申请")
    access.check(action, "数据申请", division_code=req.division_code)
    own = _own_department(access)
    if own is not None and req.department != own:
        raise _not_found("数据申请")
    return req


def decide_data_request(session: Session, actor: Actor, request_id: int, approve: bool,
                        expires_on: date | None = None) -> DataRequestOut:
    access = Access(session, actor)
    access.scopes(P.DATA_REQUEST_DECIDE)
    req = _load_request(access, P.DATA_REQUEST_DECIDE, request_id, lock=True)
    if req.status != "pending":
        raise Conflict("request_decided", "该申请已处理", "this request was already decided")
    if approve:
        if expires_on is None or expires_on < clock.today():
            raise ValidationError("expiry_required", "批准须指定不早于今天的有效期",
                                  "an approval needs an expiry date from today on",
                                  field="expires_on")
        req.expires_on = expires_on
    req.status = "approved" if approve else "rejected"
    req.decided_by, req.decided_at = actor.username, utcnow()
    access.record(AuditEvent(P.DATA_REQUEST_DECIDE, P.DATA_REQUEST, None, "data_request",
                             str(req.id), {"approve": approve,
                                           "expires_on": expires_on.isoformat()
                                           if approve and expires_on else None}))
    return _request_out(req)


def deliver_data_request(session: Session, actor: Actor, request_id: int,
                         limit: int = 10_000) -> DeliveryOut:
    """The approved dataset, purpose fields only; each person delivered is audited. An expired
    (or not approved) request delivers nothing."""
    access = Access(session, actor)
    access.scopes(P.DATA_REQUEST_DELIVER)
    req = _load_request(access, P.DATA_REQUEST_DELIVER, request_id)
    if req.status != "approved":
        raise Conflict("request_not_approved", "申请尚未批准", "the request is not approved")
    if _expired(req):
        raise Conflict("request_expired", "批准已过期，不再提供数据",
                       "the approval has expired; nothing is delivered")
    purpose = department_purpose(req.department)
    where = and_(access.restrict(P.DATA_REQUEST_DELIVER, division_col=GoldenRecord.division_code),
                 GoldenRecord.division_code.like(divisions.significant_prefix(req.division_code)
                                                 + "%"),
                 GoldenRecord.merged_into.is_(None))
    if req.dataset == "served":
        where = and_(where, GoldenRecord.id.in_(select(SourceRecord.golden_id).where(
            SourceRecord.department == req.department)))
    goldens = session.execute(select(GoldenRecord).where(where).order_by(GoldenRecord.id)
                              .limit(limit)).scalars().all()
    goldens = [g for g in goldens if access.serves(g.fields.get("birth_date"))]
    session.add(DataDelivery(request_id=req.id, records=len(goldens), delivered_by=actor.username))
    access.record(*[AuditEvent(P.DATA_REQUEST_DELIVER, purpose, g.person_code,
                               "golden_record", str(g.id), {"data_request": req.id})
                    for g in goldens])
    return DeliveryOut(request_id=req.id, purpose=purpose.name,
                       records=[_shared(g, purpose) for g in goldens])

