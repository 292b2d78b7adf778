"""The permission matrix of monitoring at the service layer, on the built demo county: every
role × use case × inside / outside its jurisdiction. Same conventions as
tests/registry/test_permissions.py: "ok"; "empty" — allowed, but nothing of the table lies within
reach; "403" — the role may never; "404" — the area asked for is outside reach, so it looks
missing. Every "ok" answer's records carry exactly the listed fields — aggregates, never a person:
no field of a person's record (name, ID number, person code, …) ever appears. Written out by
hand: it is the specification.

Inside: leaders and analysts hold the county, police, grid workers and department officers the
township 雉城街道; outside: another county. Reading released aggregates is not audited (no person
is read); exports, settings, imports and privacy releases are."""
from __future__ import annotations

from datetime import timedelta

import pytest

from anju.core import clock, divisions
from anju.core.identity import SYSTEM
from anju.core.policy import FIELDS as PERSON_FIELDS
from anju.core.policy import Actor, Role
from anju.monitoring import service
from anju.monitoring.schemas import SettingsIn
from anju.monitoring.service.exports import ExportFile
from tests.factories import COUNTY, OTHER_COUNTY, TOWNSHIP
from tests.support.matrix import mismatches

ROLES = ["resident", "landlord", "grid_worker", "police", "dept_officer", "data_steward",
         "analyst", "leader", "auditor", "admin", "system"]
NO = "403/403"
# op: (resident, landlord, grid_worker, police, dept_officer, data_steward, analyst, leader,
#      auditor, admin, system)
MATRIX = {
    "stock":          (NO, NO, "ok/empty", "ok/empty", "ok/empty", NO, "ok/empty", "ok/empty",
                       NO, NO, NO),
    # villages of 雉城街道: inside everyone's reach, outside no one's
    "stock.township": (NO, NO, "ok/404", "ok/404", "ok/404", NO, "ok/404", "ok/404", NO, NO, NO),
    "flows":          (NO, NO, "ok/empty", "ok/empty", "ok/empty", NO, "ok/empty", "ok/empty",
                       NO, NO, NO),
    "od":             (NO, NO, "ok/empty", "ok/empty", "ok/empty", NO, "ok/empty", "ok/empty",
                       NO, NO, NO),
    "moves":          (NO, NO, "ok/empty", "ok/empty", "ok/empty", NO, "ok/empty", "ok/empty",
                       NO, NO, NO),
    # the county's forecast: a township's officers do not reach the whole county
    "forecast":       (NO, NO, "404/404", "404/404", "404/404", NO, "ok/404", "ok/404", NO, NO,
                       NO),
    "kpis.township":  (NO, NO, "ok/404", "ok/404", "ok/404", NO, "ok/404", "ok/404", NO, NO, NO),
    "dashboard":      (NO, NO, "ok/ok", "ok/ok", "ok/ok", NO, "ok/ok", "ok/ok", NO, NO, NO),
    "export.csv":     (NO, NO, "ok/ok", "ok/ok", "ok/ok", NO, "ok/ok", "ok/ok", NO, NO, NO),
    "settings.read":  (NO, NO, "ok/ok", "ok/ok", "ok/ok", NO, "ok/ok", "ok/ok", NO, NO, NO),
    "settings.update": (NO, NO, NO, NO, NO, NO, NO, "ok/ok", NO, "ok/ok", "ok/ok"),
    "mobile.import":  (NO, NO, NO, NO, NO, "ok/ok", NO, NO, NO, "ok/ok", "ok/ok"),
    "dp.release":     (NO, NO, NO, NO, NO, NO, "ok/empty", "ok/empty", NO, NO, NO),
}
UNAUDITED = {"stock", "stock.township", "flows", "od", "moves", "forecast", "kpis.township",
             "dashboard", "settings.read"}

CELL = frozenset({"division_code", "division_name", "key", "count", "suppressed"})
FIELDS = {
    "stock": CELL, "stock.township": CELL,
    "flows": frozenset({"period", "division_code", "division_name", "arrivals", "departures"}),
    "od": frozenset({"month", "origin_code", "origin_name", "division_code", "division_name",
                     "count"}),
    "moves": frozenset({"from_code", "from_name", "to_code", "to_name", "count"}),
    "forecast": frozenset({"month", "value", "lower", "upper"}),
    "kpis.township": frozenset({"name", "label_zh", "label_en", "definition_zh",
                                "definition_en", "target", "value", "lower", "upper", "n",
                                "available", "reason_zh", "reason_en"}),
    "dashboard": frozenset({"code", "name", "count"}),
    "dp.release": frozenset({"division_code", "division_name", "key", "count"}),
}


