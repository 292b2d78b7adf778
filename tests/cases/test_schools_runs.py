"""A year's allocation over the school-enrollment cases: the seed published first, the run
stored with its inputs so anyone reproduces it, each parent's explanation, and an appeal that
opens a case; only the education department runs it."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from anju.cases.models import Case, SchoolPlacement
from anju.cases.points import service as points
from anju.cases.schools import service
from anju.cases.schools.allocate import Applicant, allocate
from anju.core import clock
from anju.core.errors import Conflict, NotFound
from tests.factories import make_account, make_person, valid_id

VILLAGES = ["330522001001", "330522001002", "330522001006", "330522101003"]


@pytest.fixture
def year(world):
    clock.pin_today(date(2026, 8, 20))
    jiaoyu = make_account(world.db, "dept_officer", department="jiaoyu")
    renshe = make_account(world.db, "dept_officer", department="renshe")
    cases = []
    for i in range(14):
        parent = make_person(world.db, world.police, f"家长{i}", id_number=valid_id())
        child = make_person(world.db, world.police, f"孩子{i}",
                            id_number=valid_id("341221", date(2020, 3, 1 + i)))
        with world.db.unit_of_work() as s:
            points.record_evidence(s, renshe, parent, "insurance_years", i % 5, "exchange:renshe",
                                   date(2026, 1, 1))
            case = Case(service_code="school_enrollment", person_code=child,
                        division_code=VILLAGES[i % 4], department="jiaoyu", status="submitted",
                        channel="online", opened_by="x", form={"parent_person_code": parent},
                        submitted_at=datetime(2026, 6, 1))
            s.add(case)
            s.flush()
            cases.append(case.id)
    world.extra.update(jiaoyu=jiaoyu, renshe=renshe, cases=cases)
    return world


def test_the_run_needs_a_published_seed_and_is_reproducible(year):
    jiaoyu = year.extra["jiaoyu"]
    with year.db.unit_of_work() as s, pytest.raises(Conflict):
        service.run_year(s, jiaoyu, 2026)
    with year.db.unit_of_work() as s, pytest.raises(NotFound):  # not the education department
        service.publish_seed(s, year.extra["renshe"], 2026, 20260601)
    with year.db.unit_of_work() as s:
        service.publish_seed(s, jiaoyu, 2026, 20260601)
    with year.db.unit_of_work() as s, pytest.raises(Conflict):  # published once
        service.publish_seed(s, jiaoyu, 2026, 1)
    with year.db.unit_of_work() as s:
        run = service.run_year(s, jiaoyu, 2026)
    assert run["status"] == "allocated" and len(run["inputs"]) == 14
    with year.db.unit_of_work() as s:
        stored = {str(p.case_id): (p.school_id, p.round, p.rank) for p in
                  s.execute(select(SchoolPlacement)).scalars()}
    capacities = {x["school_id"]: x["capacity"] for x in service.public_schools()}
    assert sum(capacities.values()) == 10
    assert sum(1 for v in stored.values() if v[1] == "unplaced") == 4  # 14 children, 10 seats
    for school_id, capacity in capacities.items():
        assert sum(1 for v in stored.values() if v[0] == school_id) == capacity
    # anyone re-runs it from the published inputs and seed
    applicants = [Applicant(r["applicant_id"], r["home_division_code"], r["lat"], r["lon"],
                            r["points"], date.fromisoformat(r["residence_since"]))
                  for r in run["inputs"]]
    _, schools, _, _ = service.county()
    again = {p.applicant_id: (p.school_id, p.round, p.rank)
             for p in allocate(schools, applicants, run["seed"])}
    assert again == stored
    with year.db.unit_of_work() as s, pytest.raises(Conflict):
        service.run_year(s, jiaoyu, 2026)


def test_a_parent_sees_the_explanation_and_may_appeal(year):
    jiaoyu = year.extra["jiaoyu"]
    with year.db.unit_of_work() as s:
        service.publish_seed(s, jiaoyu, 2026, 7)
    with year.db.unit_of_work() as s:
        service.run_year(s, jiaoyu, 2026)
    case_id = year.extra["cases"][0]
    with year.db.unit_of_work() as s:
        child = s.get(Case, case_id).person_code
    resident = make_account(year.db, "resident", person_code=child)
    with year.db.unit_of_work() as s:
        seen = service.placement(s, resident, case_id)
    assert seen["round"] in ("catchment", "nearest", "unplaced") and seen["seed"] == 7
    assert seen["catchment_school_id"] == "zc1"  # 钮店湾社区 lies in 雉城一小's catchment
    assert seen["catchment_school"]["zh"] == "长兴县雉城第一小学"
    with year.db.unit_of_work() as s, pytest.raises(NotFound):  # someone else's child
        service.placement(s, year.resident, case_id)
    with year.db.unit_of_work() as s:
        opened = service.appeal(s, resident, case_id, "我家离一小更近")
    with year.db.unit_of_work() as s:
        case = s.get(Case, opened["case_id"])
        assert (case.service_code, case.department) == ("school_placement_appeal", "jiaoyu")
