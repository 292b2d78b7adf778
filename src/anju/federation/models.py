"""Federation tables: peers, messages in and out (one table, by direction), the message log
(a keyed hash chain of its own, checked by `anju audit verify`) and its head, and the link index
(a peer's keyed hash of each ID number → our person code).

A message names a person only for service continuity and arrival notices; such rows keep the
person's code and managing division so the access layer decides who reaches them.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.access import Reach
from anju.core.db import Base, utcnow


class Peer(Base):
    """Another Anju installation, added by an administrator with the key it sent out of band."""

    __tablename__ = "federation_peers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    division_code: Mapped[str] = mapped_column(String(12), unique=True)  # its county code
    base_url: Mapped[str] = mapped_column(String(300))
    public_key: Mapped[str] = mapped_column(Text)  # PEM, as `anju federation public-key` prints
    # The secret both counties agreed for the keyed hash of ID numbers (SM4-encrypted under our
    # secret); without one no person-level message is exchanged with this peer.
    link_secret: Mapped[str | None] = mapped_column(Text)
    arrival_notices: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # health, as the outbox saw it
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime)
    down_since: Mapped[datetime | None] = mapped_column(DateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row
    last_error: Mapped[str | None] = mapped_column(String(300))


class Message(Base):
    """One message, sent (`out`: queued until a signed receipt comes back) or received (`in`:
    stored once, by its id)."""

    __tablename__ = "federation_messages"
    __table_args__ = (
        UniqueConstraint("direction", "peer_id", "message_id"),
        Index("ix_federation_messages_due", "direction", "state", "next_attempt_at"),
    )
    __reach__ = Reach(kind="federation_message", division="division_code", person="person_code",
                      key="message_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(3))  # out | in
    peer_id: Mapped[int] = mapped_column(ForeignKey("federation_peers.id"))
    type: Mapped[str] = mapped_column(String(16))  # stats | continuity | arrival
    state: Mapped[str] = mapped_column(String(12))  # queued | delivered | failed
    body: Mapped[dict] = mapped_column(JSON)
    envelope: Mapped[dict | None] = mapped_column(JSON)  # as last sent / as received
    receipt: Mapped[dict | None] = mapped_column(JSON)  # the signed receipt
    answer: Mapped[dict | None] = mapped_column(JSON)  # a continuity answer (purpose's fields)
    purpose: Mapped[str | None] = mapped_column(String(64))
    person_code: Mapped[str | None] = mapped_column(String(16), index=True)
    division_code: Mapped[str | None] = mapped_column(String(12))
    case_id: Mapped[int | None] = mapped_column(Integer)  # the case that asked, where there is one
    # an arrival notice's registration (told to the person on their registrations page)
    registration_id: Mapped[int | None] = mapped_column(Integer)
    requested_by: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)


class LogEntry(Base):
    """The message log: every message sent and received, every receipt, every refusal — each
    entry HMAC-SM3(key, previous hash + canonical entry), like the audit chain."""

    __tablename__ = "federation_log"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime)
    direction: Mapped[str] = mapped_column(String(3))  # out | in
    kind: Mapped[str] = mapped_column(String(10))  # message | receipt | refusal
    message_id: Mapped[str | None] = mapped_column(String(64), index=True)
    peer: Mapped[str | None] = mapped_column(String(12))  # the other side's county code
    type: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[int | None] = mapped_column(Integer)  # HTTP status of a refusal
    content: Mapped[dict] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class LogHead(Base):
    """The message log's one head row, locked while an entry is appended (gapless order)."""

    __tablename__ = "federation_log_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class LinkEntry(Base):
    """A peer's keyed hash of one of our persons' ID numbers, so a continuity request finds them
    without the ID number ever travelling."""

    __tablename__ = "federation_links"
    __table_args__ = (UniqueConstraint("peer_id", "link_hash", name="uq_federation_links_hash"),
                      UniqueConstraint("peer_id", "person_code",
                                       name="uq_federation_links_person"))

    id: Mapped[int] = mapped_column(primary_key=True)
    peer_id: Mapped[int] = mapped_column(ForeignKey("federation_peers.id"))
    link_hash: Mapped[str] = mapped_column(String(64))
    person_code: Mapped[str] = mapped_column(String(16))
