"""The catalogue is read whole or refused naming the problem; the case state machine allows
exactly the documented transitions; warnings and ratings follow their rules."""
from __future__ import annotations

import pytest

from anju.cases import catalogue, rules
from anju.cases.rules import CaseStatus as S
from anju.cases.rules import Transition as T
from anju.core.errors import Conflict

DEPTS = {"gongan", "renshe", "yibao", "jiaoyu", "minzheng", "zhujian", "sifa"}


def test_the_shipped_catalogue_has_the_nine_services_and_pulls_most_evidence():
    services = catalogue.load()
    assert {"residence_permit", "permit_endorsement", "school_enrollment",
            "social_insurance_transfer", "wage_arrears", "labour_contract_filing", "legal_aid",
            "public_rental_housing", "vocational_training"} <= set(services)
    assert services["social_insurance_transfer"].time_limit_working_days == 15
    assert services["social_insurance_transfer"].steps[0].departments == ("renshe", "yibao")
    for service in services.values():
        pulled = sum(item.pulled for item in service.evidence)
        assert pulled / len(service.evidence) >= 0.8, service.code
        assert service.name.zh and service.name.en and service.guide["where"].zh


BASE = """
[[service]]
code = "x"
name_zh = "某事"
name_en = "Something"
department = "renshe"
applicants = ["resident"]
time_limit_working_days = 5
steps = [{ name = "do", departments = ["renshe"] }]
evidence = [{ item = "e", label_zh = "甲", label_en = "A", source = "registry", field = "hukou" }]
[service.guide]
materials_zh = "无"
materials_en = "none"
fees_zh = "免费"
fees_en = "free"
where_zh = "窗口"
where_en = "window"
"""


@pytest.mark.parametrize("change, problem", [
    (("department = \"renshe\"", "department = \"moon\""), "unknown department"),
    (("field = \"hukou\"", "field = \"salary\""), "unknown registry field"),
    (("source = \"registry\"", "source = \"rumour\""), "unknown source"),
    (("name_en = \"Something\"\n", ""), "name_zh and name_en"),
    (("time_limit_working_days = 5", "time_limit_working_days = 0"), "1-120"),
])
def test_a_bad_catalogue_is_refused_naming_the_service(change, problem):
    assert catalogue.parse(BASE, DEPTS)["x"].time_limit_working_days == 5
    with pytest.raises(catalogue.CatalogueError, match=problem) as refused:
        catalogue.parse(BASE.replace(*change), DEPTS)
    assert "service x" in str(refused.value) or "TOML" in str(refused.value)
    with pytest.raises(catalogue.CatalogueError, match="used twice"):
        catalogue.parse(BASE + BASE, DEPTS)


def test_the_state_machine():
    assert rules.next_status("submitted", T.ACCEPT) is S.ACCEPTED
    assert rules.next_status("accepted", T.REQUEST_SUPPLEMENT) is S.SUPPLEMENT
    assert rules.next_status("supplement", T.SUPPLY) is S.IN_PROGRESS
    assert rules.next_status("in_progress", T.DECIDE_APPROVE) is S.APPROVED
    assert rules.next_status("submitted", T.WITHDRAW) is S.WITHDRAWN
    for final in rules.FINAL:
        for transition in T:
            with pytest.raises(Conflict) as refused:
                rules.next_status(final, transition)
            assert refused.value.code == "case_state" and refused.value.http_status == 409
    with pytest.raises(Conflict):
        rules.next_status("submitted", T.DECIDE_APPROVE)  # nobody decides before accepting


def test_warnings_and_ratings():
    assert rules.warning_of(5) is rules.Warning.NONE
    assert rules.warning_of(2) is rules.warning_of(0) is rules.Warning.YELLOW
    assert rules.warning_of(-1) is rules.Warning.RED
    assert [s for s in range(1, 6) if rules.needs_rectification(s)] == [1, 2]
    assert rules.RATING_WORDS[2] == ("不满意", "dissatisfied")
