"""Monitoring: stock and flows of the floating population over the five administrative levels,
origin–destination, one map of the county, forecasts and warnings, KPIs computed from the data —
aggregates only, released through one function that protects small groups (docs/monitoring.md).

It reads the other domains only through their read-only statistics exports
(`anju.registry.export`, `anju.housing.export`) and writes only its own tables."""
from __future__ import annotations

from anju.core.domain import Domain, Job

DOMAIN = Domain(
    name="monitoring",
    policy="anju.monitoring.policy",
    models="anju.monitoring.models",
    api="anju.monitoring.api:router",
    pages="anju.monitoring.pages",
    words="anju.monitoring.words:WORDS",
    cli=(("stats", "anju.monitoring.cli:app"),),
    jobs=(Job("monitoring.nightly", "anju.monitoring.jobs:nightly", "daily 03:00",
              "删除超过保留期的信令汇总数，并按昨日数据生成统计快照、汇总与发布",
              "delete mobile-network counts past retention, then build the snapshot, aggregates "
              "and release as of yesterday"),),
)
