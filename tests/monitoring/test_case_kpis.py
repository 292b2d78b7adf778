"""KPIs from the cases domain: its statistics export carries no identity, and handling time,
on-time rate, satisfaction and the share of eligible people notified are computed from released
counts only — a township with too few cases (or eligible people) says "withheld", never a figure
about a handful of people."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pyarrow as pa
from sqlalchemy import func, insert, select

from anju.cases import eligibility, export
from anju.cases.models import Case, EligibilityFacts, EligibilityNotice, Rating
from anju.core import workdays
from anju.core.identity import SYSTEM, job_actor
from anju.core.models import AuditRecord
from anju.monitoring import derive, plan
from anju.monitoring.aggregates import CASES, NOTICES, Aggregates
from tests.factories import TOWNSHIP, make_account, make_person

AS_OF = date(2026, 11, 30)
BIG, MID, SMALL = "330522001000", "330522002000", "330522101000"


def test_the_cases_export_carries_no_identity_and_counts_working_days(db):
    police = make_account(db, "police")
    person = make_person(db, police)
    accepted = date(2026, 9, 1)
    with db.unit_of_work() as s:
        for i, (status, decided, due, score) in enumerate([
                ("approved", date(2026, 9, 15), date(2026, 9, 30), 5),
                ("rejected", date(2026, 10, 20), date(2026, 9, 30), 2),
                ("in_progress", None, date(2026, 12, 1), None),
                ("approved", date(2026, 9, 10), None, None)]):
            case = Case(service_code="residence_permit", person_code=person,
                        division_code=TOWNSHIP, department="gongan", status=status,
                        channel="online", opened_by="t", form={}, accepted_on=accepted,
                        due_date=due, paused_working_days=2 if i == 1 else 0,
                        decided_at=datetime.combine(decided, datetime.min.time())
                        + timedelta(hours=3) if decided else None)
            s.add(case)
            s.flush()
            if score:
                s.add(Rating(case_id=case.id, person_code=person, service_code="x",
                             department="gongan", score=score))
    with db.unit_of_work() as s:
        before = s.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
        table = export.statistics_snapshot(s, job_actor("monitoring.nightly"),
                                           date(2026, 1, 1))["cases"]
        after = s.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
    assert after - before == 1  # one entry for the whole export
    assert table.schema.names == ["division", "decided", "working_days", "on_time", "satisfied"]
    rows = sorted(table.to_pylist(), key=lambda r: r["decided"])
    assert [r["decided"] for r in rows] == [date(2026, 9, 10), date(2026, 9, 15),
                                            date(2026, 10, 20)]  # decided ones only
    assert rows[1]["working_days"] == workdays.working_days_between(accepted, date(2026, 9, 15))
    assert rows[2]["working_days"] == workdays.working_days_between(
        accepted, date(2026, 10, 20)) - 2  # the clock stood still for a supplement
    assert [r["on_time"] for r in rows] == [None, True, False]
    assert [r["satisfied"] for r in rows] == [None, True, False]
    assert {r["division"] for r in rows} == {TOWNSHIP}
    assert "person_code" not in table.schema.names


def _cases(rows: list[tuple[str, int | None, bool | None, bool | None, int]]) -> pa.Table:
    return pa.table(list(zip(*rows, strict=True)), schema=CASES)


def test_case_kpis_come_from_released_counts_only():
    # one township with 100 cases, one with 75, one with 3
    rows = [(BIG, 5, True, True, 60), (BIG, 9, True, None, 20), (BIG, 30, False, False, 20),
            (MID, 6, True, True, 50), (MID, 7, False, False, 25), (SMALL, 4, True, True, 3)]
    planner = plan.Planner(AS_OF)
    planner.cases(_cases(rows))
    released = planner.release.run()
    county = "330522000000"

    def kpis(division):
        return derive.kpis(released, {}, AS_OF, division, {}, None, planner.case_days)

    big = kpis(BIG)
    assert big["on_time"]["value"] == 0.8 and big["on_time"]["n"] == 100
    assert big["on_time"]["lower"] < 0.8 < big["on_time"]["upper"]
    assert big["satisfaction"]["value"] == 0.75
    assert big["handling_time"] == {"value": 5, "n": 100}  # median working days
    small = kpis(SMALL)
    for name in ("on_time", "satisfaction", "handling_time"):
        assert small[name]["value"] is None and small[name]["unavailable"] == "withheld"
    # the small township cannot be had by subtraction from the county and the others
    for key in ("on_time", "satisfied", "timed"):
        shown = [released.shown(("kpi", AS_OF.isoformat(), code, "cases", key))
                 for code in (county, BIG, MID, SMALL)]
        assert shown[3] is None and None in shown[:3], key
    whole = kpis(county)
    assert whole["notified"] == {"value": None, "unavailable": "no_data"}  # no eligibility run


def test_no_cases_means_no_data_not_zero():
    planner = plan.Planner(AS_OF)
    planner.cases(CASES.empty_table())
    released = planner.release.run()
    out = derive.kpis(released, {}, AS_OF, BIG, {}, None, planner.case_days)
    assert out["on_time"] == {"value": None, "unavailable": "no_data"}
    assert out["handling_time"] == {"value": None, "unavailable": "no_data"}


def test_system_may_export_cases_for_statistics_and_no_one_else(db):
    from anju.core.errors import Forbidden

    with db.unit_of_work() as s:
        assert export.statistics_snapshot(s, SYSTEM, AS_OF)["cases"].num_rows == 0
    leader = make_account(db, "leader")
    with db.unit_of_work() as s:
        try:
            export.statistics_snapshot(s, leader, AS_OF)
        except Forbidden:
            pass
        else:
            raise AssertionError("a leader read the cases export")


def test_the_cases_export_counts_eligible_and_notified_per_division_without_identities(db):
    from tests.cases.test_eligibility import random_facts

    facts = random_facts(random.Random(11), 60, AS_OF)
    for i, row in enumerate(facts):
        row["division_code"] = BIG[:9] + "001" if i % 3 else MID[:9] + "002"
    with db.unit_of_work() as s:
        s.execute(insert(EligibilityFacts), facts)
        truth = {}
        for n, rule in enumerate(eligibility.rules()):
            eligible = sorted(eligibility.eligible_python(s, rule))
            told = eligible[::2]  # every other eligible person was told of this service
            s.add_all(EligibilityNotice(person_code=code, service_code=rule.service,
                                        sent_on=AS_OF, reasons=[]) for code in told)
            s.add(EligibilityNotice(person_code=facts[n]["person_code"], service_code="other",
                                    sent_on=AS_OF, reasons=[]))  # no rule: not counted
            for code in eligible:
                place = next(f["division_code"] for f in facts if f["person_code"] == code)
                counts = truth.setdefault((place, rule.service), [0, 0])
                counts[0] += 1
                counts[1] += code in told
    with db.unit_of_work() as s:
        before = s.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
        table = export.statistics_snapshot(s, job_actor("monitoring.nightly"), AS_OF)["notices"]
        after = s.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
    assert after - before == 1
    assert table.schema == export.NOTICE_SCHEMA  # division, service and two counts: no person
    assert {(r["division"], r["service"]): [r["eligible"], r["notified"]]
            for r in table.to_pylist()} == truth
    assert any(n < e for e, n in truth.values()) and any(n for _, n in truth.values())


def test_notice_counts_follow_the_crosswalk(tmp_path):
    from anju.monitoring.build import GEO
    from anju.monitoring.engine import open_engine

    engine = open_engine("duckdb", tmp_path)
    try:
        old = MID[:9] + "003"  # a village renumbered under BIG's township
        engine.register("geo", pa.table({"code": [old], "current_code": [BIG[:9] + "901"]},
                                        schema=GEO))
        engine.register("notices", pa.table({
            "division": [BIG[:9] + "001", BIG[:9] + "001", old, MID[:9] + "002"],
            "service": ["a", "b", "a", "a"], "eligible": [10, 5, 4, 3],
            "notified": [7, 5, 0, 3]}, schema=export.NOTICE_SCHEMA))
        rows = Aggregates(engine, AS_OF).notices().to_pylist()
    finally:
        engine.close()
    assert sorted((r["division"], r["key"], r["n"]) for r in rows) == [
        (BIG[:9] + "001", "not_notified", 3), (BIG[:9] + "001", "notified", 12),
        (BIG[:9] + "901", "not_notified", 4), (MID[:9] + "002", "notified", 3)]


def test_the_share_notified_comes_from_released_counts_only():
    rows = [(BIG[:9] + "001", "notified", 90), (BIG[:9] + "001", "not_notified", 60),
            (MID[:9] + "002", "notified", 40), (MID[:9] + "002", "not_notified", 40),
            (SMALL[:9] + "003", "notified", 2), (SMALL[:9] + "003", "not_notified", 1)]
    planner = plan.Planner(AS_OF)
    planner.notices(pa.table(list(zip(*rows, strict=True)), schema=NOTICES))
    released = planner.release.run()
    county = "330522000000"

    def notified(division):
        return derive.kpis(released, {}, AS_OF, division, {}, None, {})["notified"]

    big = notified(BIG)
    assert big["value"] == 0.6 and big["n"] == 150 and big["lower"] < 0.6 < big["upper"]
    assert notified(SMALL) == {"value": None, "unavailable": "withheld"}
    for key in ("notified", "not_notified"):  # the small township is not county − the others
        shown = [released.shown(("kpi", AS_OF.isoformat(), code, "notices", key))
                 for code in (county, BIG, MID, SMALL)]
        assert shown[3] is None and None in shown[:3], key
    whole = notified(county)
    assert whole["value"] == 132 / 233 and whole["n"] == 233
