"""Monitoring: stock and flows of the floating population over the five administrative levels,
origin–destination, one map of the county, forecasts and warnings, KPIs computed from the data —
aggregates only, released through one function that protects small groups (docs/monitoring.md)."""
from __future__ import annotations

from anju.core.domain import Domain

DOMAIN = Domain(
    name="monitoring",
    policy="anju.monitoring.policy",
    models="anju.monitoring.models",
)
