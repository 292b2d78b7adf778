"""Tables owned by core: accounts, login throttling, the audit chain, idempotency keys."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

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
    # Residents and landlords are persons; their account points at their person code.
    person_code: Mapped[str | None] = mapped_column(String(16), index=True)
    display_name: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped to invalidate every token issued before (logout everywhere, password change).
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LoginFailure(Base):
    """Recent failed logins per username + client address, for throttling."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index("ix_login_failures_user_client", "username", "client", "at"),)


class AuditEntry(Base):
    """One link of the append-only, SM3 hash-chained audit log.

    A use case writes its entries at once and they are sealed — given the next `seq` and their
    hashes under the chain-head lock — just before its transaction commits, so the lock is held
    for microseconds, not for the whole request. `seq` has no gaps: a missing number is a
    deleted entry.
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int | None] = mapped_column(Integer, unique=True)
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
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_entries_person_seq", "person_code", "seq"),)


class AuditHead(Base):
    """A single row holding the chain's last seq and hash; locked while appending."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


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
