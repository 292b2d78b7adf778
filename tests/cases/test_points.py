"""Points: computed under the scheme in force on the date asked, from the facts of that date;
a scheme change never rewrites an old result; a veto; an appeal opens a case and reopening adds
a result; a scheme file with a bad rule is refused whole, naming the indicator."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from anju.cases.models import Case, PointsResult
from anju.cases.points import scheme, service
from anju.cases.points.facts import FACTS, continuous_since
from anju.core import clock
from anju.core.errors import NotFound
from anju.registry import service as registry
from tests.factories import OTHER_COUNTY, make_account, make_person, submit, valid_id


@pytest.fixture
def county(world):
    clock.pin_today(date(2026, 9, 1))
    reg = submit(world.db, world.police, world.resident.person_code, world.room_id,
                 start=date(2021, 3, 1))
    with world.db.unit_of_work() as s:
        registry.approve_registration(s, world.police, reg)
    world.extra["renshe"] = make_account(world.db, "dept_officer", department="renshe")
    return world


def record(world, fact, value, on=date(2025, 6, 1), source="exchange:renshe"):
    with world.db.unit_of_work() as s:
        return service.record_evidence(s, world.extra["renshe"], world.resident.person_code,
                                       fact, value, source, on)


def points(world, on, actor=None):
    with world.db.unit_of_work() as s:
        return service.points_of(s, actor or world.resident, world.resident.person_code, on)


def by_code(result):
    return {i["indicator"]: i for i in result["items"]}


def test_points_follow_the_scheme_in_force_and_a_change_keeps_old_results(county):
    record(county, "insurance_years", 5)
    before = points(county, date(2026, 6, 30))
    assert before["scheme_version"] == "2025.1"
    assert by_code(before)["social_insurance"]["points"] == 15  # 3 a year
    assert by_code(before)["residence"]["points"] == 10  # 5 full years × 2
    assert by_code(before)["age"]["points"] == 30  # born 1995: 31 → capped at 30
    evidence = by_code(before)["social_insurance"]["evidence"]
    assert evidence == [{"item": "insurance_years", "fact": "insurance_years",
                         "source": "exchange:renshe", "obtained_on": "2025-06-01"}]
    after = points(county, date(2026, 7, 1))
    assert after["scheme_version"] == "2026.2"
    assert by_code(after)["social_insurance"]["points"] == 20  # 4 a year from July 2026
    assert after["total"] == before["total"] + 5
    with county.db.unit_of_work() as s:
        old = s.get(PointsResult, before["result_id"])
        assert (old.scheme_version, old.total) == ("2025.1", before["total"])
    # asking again for the old date gives the same stored result, not a recomputed one
    assert points(county, date(2026, 6, 30))["result_id"] == before["result_id"]
    # evidence obtained after the date asked does not count for it
    assert by_code(points(county, date(2025, 5, 1)))["social_insurance"]["points"] == 0


def test_a_falsified_document_vetoes_the_total(county):
    assert points(county, date(2026, 8, 1))["total"] > 0
    record(county, "falsified_documents", True, on=date(2026, 8, 15), source="gongan")
    result = points(county, date(2026, 8, 20))
    assert result["vetoed"] is True and result["total"] == 0
    assert by_code(result)["falsified"]["vetoing"] is True


def test_what_would_change_my_score_names_the_missing_evidence(county):
    gain = {g["indicator"]: g for g in points(county, date(2026, 8, 1))["could_gain"]}
    assert "education" in gain and gain["education"]["at_most"] == 110
    assert gain["education"]["evidence"][0]["source"] == "upload"
    assert "age" not in gain  # only time changes it


def test_an_appeal_opens_a_case_and_reopening_adds_a_result(county):
    first = points(county, date(2026, 8, 1))
    with county.db.unit_of_work() as s:
        opened = service.appeal(s, county.resident, county.resident.person_code,
                                first["result_id"], "education", "我有本科学历证书")
    with county.db.unit_of_work() as s:
        case = s.get(Case, opened["case_id"])
        assert (case.service_code, case.status, case.department) == (
            "points_appeal", "submitted", "renshe")
    # the certificate was obtained long before the date appealed (recorded now)
    record(county, "education", "bachelor", on=date(2018, 7, 1), source="upload")
    with county.db.unit_of_work() as s:
        reopened = service.reopen(s, county.extra["renshe"], opened["appeal_id"])
    assert reopened["result"]["total"] == first["total"] + 90
    assert reopened["result"]["reason"] == "appeal"
    with county.db.unit_of_work() as s:
        assert s.get(PointsResult, first["result_id"]).total == first["total"]
        assert len(s.execute(select(PointsResult)).scalars().all()) == 2


def test_points_of_someone_else_look_missing(county):
    other = make_person(county.db, county.police, "赵六", id_number=valid_id())
    with county.db.unit_of_work() as s, pytest.raises(NotFound):
        service.points_of(s, county.resident, other, date(2026, 8, 1))
    far = make_account(county.db, "dept_officer", division=OTHER_COUNTY, department="renshe")
    with county.db.unit_of_work() as s, pytest.raises(NotFound):
        service.points_of(s, far, county.resident.person_code, date(2026, 8, 1))
    assert points(county, date(2026, 8, 1), county.extra["renshe"])["total"] > 0


GOOD = """
[scheme]
code = "x"
version = "1"
effective_from = 2025-01-01
name_zh = "方案"
name_en = "Scheme"
standard = 120
[[indicator]]
code = "age"
name_zh = "年龄"
name_en = "Age"
category = "basic"
rule = "age >= 18"
points = 10
"""


@pytest.mark.parametrize(("rule", "reason"), [
    ("age >= ", "does not parse"), ("salary > 1", "unknown field salary"),
    ("size(education) > 1", "not allowed"), ("age / 2", "not allowed")])
def test_a_bad_rule_refuses_the_scheme_naming_the_indicator(rule, reason):
    text = GOOD + f'[[indicator]]\ncode = "bad"\nname_zh = "坏"\nname_en = "Bad"\n' \
                  f'category = "bonus"\nrule = "{rule}"\n'
    assert scheme.parse(GOOD).indicators[0].code == "age"
    with pytest.raises(scheme.SchemeError) as error:
        scheme.parse(text)
    assert error.value.field == "indicator.bad" and reason in error.value.message_en


def test_continuous_residence_joins_back_to_back_spells():
    spells = [(date(2020, 1, 1), date(2021, 5, 31)), (date(2021, 6, 1), None)]
    assert continuous_since(spells, date(2026, 1, 1)) == date(2020, 1, 1)
    gap = [(date(2020, 1, 1), date(2021, 5, 1)), (date(2021, 6, 1), None)]
    assert continuous_since(gap, date(2026, 1, 1)) == date(2021, 6, 1)
    assert continuous_since([(date(2020, 1, 1), date(2021, 1, 1))], date(2026, 1, 1)) is None
    assert set(FACTS) >= {"age", "insurance_years", "falsified_documents"}


def test_the_appeal_services_are_catalogue_services_with_the_forms_written():
    from anju.cases import catalogue

    services = catalogue.load()
    assert {f.name for f in services["points_appeal"].form} == {"result_id", "indicator", "reason"}
    assert services["points_appeal"].department == "renshe"
    assert {f.name for f in services["school_placement_appeal"].form} == {
        "placement_case_id", "reason"}
    assert services["school_placement_appeal"].department == "jiaoyu"
