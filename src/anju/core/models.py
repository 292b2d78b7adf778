"""Tables owned by core: accounts, login throttling, the audit chain, idempotency keys, the
county's loaded holiday arrangements."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    cast,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Mapped, mapped_column, registry

from anju.core.db import Base, utcnow


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    # Jurisdiction: the canonical 12-digit code of the admin-division subtree this account serves.
    division_code: Mapped[str] = mapped_column(String(12))
    department: Mapped[str | None] = mapped_column(String(32))
    # Residents and landlords are persons; their account points at their person code. An
    # administrator cannot set it: they request a binding, which a police officer whose
    # jurisdiction reaches the person confirms (anju.core.accounts). Until then the code waits in
    # pending_person_code, with the division it is routed to.
    person_code: Mapped[str | None] = mapped_column(String(16), index=True)
    binding_state: Mapped[str | None] = mapped_column(String(16))  # pending | refused | None
    pending_person_code: Mapped[str | None] = mapped_column(String(16))
    pending_division_code: Mapped[str | None] = mapped_column(String(12), index=True)
    binding_requested_by: Mapped[str | None] = mapped_column(String(64))
    binding_requested_at: Mapped[datetime | None] = mapped_column(DateTime)
    display_name: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped to invalidate every token issued before (logout everywhere, password change).
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class UiSession(Base):
    """A signed-in browser. The cookie holds a random token; only its hash is stored, so a
    database reader cannot sign in. Logout deletes the row; disabling an account or resetting
    its password deletes all of them."""

    __tablename__ = "ui_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class LoginFailure(Base):
    """Recent failed logins per username + client address, for throttling."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index("ix_login_failures_user_client", "username", "client", "at"),)


class _AuditContent:
    """What an audit entry says, the same whether it waits in the queue or is sealed."""

    at: Mapped[datetime] = mapped_column(DateTime)
    account_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(48))
    person_code: Mapped[str | None] = mapped_column(String(16))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(48))
    detail: Mapped[dict | None] = mapped_column(JSON)


class AuditEntry(_AuditContent, Base):
    """One sealed link of the append-only, keyed-SM3 (HMAC-SM3) hash-chained audit log.

    A use case writes its entries to `audit_pending` (`AuditPending`); the sealer moves them
    here, in batches, with their partition's next `seq` and their hashes, keeping their `id`.
    This table is insert-only: nothing UPDATEs a row (a sealed row is written once, complete).
    Within a partition `seq` has no gaps: a missing number is a deleted entry.
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    part: Mapped[int] = mapped_column(Integer, server_default="0")
    seq: Mapped[int | None] = mapped_column(Integer)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("part", "seq", name="uq_audit_entries_part_seq"),
        Index("ix_audit_entries_person_id", "person_code", "id"),
    )


class AuditPending(_AuditContent, Base):
    """An entry written but not sealed yet: the sealer's queue (issue 12). Rows are inserted by
    requests and deleted by the sealer, which moves them into `audit_entries` with the same
    `id`; so ids are unique across both tables: on PostgreSQL this table draws from
    `audit_entries`' sequence (the migration's server default), on SQLite it is AUTOINCREMENT,
    seeded by the migration above every id `audit_entries` held (ids are never reused, even
    when the queue is empty). Primary key only: the sealer reads the whole (small) queue."""

    __tablename__ = "audit_pending"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    part: Mapped[int] = mapped_column(Integer)

    __table_args__ = {"sqlite_autoincrement": True}


AUDIT_CONTENT = ("id", "part", "at", "account_id", "username", "role", "action", "person_code",
                 "object_type", "object_id", "purpose", "detail")


def _audit_log():
    """Every entry written, sealed or not: audit_entries UNION ALL audit_pending (seq and the
    hashes NULL for pending). A Core selectable rather than a database VIEW: nothing to migrate
    or keep in step (a view would also block SQLite's batch-mode rebuilds of either table), and
    filters and ORDER BY id … LIMIT are pushed into both branches by both databases."""
    sealed, queued = AuditEntry.__table__, AuditPending.__table__
    return union_all(
        select(*(sealed.c[c] for c in AUDIT_CONTENT), sealed.c.seq, sealed.c.prev_hash,
               sealed.c.entry_hash),
        select(*(queued.c[c] for c in AUDIT_CONTENT), cast(null(), Integer).label("seq"),
               cast(null(), String(64)).label("prev_hash"),
               cast(null(), String(64)).label("entry_hash")),
    ).subquery("audit_log")


_READ_MODELS = registry()  # not Base's: no table to create, compare or migrate


@_READ_MODELS.mapped
class AuditRecord:
    """Read-only: one entry of the audit log as written — sealed (`seq` set) or pending (`seq`
    None) — with the same `id` before and after sealing. For readers that mean "every entry
    written" (the access log, the auditor's page); the chain's own checks read `AuditEntry`."""

    __table__ = _audit_log()
    __mapper_args__ = {"primary_key": [__table__.c.id]}

    id: Mapped[int]
    part: Mapped[int]
    seq: Mapped[int | None]
    at: Mapped[datetime]
    account_id: Mapped[int | None]
    username: Mapped[str]
    role: Mapped[str]
    action: Mapped[str]
    person_code: Mapped[str | None]
    object_type: Mapped[str | None]
    object_id: Mapped[str | None]
    purpose: Mapped[str]
    detail: Mapped[dict | None]
    prev_hash: Mapped[str | None]
    entry_hash: Mapped[str | None]

    @property
    def sealed(self) -> bool:
        return self.seq is not None


class AuditHead(Base):
    """One row per partition of the chain: its last seq and hash, kept by the sealer. The number
    of rows is the number of partitions (made by the migrations; fixed)."""

    __tablename__ = "audit_heads"

    part: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditRoot(Base):
    """A Merkle root (SM3) of the partitions' heads, recorded by the sealer; the witness anchors
    it outside the database and `anju audit roots` prints them for a daily report."""

    __tablename__ = "audit_roots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    heads: Mapped[str] = mapped_column(Text)  # JSON [[partition, seq, hash], …]
    root: Mapped[str] = mapped_column(String(64))


class IdempotencyRecord(Base):
    """The first answer to a POST carrying an Idempotency-Key, replayed on a retry."""

    __tablename__ = "idempotency_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "key", name="uq_idempotency_account_key"),)


class CalendarYear(Base):
    """A year's official holiday arrangement as the county loaded it (`anju calendar load`, the
    admin's calendar page); it takes the place of the shipped data or the provisional year.
    `version` grows with every load, so every server process sees a new one within seconds
    (anju.core.calendars). A corrected file replaces the row; the audit chain keeps the history."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    days: Mapped[list] = mapped_column(JSON)  # [["2027-01-01", "holiday"], …], by date
    holidays: Mapped[int] = mapped_column(Integer)
    workdays: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))  # SM3 of the days: a re-load changes nothing
    file_name: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, unique=True)
    loaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(64))
