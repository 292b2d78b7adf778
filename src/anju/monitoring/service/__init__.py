"""Monitoring's use cases: released tables (stock, flows, origin–destination, moves), what
was derived from them (forecasts, KPIs, warnings, the dashboard), exports, the county's
settings, mobile-network counts and differential-privacy releases. Aggregates only: no use case
here returns or takes a person."""
from __future__ import annotations

from anju.monitoring.service.admin import (
    MobileRefused,
    dp_ledger,
    dp_release,
    expire_mobile,
    import_mobile,
    list_builds,
    read_settings,
    update_settings,
)
from anju.monitoring.service.common import current_build
from anju.monitoring.service.derived import dashboard, forecast, kpis, warnings
from anju.monitoring.service.exports import ExportFile
from anju.monitoring.service.tables import flows, moves, od, stock

__all__ = ["ExportFile", "MobileRefused", "current_build", "dashboard", "dp_ledger",
           "dp_release", "expire_mobile", "flows", "forecast", "import_mobile", "kpis",
           "list_builds", "moves", "od", "read_settings", "stock", "update_settings",
           "warnings"]