def _dump(record) -> dict:
    return record.model_dump() if hasattr(record, "model_dump") else dict(record)


def _records(op: str, result) -> list:
    """The records an answer is made of, every field kept (a null one too)."""
    match op:
        case "stock" | "stock.township" | "dp.release":
            return [_dump(c) for c in result.cells]
        case "flows" | "od":
            return [_dump(r) for r in result.rows]
        case "moves":
            return result["matrix"]
        case "forecast":
            return [_dump(p) for p in result.points + result.history]
        case "kpis.township":
            return [_dump(k) for k in result.kpis]
        case "dashboard":
            return result["children"] + result["origins"]
    return []


def _is_empty(result) -> bool:
    if isinstance(result, list):
        return result == []
    for name in ("cells", "rows"):
        if hasattr(result, name):
            return getattr(result, name) == []
    if isinstance(result, dict) and "matrix" in result:
        return not (result["matrix"] or result["townships"] or result["frequency"])
    return False


class Setup:
    def __init__(self, db):
        self.db = db
        self.today = clock.today()

    def actor(self, role: str, inside: bool) -> Actor:
        if role == "system":  # the console and the jobs (no account holds it)
            return SYSTEM
        if role in ("analyst", "leader"):
            division = COUNTY if inside else OTHER_COUNTY
        else:
            division = TOWNSHIP if inside else OTHER_COUNTY
        return Actor(None, f"t-{role}-{inside}", Role(role), divisions.canonical(division),
                     department="gongan" if role == "dept_officer" else None)

    def call(self, op: str, session, actor: Actor, inside: bool):
        match op:
            case "stock":
                return service.stock(session, actor, "township")
            case "stock.township":
                return service.stock(session, actor, "village", division=TOWNSHIP)
            case "flows":
                return service.flows(session, actor, "township", "month")
            case "od":
                return service.od(session, actor, "province", "township")
            case "moves":
                return service.moves(session, actor)
            case "forecast":
                return service.forecast(session, actor, COUNTY)
            case "kpis.township":
                return service.kpis(session, actor, TOWNSHIP)
            case "dashboard":
                return service.dashboard(session, actor)
            case "export.csv":
                return service.stock(session, actor, "township", fmt="csv", encoding="gbk")
            case "settings.read":
                return service.read_settings(session, actor)
            case "settings.update":
                return service.update_settings(session, actor, SettingsIn(
                    growth_warning_pct=25, grid_load_max=1500, anomaly_level=0.99,
                    mobile_retention_days=60, dp_budget=5, dp_epsilon=0.5))
            case "mobile.import":
                day = (self.today - timedelta(days=2)).isoformat()
                body = f"day,township,origin_province,count\n{day},{TOWNSHIP},340000,120\n"
                return service.import_mobile(session, actor, "中国移动", "counts.csv",
                                             body.encode())
            case "dp.release":
                return service.dp_release(session, actor, None, "township", "sex")
        raise AssertionError(op)


@pytest.fixture(scope="module")
def setup(county):
    return Setup(county[0])


@pytest.mark.parametrize("role", ROLES)
def test_monitoring_matrix(setup, county_data, role):
    problems = mismatches(
        setup.db, MATRIX, ROLES, role, setup.actor, setup.call, unaudited=UNAUDITED,
        is_empty=_is_empty, fields=lambda op, r, inside: FIELDS.get(op), records=_records)
    assert problems == []


def test_no_answer_carries_a_field_of_a_persons_record():
    # a division is a place; "name" here is a division's or a KPI's, never a person's
    person = set(PERSON_FIELDS) - {"division_code", "name"}
    for op, fields in FIELDS.items():
        assert not fields & person, op


def test_a_township_officer_sees_only_the_cells_of_their_township(setup, county_data):
    db, _ = county_data
    police = setup.actor("police", True)
    leader = setup.actor("leader", True)
    with db.unit_of_work() as session:
        theirs = service.stock(session, police, "village")
        everyone = service.stock(session, leader, "village")
        export = service.stock(session, police, "village", fmt="csv")
    prefix = divisions.significant_prefix(divisions.canonical(TOWNSHIP))
    assert theirs.cells and all(c.division_code.startswith(prefix) for c in theirs.cells)
    assert len(everyone.cells) > len(theirs.cells)
    assert {(c.division_code, c.count) for c in theirs.cells} <= \
        {(c.division_code, c.count) for c in everyone.cells}
    assert isinstance(export, ExportFile)
    text = export.content.decode("utf-8-sig")
    assert len(text.strip().splitlines()) == len(theirs.cells) + 1
