"""A decided case has its outcome (catalogue `outcome`): approving a residence-permit case issues
the permit in the registry, approving an endorsement endorses it — in the decision's
transaction, as the deciding officer, under the registry's policy and rules; a registry refusal
refuses the decision with nothing written."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from anju.cases import catalogue
from anju.cases.models import Case, CaseApproval
from anju.cases.service import cases
from anju.core import signing
from anju.core.errors import AnjuError, NotFound
from anju.core.models import AuditRecord
from anju.registry import service as registry
from anju.registry.models import Permit
from tests.cases.core_support import act, build_county, open_transfer
from tests.factories import make_account


@pytest.fixture
def county(db):
    signing.ensure_key()  # an issued permit's QR code is signed with the installation's key
    county = build_county(db)
    county.world.extra["gongan"] = make_account(db, "dept_officer", department="gongan")
    return county


def _permit_case(county, on: date, service: str = "residence_permit") -> int:
    form = {"reason": "work"} if service == "residence_permit" else {}
    case_id = open_transfer(county, on=on, service=service, form=form)
    act(county, county.world.extra["gongan"], cases.accept, case_id)
    return case_id


def test_approving_a_residence_permit_case_issues_the_permit(county):
    gongan = county.world.extra["gongan"]
    case_id = _permit_case(county, date(2026, 3, 2))
    out = act(county, gongan, cases.decide, case_id, "approved")
    assert out.status == "approved"
    [held] = act(county, county.resident, registry.list_permits, county.resident.person_code)
    assert held.status == "valid" and held.qr_payload and held.issued_on == date(2026, 3, 2)
    decided = out.history[-1]
    assert decided.action == "approve" and decided.detail["outcome"] == "registry.permit_issue"
    assert decided.detail["permit_number"] == held.permit_number
    with county.db.unit_of_work() as s:  # the registry's own audit, by the deciding officer
        entry = s.execute(select(AuditRecord).where(AuditRecord.action == "permit.issue")).scalar()
        assert (entry.username, entry.person_code) == (
            gongan.username, county.resident.person_code)


def test_an_ineligible_persons_approval_is_refused_with_nothing_written(county):
    # registered since 2025-01-06: not six months of residence on 2025-03-03
    case_id = _permit_case(county, date(2025, 3, 3))
    with county.db.unit_of_work() as s:
        before = s.execute(select(func.count()).select_from(AuditRecord)).scalar()
    with pytest.raises(AnjuError) as refused:
        act(county, county.world.extra["gongan"], cases.decide, case_id, "approved")
    assert refused.value.message_zh and refused.value.message_en
    assert refused.value.http_status < 500
    with county.db.unit_of_work() as s:
        case = s.get(Case, case_id)
        assert (case.status, case.decided_at) == ("accepted", None)
        assert s.execute(select(CaseApproval.status).where(
            CaseApproval.case_id == case_id)).scalars().all() == ["pending"]
        assert s.execute(select(Permit)).first() is None
        after = s.execute(select(func.count()).select_from(AuditRecord)).scalar()
        assert after == before  # no decision, no issue on the chain
    # rejecting stays possible: the refusal is only of the outcome
    out = act(county, county.world.extra["gongan"], cases.decide, case_id, "rejected",
              "居住未满半年")
    assert out.status == "rejected"


def test_approving_an_endorsement_moves_validity(county):
    gongan = county.world.extra["gongan"]
    act(county, gongan, cases.decide, _permit_case(county, date(2026, 3, 2)), "approved")
    [issued] = act(county, county.resident, registry.list_permits, county.resident.person_code)
    case_id = _permit_case(county, date(2027, 1, 15), service="permit_endorsement")
    out = act(county, gongan, cases.decide, case_id, "approved")
    [endorsed] = act(county, county.resident, registry.list_permits,
                     county.resident.person_code)
    assert endorsed.permit_number == issued.permit_number
    assert endorsed.valid_until > issued.valid_until
    assert endorsed.endorsements == [date(2027, 1, 15)]
    assert out.history[-1].detail == {
        "step": "review", "outcome": "registry.permit_endorse",
        "permit_number": issued.permit_number,
        "valid_until": endorsed.valid_until.isoformat()}


def test_only_public_securitys_officers_issue_a_permit(county):
    """The registry's policy holds through the case: another department's officer approving a
    permit case it was transferred is refused by the registry, and nothing is issued."""
    case_id = _permit_case(county, date(2026, 3, 2))
    act(county, county.world.extra["gongan"], cases.transfer, case_id, "renshe")
    with pytest.raises(NotFound):
        act(county, county.renshe, cases.decide, case_id, "approved")
    with county.db.unit_of_work() as s:
        assert s.get(Case, case_id).status == "accepted"
        assert s.execute(select(Permit)).first() is None


def test_an_unknown_outcome_is_refused_naming_the_service():
    text = """
[[service]]
code = "odd"
name_zh = "怪"
name_en = "Odd"
department = "gongan"
applicants = ["resident"]
time_limit_working_days = 5
outcome = "registry.permit_revoke"
steps = [{ name = "review", departments = ["gongan"] }]
[service.guide]
materials_zh = "无"
materials_en = "none"
fees_zh = "免费"
fees_en = "free"
where_zh = "窗口"
where_en = "window"
"""
    with pytest.raises(catalogue.CatalogueError, match="service odd: unknown outcome"):
        catalogue.parse(text, {"gongan"})
    shipped = catalogue.load()
    assert shipped["residence_permit"].outcome == "registry.permit_issue"
    assert shipped["permit_endorsement"].outcome == "registry.permit_endorse"
