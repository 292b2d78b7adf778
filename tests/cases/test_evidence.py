"""Evidence pulled instead of asked for: from the registry and from the departments' data in the
exchange hub, under the case's purpose, audited, and only what nobody holds asked of the
applicant (uploads: checked, stored under our own name in the data directory)."""
from __future__ import annotations

import random
from datetime import date

import pytest
from sqlalchemy import select

from anju.cases import catalogue
from anju.cases import policy as CP
from anju.cases.models import Case, CaseEvidence
from anju.cases.service import evidence
from anju.core import clock, signing
from anju.core.access import Access
from anju.core.auditlog import my_access_log
from anju.core.errors import Conflict, Forbidden, NotFound, TooLarge, ValidationError
from anju.core.models import AuditRecord
from anju.core.policy import FIELDS
from anju.demo import departments
from anju.exchange.policy import DEPARTMENT_PURPOSES
from anju.registry import service as registry
from tests.factories import OTHER_COUNTY, make_account, submit, valid_id

TODAY = date(2026, 3, 2)
PDF = b"%PDF-1.4\n% a scan\n"


@pytest.fixture
def county(world, tmp_path):
    """The world's resident lives here since 2025-06 (approved), holds a permit, is insured with
    人社 and 医保, receives assistance from 民政, and has a child at school (教育)."""
    clock.pin_today(TODAY)
    signing.ensure_key()
    db = world.db
    reg = submit(db, world.landlord, world.resident.person_code, world.room_id,
                 start=date(2025, 6, 2))
    with db.unit_of_work() as s:
        registry.approve_registration(s, world.police, reg)
    with db.unit_of_work() as s:
        registry.issue_permit(s, world.police, world.resident.person_code)
        person = registry.read_person(s, world.police, world.resident.person_code)
    me = departments.Insured("王芳", person.id_number, "F", date(1995, 8, 8), "13800001111",
                             "长兴新华纺织有限公司")
    child = departments.Pupil("王子涵", valid_id("341221", date(2016, 4, 1)), "M",
                              date(2016, 4, 1), "13800001111")
    files = departments.extracts(tmp_path / "extracts", renshe=[me], yibao=[me],
                                 minzheng=[me], jiaoyu=[child], as_of=date(2026, 2, 28))
    with db.unit_of_work() as s:
        departments.load(s, world.steward, files, as_of=date(2026, 2, 28))
    return world


def _open(db, world, service_code: str, form: dict | None = None, person: str | None = None):
    """A case as ca1's open_case writes it, then the seam it calls."""
    service = catalogue.load()[service_code]
    with db.unit_of_work() as s:
        case = Case(service_code=service_code, person_code=person or world.resident.person_code,
                    division_code="330522001000", department=service.department,
                    status="submitted", channel="online", opened_by=world.resident.username,
                    form=form or {})
        s.add(case)
        s.flush()
        rows = evidence.collect(Access(s, world.resident), case, service)
        return case.id, {r.item: (r.source, r.obtained_on, r.value) for r in rows}


def test_every_pullable_item_is_pulled_with_its_source_and_date(db, county):
    case_id, items = _open(db, county, "school_enrollment", {"child_name": "王子涵"})
    assert items["residence"][0] == "registry" and items["residence"][1] == TODAY
    assert items["residence"][2]["residence_spells"][0]["from"] == "2025-06-02"
    assert items["permit"][2]["permit"]["valid_until"] >= "2027-03-01"
    assert items["employment"][0] == "exchange:renshe"
    assert items["employment"][2] == {"insurance": {"insured": True,
                                                    "employer": "长兴新华纺织有限公司"},
                                      "as_of": "2026-02-28"}
    assert items["school_record"][0] == "exchange:jiaoyu"
    assert items["school_record"][2]["school"] == {"enrolled": True}
    # the birth certificate is held by no department: the only thing asked of the applicant
    assert items["birth_certificate"] == ("upload", None, None)
    with db.unit_of_work() as s:
        shown = evidence.case_evidence(s, county.resident, case_id)
    assert [e.item for e in shown if e.needed] == ["birth_certificate"]


