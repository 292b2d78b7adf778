"""The audit chain's use cases: the auditor's verification and reading, and a person's own
"who accessed my data". (The chain itself — appending, sealing, witnessing — is
`anju.core.audit`; keeping them apart means the access layer can write to the chain without the
chain's use cases importing the access layer back.)"""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core import audit, chaincheck
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.models import AuditRecord
from anju.core.permissions import ACCESS_LOG_READ, AUDIT, AUDIT_READ, AUDIT_VERIFY
from anju.core.policy import Actor
from anju.core.types import Timestamp


def verify(session: Session, actor: Actor) -> chaincheck.VerifyResult:
    """The auditor's (and admin's) check of the whole chain — every partition and recorded
    root; entries not sealed yet are counted as pending. The check itself is recorded."""
    access = Access(session, actor)
    access.check(AUDIT_VERIFY, "审计链")
    result = chaincheck.verify_chain(session)
    access.record(AuditEvent(AUDIT_VERIFY, AUDIT, None, "audit_chain", None,
                             {"ok": result.ok, "checked": result.checked,
                              "pending": result.pending}))
    return result


def recent(session: Session, actor: Actor, limit: int = 100) -> list[AuditRecord]:
    """The auditor's read of the log, newest first, sealed and pending alike (in the order they
    were written — an entry keeps its id when sealed; `seq` counts within a partition); the read
    itself goes on the chain."""
    access = Access(session, actor)
    access.check(AUDIT_READ, "审计日志")
    entries = list(session.execute(select(AuditRecord).order_by(AuditRecord.id.desc())
                                   .limit(min(limit, 500))).scalars())
    access.record(AuditEvent(AUDIT_READ, AUDIT, None, "audit_log", None, {"limit": limit}))
    return entries


def entries_for_person(session: Session, person_code: str, limit: int = 200,
                       before_id: int | None = None) -> list[AuditRecord]:
    """A person's entries, newest first: sealed and pending alike, in the order they were
    written (a pending entry has no sequence number yet, but it happened)."""
    query = select(AuditRecord).where(AuditRecord.person_code == person_code)
    if before_id:
        query = query.where(AuditRecord.id < before_id)
    return list(session.execute(query.order_by(AuditRecord.id.desc()).limit(limit)).scalars())


class AccessLogEntry(BaseModel):
    at: Timestamp
    official: str
    role: str
    action: str
    purpose: str
    refused: bool = False  # a refused attempt: the official did not get to the data


def my_access_log(session: Session, actor: Actor, limit: int = 200) -> list[AccessLogEntry]:
    """Who touched my record, when and why: the person's window onto the audit chain. Reading
    it is not itself recorded (it would log forever)."""
    access = Access(session, actor)
    access.check(ACCESS_LOG_READ, "访问记录", person_codes=[actor.person_code])
    entries = entries_for_person(session, actor.person_code, limit=limit)
    return [AccessLogEntry(at=e.at, official=e.username, role=e.role, action=e.action,
                           purpose=e.purpose, refused=audit.is_attempt(e)) for e in entries]


def at_of(entry: AccessLogEntry) -> datetime:
    return entry.at
