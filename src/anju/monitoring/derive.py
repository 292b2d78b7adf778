"""What a build derives from its released figures — forecasts with their backtest, KPIs with
their definitions, the warning list — stored as artifacts per division. Everything here reads
released values only (a withheld input makes the output "not available"), so nothing derived can
tell more than the released tables do. Warnings are about places and numbers, never a person.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from anju.core.db import Database
from anju.core.models import Account
from anju.monitoring import forecast as fc
from anju.monitoring import plan, rules
from anju.monitoring.models import MonitoringSettings, StatsArtifact
from anju.monitoring.release import Released
from anju.monitoring.rules import COUNTY, TOWNSHIP, VILLAGE, Dim

HORIZON = 12
DEFAULTS = {"growth_warning_pct": 30.0, "grid_load_max": 2000, "anomaly_level": 0.99,
            "mobile_retention_days": 90, "dp_budget": 4.0, "dp_epsilon": 1.0}


def settings_of(session, county: str) -> dict:
    row = session.get(MonitoringSettings, county[:6])
    if row is None:
        return dict(DEFAULTS)
    return {name: getattr(row, name) for name in DEFAULTS}


def _divisions(released: Released, ref: str, levels: tuple[int, ...]) -> list[str]:
    return sorted({k[2] for k in released.values if k[0] == "stock" and k[1] == ref
                   and k[3] == Dim.TOTAL.value and plan.level(k[2]) in levels})


def series(released: Released, division: str, ends: list[str]) -> list[int | None]:
    return [released.shown(("stock", e, division, Dim.TOTAL.value, "")) for e in ends]


def grid_workers(session, county: str) -> dict[str, int]:
    """Active grid-worker accounts per township (staff, not residents: not a protected count).
    Read from core's accounts table; no domain offers it."""
    rows = session.execute(select(Account.division_code, func.count()).where(
        Account.role == "grid_worker", Account.active.is_(True),
        Account.division_code.like(county[:6] + "%")).group_by(Account.division_code)).all()
    out: dict[str, int] = {}
    for code, n in rows:
        if plan.level(code) >= TOWNSHIP:
            township = rules.up(code, TOWNSHIP)
            out[township] = out.get(township, 0) + n
    return out


def _median(histogram: dict[int, int], n: int) -> int | None:
    middle, seen = (n + 1) // 2, 0
    for days, count in sorted(histogram.items()):
        seen += count
        if seen >= middle:
            return days
    return None


def _share(released: Released, ref: str, division: str, yes: str, no: str,
           table: str = "cases") -> dict:
    """A share from two released counts (case counts by default), with a Wilson interval."""
    a = released.shown(("kpi", ref, division, table, yes))
    b = released.shown(("kpi", ref, division, table, no))
    if a is None or b is None:
        return {"value": None, "unavailable": "withheld"}
    if not a + b:
        return {"value": None, "unavailable": "no_data"}
    low, high = rules.wilson(a, a + b)
    return {"value": a / (a + b), "lower": low, "upper": high, "n": a + b}


