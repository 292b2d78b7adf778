"""Department imports as the steward sees them: run one in the caller's unit of work, submit an
upload as a background job, and read the import reports and jobs (the batches themselves:
`anju.exchange.imports`, `anju.exchange.batches`)."""
from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.access import Access, not_found
from anju.core.errors import RowError, ValidationError
from anju.core.policy import Actor
from anju.exchange import policy as P
from anju.exchange.models import ExchangeImport, ImportErrorRow
from anju.exchange.schemas import ImportJobOut, ImportReportOut
from anju.exchange.service.hub import REVIEW_BAND


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


def _report(session: Session, report: ExchangeImport, *, status: str | None = None,
            with_errors: bool = True) -> ImportReportOut:
    errors = None
    if with_errors:
        errors = [RowError(e.row, e.code, e.message_zh, e.message_en, e.field,
                           report.file_name)
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
    where = access.restrict_model(P.EXCHANGE_IMPORT, ExchangeImport)
    rows = session.execute(select(ExchangeImport).where(where).order_by(
        ExchangeImport.id.desc()).limit(min(limit, 500))).scalars().all()
    return [_report(session, r, with_errors=False) for r in rows]


def _load_import(session: Session, actor: Actor, import_id: int) -> ExchangeImport:
    access = Access(session, actor)
    access.allow(P.EXCHANGE_IMPORT)
    report = session.get(ExchangeImport, import_id)
    if report is None:
        raise access.refuse(P.EXCHANGE_IMPORT, not_found("导入记录"))
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


