"""Monitoring tables: builds and their released cells (only what the release function let out —
the snapshot itself stays as Parquet in the data directory and is deleted after the build), the
values ever published (the revision rule), forecasts and warnings, the county's settings, the
imported mobile-network counts and the differential-privacy budget ledger. Nothing here names a
person."""
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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, utcnow


class StatsBuild(Base):
    """One build: a snapshot exported, aggregated and released. The latest finished build is
    the one every page, API call and export answers from."""

    __tablename__ = "stats_builds"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    engine: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | done | failed
    step: Mapped[str | None] = mapped_column(String(200))  # progress, in words
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    started_by: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict | None] = mapped_column(JSON)  # counts, timings, suppression
    failure: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_stats_builds_status", "status", "id"),)


class StatsTable(Base):
    """A published table: (table, ref, level, dim). A query for anything else is not found."""

    __tablename__ = "stats_tables"

    id: Mapped[int] = mapped_column(primary_key=True)
    build_id: Mapped[int] = mapped_column(ForeignKey("stats_builds.id"))
    table: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(16))  # a date, a period label, "12m"
    level: Mapped[int] = mapped_column(Integer)
    dim: Mapped[str] = mapped_column(String(24))

    __table_args__ = (Index("ix_stats_tables_lookup", "build_id", "table", "dim", "ref"),)


class StatsCell(Base):
    """One released figure; `count` is None where the release function withheld it."""

    __tablename__ = "stats_cells"

    id: Mapped[int] = mapped_column(primary_key=True)
    build_id: Mapped[int] = mapped_column(ForeignKey("stats_builds.id"))
    table: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer)
    division: Mapped[str] = mapped_column(String(16))
    dim: Mapped[str] = mapped_column(String(24))
    key: Mapped[str] = mapped_column(String(16))
    count: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_stats_cells_lookup", "build_id", "table", "ref", "level", "dim"),)


class StatsPublished(Base):
    """Every value a build has published for a cell (the key as text): a later build that
    would show a value 1–15 away from one of them withholds the cell instead."""

    __tablename__ = "stats_published"

    id: Mapped[int] = mapped_column(primary_key=True)
    cell: Mapped[str] = mapped_column(String(96))
    value: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("cell", "value", name="uq_stats_published_cell_value"),)


class StatsArtifact(Base):
    """What a build derived from released figures: a forecast with its backtest, the warning
    list, KPI values — per division."""

    __tablename__ = "stats_artifacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    build_id: Mapped[int] = mapped_column(ForeignKey("stats_builds.id"))
    kind: Mapped[str] = mapped_column(String(16))  # forecast | warnings | kpis | od_lines
    division: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict | list] = mapped_column(JSON)

    __table_args__ = (Index("ix_stats_artifacts_lookup", "build_id", "kind", "division"),)


class MonitoringSettings(Base):
    """The county's monitoring settings; defaults in anju.monitoring.service.settings."""

    __tablename__ = "monitoring_settings"

    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    growth_warning_pct: Mapped[float] = mapped_column(Float)
    grid_load_max: Mapped[int] = mapped_column(Integer)
    anomaly_level: Mapped[float] = mapped_column(Float)
    mobile_retention_days: Mapped[int] = mapped_column(Integer)
    dp_budget: Mapped[float] = mapped_column(Float)
    dp_epsilon: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64))


class MobileImport(Base):
    """One operator file of aggregate counts (no person, no phone number)."""

    __tablename__ = "mobile_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    operator: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(64))


class MobileCount(Base):
    """Residents an operator counted in one township on one day, by origin province."""

    __tablename__ = "mobile_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("mobile_imports.id"), index=True)
    operator: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    division: Mapped[str] = mapped_column(String(12))
    origin: Mapped[str] = mapped_column(String(12))
    count: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("operator", "day", "division", "origin", name="uq_mobile_counts_cell"),
        Index("ix_mobile_counts_day", "day"),
    )


class DpRelease(Base):
    """The differential-privacy ledger: one table released with noise, its ε and accuracy."""

    __tablename__ = "dp_releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    build_id: Mapped[int] = mapped_column(ForeignKey("stats_builds.id"))
    table: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer)
    dim: Mapped[str] = mapped_column(String(24))
    epsilon: Mapped[float] = mapped_column(Float)
    scale: Mapped[float] = mapped_column(Float)
    accuracy: Mapped[int] = mapped_column(Integer)  # ± this, 95% of the time
    cells: Mapped[list] = mapped_column(JSON)
    released_by: Mapped[str] = mapped_column(String(64))
    released_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (UniqueConstraint("build_id", "table", "ref", "level", "dim",
                                       name="uq_dp_releases_table"),)