def test_what_no_department_holds_is_asked_for(db, county):
    # a child the education bureau does not list, and a person nobody but the registry knows
    _, items = _open(db, county, "school_enrollment", {"child_name": "王小明"})
    assert items["school_record"][1] is None and items["school_record"][2] is None
    stranger = registry.create_person
    from anju.registry.schemas import PersonIn
    with db.unit_of_work() as s:
        code = stranger(s, county.police, PersonIn(name="赵敏", id_number=valid_id())).person_code
    _, items = _open(db, county, "legal_aid", {"matter": "wages", "summary": "x"}, person=code)
    assert items["hardship"][1] is None and items["employment"][1] is None
    assert items["residence"][1] is None  # not registered here either
    assert items["hukou"][1] == TODAY  # the register knows where they come from


def test_each_pull_is_audited_under_the_case_purpose_on_the_persons_log(db, county):
    case_id, _ = _open(db, county, "residence_permit", {"reason": "work"})
    with db.unit_of_work() as s:
        entries = s.execute(select(AuditRecord).where(
            AuditRecord.action == CP.EVIDENCE_PULL.code)).scalars().all()
        log = my_access_log(s, county.resident)
    assert len(entries) == 3  # residence, employment, identity: one look-up each
    assert {e.purpose for e in entries} == {CP.CASE_EVIDENCE.name}
    assert {(e.object_type, e.object_id.split("/")[0]) for e in entries} == {
        ("case_evidence", str(case_id))}
    assert {e.person_code for e in entries} == {county.resident.person_code}
    assert {e.detail["item"] for e in entries} == {"residence", "employment", "identity"}
    pulls = [e for e in log if e.action == CP.EVIDENCE_PULL.code]
    assert len(pulls) == 3 and all(e.purpose == CP.CASE_EVIDENCE.name for e in pulls)


def test_pulling_brings_no_field_outside_the_purpose(db, county):
    forbidden = {"name", "id_number", "phone", "birth_date", "current_address"}
    for code, service in catalogue.load().items():
        _, items = _open(db, county, code, {"child_name": "王子涵"})
        for item in service.evidence:
            value = items[item.item][2]
            if value is None:
                continue
            assert set(value) == {item.field, "as_of"}, (code, item.item)
            if item.source == "exchange":  # a field the department's purpose shares
                assert item.field in DEPARTMENT_PURPOSES[item.department].fields
            text = repr(value)
            assert "13800001111" not in text and "王芳" not in text, (code, item.item)
            if isinstance(value[item.field], dict):
                assert not set(value[item.field]) & forbidden - {"name"}
    assert "insurance" in FIELDS


def test_a_supplied_item_is_kept_when_evidence_is_pulled_again(db, county):
    case_id, _ = _open(db, county, "wage_arrears", {"employer": "x", "amount_yuan": 1,
                                                   "months": 1})
    with db.unit_of_work() as s:
        out = evidence.supply(s, county.resident, case_id, "pay_records", "../../工资条.pdf", PDF)
    assert out.supplied_by_applicant and out.source == "upload" and out.document == "工资条.pdf"
    with db.unit_of_work() as s:
        row = s.execute(select(CaseEvidence).where(CaseEvidence.case_id == case_id,
                                                   CaseEvidence.item == "pay_records")).scalar()
        stored = evidence.upload_dir() / str(case_id) / row.document.split("/")[0]
        assert stored.read_bytes() == PDF and ".." not in row.document.split("/")[0]
        case = s.get(Case, case_id)
        evidence.collect(Access(s, county.resident), case, catalogue.load()["wage_arrears"])
    with db.unit_of_work() as s:
        shown = {e.item: e for e in evidence.case_evidence(s, county.resident, case_id)}
    assert shown["pay_records"].supplied_by_applicant and not shown["pay_records"].needed


