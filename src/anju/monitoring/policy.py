"""Monitoring's part of the policy. Everyone here sees released aggregates only, never a person:
leaders and analysts those of their jurisdiction (the county, by default), police, grid workers
and department officers those of theirs (`Scope.AGGREGATE`, checked against the division asked
for). Builds — and the registry's and housing's statistics exports they read — run as the
platform itself (the nightly job, the console)."""
from __future__ import annotations

from anju.cases.export import EXPORT as CASES_EXPORT
from anju.core.policy import Action, Role, Scope
from anju.housing.export import EXPORT as HOUSING_EXPORT
from anju.registry.export import EXPORT as REGISTRY_EXPORT
from anju.registry.export import STATISTICS

A, G = Scope.AGGREGATE, Scope.GLOBAL

STATS_READ = Action("stats.read", "查看统计汇总", "Viewed statistics")
STATS_EXPORT = Action("stats.export", "导出统计表", "Exported a statistics table")
STATS_BUILD = Action("stats.build", "生成统计快照与汇总", "Built statistics")
STATS_SETTINGS = Action("stats.settings", "设置监测预警阈值", "Changed monitoring settings")
MOBILE_IMPORT = Action("stats.mobile_import", "导入手机信令汇总数",
                       "Imported mobile-network counts")
DP_RELEASE = Action("stats.dp_release", "以差分隐私方式发布统计表",
                    "Released a table with differential privacy")
ACTIONS = (REGISTRY_EXPORT, HOUSING_EXPORT, CASES_EXPORT, STATS_READ, STATS_EXPORT, STATS_BUILD,
           STATS_SETTINGS, MOBILE_IMPORT, DP_RELEASE)
PURPOSES = (STATISTICS,)

_READER = {STATS_READ: (A,), STATS_EXPORT: (A,)}
RULES = {
    Role.LEADER: {**_READER, DP_RELEASE: (A,), STATS_SETTINGS: (G,)},
    Role.ANALYST: {**_READER, DP_RELEASE: (A,)},
    Role.POLICE: dict(_READER),
    Role.GRID_WORKER: dict(_READER),
    Role.DEPT_OFFICER: dict(_READER),
    Role.DATA_STEWARD: {MOBILE_IMPORT: (G,)},
    Role.ADMIN: {STATS_SETTINGS: (G,), MOBILE_IMPORT: (G,)},
    Role.SYSTEM: {REGISTRY_EXPORT: (G,), HOUSING_EXPORT: (G,), CASES_EXPORT: (G,), STATS_BUILD: (G,),
                  MOBILE_IMPORT: (G,), STATS_SETTINGS: (G,)},
}