def kpis(released: Released, cycle: dict, as_of: date, division: str,
         workers: dict[str, int], mobile_day: str | None,
         case_days: dict | None = None) -> dict:
    ref = as_of.isoformat()

    def shown(*key):
        return released.shown(key)

    total = shown("stock", ref, division, "total", "")
    out: dict[str, dict] = {}
    confirmed = shown("kpi", ref, division, "accuracy", "confirmed")
    unconfirmed = shown("kpi", ref, division, "accuracy", "unconfirmed")
    if confirmed is not None and unconfirmed is not None and confirmed + unconfirmed:
        low, high = rules.wilson(confirmed, confirmed + unconfirmed)
        out["accuracy"] = {"value": confirmed / (confirmed + unconfirmed), "lower": low,
                           "upper": high, "n": confirmed + unconfirmed}
    evidence = shown("kpi", ref, division, "evidence", "keys")
    estimates = {}
    if evidence is not None and total:
        low, high = rules.wilson(evidence, total + evidence)
        estimates["locks"] = {"value": evidence / (total + evidence), "lower": low,
                              "upper": high}
    host = rules.up(division, rules.PROVINCE)
    if mobile_day and total is not None:
        local = shown("stock", ref, division, Dim.ORIGIN_PROVINCE.value, host)
        unknown = shown("stock", ref, division, Dim.ORIGIN_PROVINCE.value, rules.UNKNOWN)
        counted = shown("mobile", mobile_day, division, "total", "")
        local_mobile = shown("mobile", mobile_day, division, "origin", host)
        if None not in (local, unknown, counted, local_mobile) and counted - local_mobile > 0:
            registered = total - local - unknown
            present = counted - local_mobile
            estimates["mobile"] = {"value": max(0.0, (present - registered) / present),
                                   "registered": registered, "counted": present}
    if estimates:
        out["under_registration"] = estimates
    n = shown("kpi", ref, division, "cycle", "n")
    histogram = cycle.get(division)
    if n and histogram:
        ordered = sorted(histogram.items())
        middle, seen = (n + 1) // 2, 0
        for days, count in ordered:
            seen += count
            if seen >= middle:
                out["update_cycle"] = {"value": days, "n": n}
                break
    with_permit = shown("stock", ref, division, Dim.PERMIT.value, "with")
    if with_permit is not None and total:
        out["permit_coverage"] = {"value": with_permit / total, "n": total}
    if plan.level(division) == TOWNSHIP and total is not None:
        staff = workers.get(division, 0)
        out["grid_load"] = {"value": (total / staff) if staff else None, "workers": staff,
                            "residents": total}
    elif plan.level(division) == COUNTY and total is not None:
        staff = sum(workers.values())
        out["grid_load"] = {"value": (total / staff) if staff else None, "workers": staff,
                            "residents": total}
    # the cases domain (anju.cases.export), from released counts only
    out["on_time"] = _share(released, ref, division, "on_time", "late")
    out["satisfaction"] = _share(released, ref, division, "satisfied", "unsatisfied")
    timed = shown("kpi", ref, division, "cases", "timed")
    histogram = (case_days or {}).get(division)
    if timed and histogram:
        out["handling_time"] = {"value": _median(histogram, timed), "n": timed}
    else:
        out["handling_time"] = {"value": None,
                                "unavailable": "withheld" if timed is None else "no_data"}
    # eligibilities notified, from the cases domain's eligibility counts (released)
    out["notified"] = _share(released, ref, division, "notified", "not_notified", "notices")
    return out


def all(db: Database, build_id: int, planner: plan.Planner, released: Released,
        cycle: dict, as_of: date, county: str) -> None:
    ends = [e.isoformat() for e in rules.month_ends(as_of)]
    months = [rules.month_label(date.fromisoformat(e)) for e in ends]
    ref = as_of.isoformat()
    with db.unit_of_work() as session:
        config = settings_of(session, county)
        workers = grid_workers(session, county)
    mobile_days = sorted({k[1] for k in released.values if k[0] == "mobile"})
    artifacts = []
    places = _divisions(released, ref, (COUNTY, TOWNSHIP))
    warnings: list[dict] = []
    for division in places:
        values = series(released, division, ends)
        payload: dict = {"months": months, "values": values}
        if None in values:
            payload["unavailable"] = "withheld_months"
        else:
            made = fc.forecast(months, [float(v) for v in values], HORIZON)
            payload["forecast"] = made and {"months": made.months, "mean": made.mean,
                                            "lower": made.lower, "upper": made.upper,
                                            "level": made.level, "model": made.model}
            payload["backtest"], odd = fc.backtest(
                [float(v) for v in values], 12 if plan.level(division) == COUNTY else 6,
                config["anomaly_level"])
            if odd:
                warnings.append({"kind": "anomaly", "division": division, "month": months[-1],
                                 "value": odd[0], "lower": round(odd[1], 1),
                                 "upper": round(odd[2], 1), "level": config["anomaly_level"]})
        artifacts.append(("forecast", division, payload))
        artifacts.append(("kpis", division, kpis(released, cycle, as_of, division, workers,
                                                  mobile_days[-1] if mobile_days else None,
                                                  planner.case_days)))
        load = artifacts[-1][2].get("grid_load", {})
        if plan.level(division) == TOWNSHIP and load:
            if load.get("workers") == 0 and load.get("residents"):
                warnings.append({"kind": "no_grid_worker", "division": division,
                                 "residents": load["residents"]})
            elif load.get("value") and load["value"] > config["grid_load_max"]:
                warnings.append({"kind": "grid_load", "division": division,
                                 "value": round(load["value"]),
                                 "threshold": config["grid_load_max"]})
    for village in _divisions(released, ends[-1], (VILLAGE,)):
        before, after = series(released, village, ends[-2:])
        growth = rules.growth_warning(before, after, config["growth_warning_pct"])
        if growth is not None:
            warnings.append({"kind": "growth", "division": village, "month": months[-1],
                             "before": before, "after": after, "value": round(growth, 1),
                             "threshold": config["growth_warning_pct"]})
    artifacts.append(("warnings", county, warnings))
    with db.unit_of_work() as session:
        session.add_all(StatsArtifact(build_id=build_id, kind=kind, division=division,
                                      payload=payload) for kind, division, payload in artifacts)