def test_uploads_are_checked(db, county):
    case_id, _ = _open(db, county, "wage_arrears", {})
    cases = [("pay_records", b"", ValidationError, "file_empty"),
             ("pay_records", b"MZ\x90\x00 an executable", ValidationError, "file_kind"),
             ("pay_records", b"%PDF-" + b"0" * evidence.MAX_UPLOAD, TooLarge, "file_too_large"),
             ("employment", PDF, Conflict, "evidence_pulled"),  # pulled: nothing to upload
             ("no_such_item", PDF, NotFound, "not_found")]
    for item, content, error, code in cases:
        with pytest.raises(error) as raised, db.unit_of_work() as s:
            evidence.supply(s, county.resident, case_id, item, "a.pdf", content)
        assert raised.value.code == code and raised.value.field in ("file", "item")
    assert not (evidence.upload_dir() / str(case_id)).exists()


def test_others_cannot_supply_or_read_a_persons_evidence(db, county):
    case_id, _ = _open(db, county, "wage_arrears", {})
    stranger_code = registry.create_person
    from anju.registry.schemas import PersonIn
    with db.unit_of_work() as s:
        code = stranger_code(s, county.police, PersonIn(name="钱七", id_number=valid_id()))
    other = make_account(db, "resident", person_code=code.person_code)
    far_clerk = make_account(db, "window_clerk", division=OTHER_COUNTY)
    for actor in (other, far_clerk):
        with pytest.raises(NotFound), db.unit_of_work() as s:
            evidence.case_evidence(s, actor, case_id)
        with pytest.raises(NotFound), db.unit_of_work() as s:
            evidence.supply(s, actor, case_id, "pay_records", "a.pdf", PDF)
    clerk = make_account(db, "window_clerk")
    with db.unit_of_work() as s:
        assert evidence.supply(s, clerk, case_id, "pay_records", "a.pdf", PDF).supplied_by_applicant


def test_the_catalogue_pulls_at_least_80_percent_of_its_evidence():
    shares = evidence.pulled_share()
    pulled, total = shares["*"]
    assert total == 40 and pulled == 35  # 88 %: only five items are uploads (11 services)
    assert pulled / total >= 0.8
    assert shares["residence_permit"] == (3, 3) and shares["school_enrollment"] == (4, 5)


def test_the_demo_department_plan_covers_the_demo_resident():
    rng = random.Random(1)
    people = [departments.Insured(f"李{i}", valid_id(), "M", date(1990, 1, 1), f"1390000{i:04d}")
              for i in range(50)]
    plan = departments.plan(rng, people, TODAY, lambda region, birth, sex: valid_id(region, birth))
    assert all(plan[d][0].id_number == people[0].id_number for d in ("renshe", "yibao",
                                                                     "minzheng"))
    assert plan["jiaoyu"][0].guardian_phone == people[0].phone
    assert 15 < len(plan["renshe"]) < 50


def test_the_apply_form_preview_reads_the_applicants_own_sources_and_keeps_nothing(db, county):
    service = catalogue.load()["school_enrollment"]
    with db.unit_of_work() as s:
        before = s.execute(select(AuditRecord.id).order_by(AuditRecord.id.desc())).scalar()
        shown = {e.item: e for e in evidence.preview(s, county.resident, service,
                                                     {"child_name": "王子涵"})}
        assert s.execute(select(AuditRecord.id).where(AuditRecord.id > before)).first() is None
        assert s.execute(select(CaseEvidence.id)).first() is None
    assert not shown["school_record"].needed and shown["school_record"].obtained_on is None
    assert shown["employment"].value["as_of"] == "2026-02-28"
    assert [i for i, e in shown.items() if e.needed] == ["birth_certificate"]
    with pytest.raises(Forbidden), db.unit_of_work() as s:  # police open no cases
        evidence.preview(s, county.police, service)
