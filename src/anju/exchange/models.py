"""Exchange tables: import reports, standardised source records, golden records and their change
log, clerical review pairs, conflicts, subscriptions, data-access requests.

ID numbers are never stored in clear: SM4 ciphertext plus the registry's keyed lookup hash
(`anju.core.crypto.id_cipher()`), exactly as persons are.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
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


class ExchangeImport(Base):
    """One department extract imported by a data steward: the import report, and the import's
    job while it runs (state, progress, the runner holding it). Its counters and `rows_done`
    commit with each batch of records, so an interrupted import resumes after its last batch."""

    __tablename__ = "exchange_imports"
    __reach__ = Reach(kind="exchange_import", division="division_code")

    id: Mapped[int] = mapped_column(primary_key=True)
    department: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[date] = mapped_column(Date)
    division_code: Mapped[str] = mapped_column(String(12), index=True)  # the steward's reach
    rows: Mapped[int] = mapped_column(Integer, default=0)
    new_records: Mapped[int] = mapped_column(Integer, default=0)
    updated_records: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_records: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    linked: Mapped[dict] = mapped_column(JSON, default=dict)  # how records were linked
    imported_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="finished",
                                       server_default="finished")  # running|finished|failed
    rows_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    runner: Mapped[str | None] = mapped_column(String(32))  # token of the job running it
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)  # its last batch
    failure: Mapped[str | None] = mapped_column(String(32))  # why it failed (a reason code)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    # One import per file content, department and jurisdiction (stewards of two counties may
    # import the same file, each within their own reach).
    __table_args__ = (UniqueConstraint("department", "content_hash", "division_code",
                                       name="uq_exchange_imports_department_hash_division"),)


class ImportErrorRow(Base):
    """One rejected value or row of an import (location and reason only, no personal data): an
    `anju.core.errors.RowError` as stored, its file being the import's."""

    __tablename__ = "exchange_import_errors"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("exchange_imports.id"), index=True)
    row: Mapped[int] = mapped_column(Integer)  # 1-based data row; 0: the header
    field: Mapped[str] = mapped_column(String(32))  # "*": the row as a whole
    code: Mapped[str] = mapped_column(String(32))
    message_zh: Mapped[str] = mapped_column(String(200))
    message_en: Mapped[str] = mapped_column(String(200))


class GoldenRecord(Base):
    """The best-known values of one person across departments, with provenance per value.

    `person_code` is the registry person when one is known; a golden record without one is an
    *unregistered* identity (departments know the person, the registry does not yet). A golden
    record merged into another by clerical review keeps its row, with `merged_into` set.
    """

    __tablename__ = "golden_records"
    __reach__ = Reach(kind="golden_record", division="division_code", person="person_code")

    id: Mapped[int] = mapped_column(primary_key=True)
    person_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    id_cipher: Mapped[str | None] = mapped_column(Text)
    id_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    fields: Mapped[dict] = mapped_column(JSON, default=dict)  # golden values except the ID
    provenance: Mapped[dict] = mapped_column(JSON, default=dict)  # field → source, date
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("golden_records.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class SourceRecord(Base):
    """One department record in the common standard, linked to a golden record."""

    __tablename__ = "source_records"
    __reach__ = Reach(kind="source_record", division="division_code",
                      department="department")

    id: Mapped[int] = mapped_column(primary_key=True)
    department: Mapped[str] = mapped_column(String(32))
    source_record_id: Mapped[str] = mapped_column(String(64))
    record_hash: Mapped[str] = mapped_column(String(64))  # hash of the standardised content
    import_id: Mapped[int] = mapped_column(ForeignKey("exchange_imports.id"), index=True)
    row: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    name: Mapped[str | None] = mapped_column(String(64))
    id_cipher: Mapped[str | None] = mapped_column(Text)
    id_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    id_valid: Mapped[bool] = mapped_column(Boolean, default=False)
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[str | None] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20))
    hukou_address: Mapped[str | None] = mapped_column(String(200))
    hukou_division_code: Mapped[str | None] = mapped_column(String(12))
    current_address: Mapped[str | None] = mapped_column(String(200))
    current_division_code: Mapped[str | None] = mapped_column(String(12))
    employer: Mapped[str | None] = mapped_column(String(200))
    division_code: Mapped[str] = mapped_column(String(12), index=True)  # jurisdiction
    golden_id: Mapped[int] = mapped_column(ForeignKey("golden_records.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("department", "source_record_id",
                                       name="uq_source_records_department_record"),)


class GoldenChange(Base):
    """Append-only log of golden-record changes: the feed's cursor is this id."""

    __tablename__ = "golden_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    golden_id: Mapped[int] = mapped_column(ForeignKey("golden_records.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ReviewPair(Base):
    """A pair in the uncertain band, for clerical review. Never proposed twice (unique)."""

    __tablename__ = "review_pairs"
    __reach__ = Reach(kind="review_pair", division="division_code")

    id: Mapped[int] = mapped_column(primary_key=True)
    left_source_id: Mapped[int] = mapped_column(ForeignKey("source_records.id"))
    right_source_id: Mapped[int] = mapped_column(ForeignKey("source_records.id"))
    weight: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|match|non_match
    division_code: Mapped[str] = mapped_column(String(12))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("left_source_id", "right_source_id", name="uq_review_pairs_left_right"),
        Index("ix_review_pairs_status_division", "status", "division_code"),
    )


class Conflict(Base):
    """A department's value that disagrees with the surviving one: theirs to correct."""

    __tablename__ = "exchange_conflicts"
    __reach__ = Reach(kind="conflict", division="division_code", department="department")

    id: Mapped[int] = mapped_column(primary_key=True)
    golden_id: Mapped[int] = mapped_column(ForeignKey("golden_records.id"), index=True)
    field: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[int] = mapped_column(ForeignKey("source_records.id"))
    authority_department: Mapped[str] = mapped_column(String(32))
    authority_source_id: Mapped[int] = mapped_column(ForeignKey("source_records.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    division_code: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (Index("ix_exchange_conflicts_status_dept", "status", "department",
                            "field"),)


class Subscription(Base):
    __tablename__ = "exchange_subscriptions"
    __reach__ = Reach(kind="subscription", department="department")

    id: Mapped[int] = mapped_column(primary_key=True)
    department: Mapped[str] = mapped_column(String(32))
    golden_id: Mapped[int] = mapped_column(ForeignKey("golden_records.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("department", "golden_id",
                                       name="uq_exchange_subscriptions_department_golden"),)


class DataRequest(Base):
    """A department's request for a dataset for a stated purpose; a steward decides."""

    __tablename__ = "data_requests"
    __reach__ = Reach(kind="data_request", division="division_code",
                      department="department")

    id: Mapped[int] = mapped_column(primary_key=True)
    department: Mapped[str] = mapped_column(String(32))
    dataset: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(String(500))
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|approved|rejected
    requested_by: Mapped[str] = mapped_column(String(64))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    expires_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class DataDelivery(Base):
    __tablename__ = "data_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("data_requests.id"), index=True)
    records: Mapped[int] = mapped_column(Integer)
    delivered_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
