"""Value types every API shares: bounded integers for ids and cursors, timestamps with their zone.

Use them for path, query and body fields alike (`def read(x_id: RecordId, …)`); a bound
declared once keeps an id past the database's integer range a 422, never a 500 from the driver,
and the OpenAPI schema says so. A route contract test fails on an integer parameter without a
maximum.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import annotated_types as at
from pydantic import AfterValidator

INT32_MAX = 2**31 - 1  # primary keys: INTEGER on both backends
INT62_MAX = 2**62  # cursors over BIGINT sequences, with room to spare

RecordId = Annotated[int, at.Ge(1), at.Le(INT32_MAX)]
Cursor = Annotated[int, at.Ge(0), at.Le(INT62_MAX)]


def _utc(value: datetime) -> datetime:
    # The database stores naive UTC (`core.db.utcnow`); say so on the way out.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Timestamp = Annotated[datetime, AfterValidator(_utc)]
"""A moment in time, serialised as UTC with its offset (`2026-03-01T08:00:00Z`)."""
