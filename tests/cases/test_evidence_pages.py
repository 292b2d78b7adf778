"""The applicant-facing pages: the public service guide in zh and en, the apply form made from
the catalogue (names to pick, never codes), a case's evidence with its sources and the uploads
asked for (bilingual refusals), and the e-permit on the permit page."""
from __future__ import annotations

import re
from datetime import date

import pytest

from anju.cases import catalogue
from anju.cases.models import Case
from anju.cases.service import evidence
from anju.core import clock, signing
from anju.core.access import Access
from anju.registry import service as registry
from tests.factories import build_world, make_account, submit
from tests.web.conftest import Site

PDF = b"%PDF-1.4\n%\n"


@pytest.fixture
def site(sqlite_db):
    """The page tests' small county behind the real app (as tests/web/conftest.py)."""
    from fastapi.testclient import TestClient

    from anju.web.app import create_app

    world = build_world(sqlite_db)
    with TestClient(create_app(db=sqlite_db), base_url="http://localhost") as client:
        yield Site(world, client)


def _visible(html: str) -> str:
    """The page's text as a person reads it (no tags, no attribute values)."""
    return re.sub(r"<[^>]+>", " ", html)


def test_the_guide_is_public_in_both_languages(site: Site):
    page = site.client.get("/services")
    assert page.status_code == 200
    for service in catalogue.load().values():
        assert service.name.zh in page.text
    guide = site.client.get("/services/legal_aid")
    assert guide.status_code == 200
    text = _visible(guide.text)
    assert "司法局" in text and "7 个工作日" in text and "部门共享：民政局" in text
    assert "需本人上传" in text and "法律援助中心" in text and "登录后在线申请" in text
    site.client.get("/lang/en")
    text = _visible(site.client.get("/services/legal_aid").text)
    assert "Justice bureau" in text and "7 working days" in text
    assert "Shared by: Civil affairs bureau" in text and "legal-aid centre" in text
    assert "司法局" not in text
    assert site.client.get("/services/no_such_service").status_code == 404


def test_the_apply_form_offers_names_not_codes(site: Site):
    site.login(site.world.resident.username)
    page = site.client.get("/services/legal_aid/apply")
    assert page.status_code == 200
    text = _visible(page.text)
    assert "追索劳动报酬" in text and "工伤赔偿" in text and "简要情况" in text
    assert "wages" not in text and "injury" not in text  # codes stay in value attributes
    assert 'value="wages"' in page.text
    assert "部门共享：民政局" in text  # where each evidence item will come from
    # pre-filled: what the sources hold now (the register knows where the applicant comes
    # from; civil affairs knows nothing of them; the papers are theirs to bring)
    rows = {label: state for label, state in re.findall(
        r"<tr><td[^>]*>([^<]+)</td>\s*<td[^>]*>[^<]+</td>\s*<td[^>]*>(?:<span[^>]*>)?([^<]+)",
        page.text)}
    assert rows["户籍地"] == "已查到，将自动调取"
    assert rows["经济困难状况（低保、特困）"] == "暂未查到，提交后如仍无将请您上传"
    assert rows["与案件有关的材料"] == "待上传"
    site.client.get("/lang/en")
    text = _visible(site.client.get("/services/legal_aid/apply").text)
    assert "unpaid wages" in text and "Short account" in text and "追索" not in text
    assert "Apply online" in _visible(site.client.get("/services/legal_aid").text)


def test_an_appeal_is_opened_where_its_subject_is_picked_not_by_typing_a_number(site: Site):
    site.login(site.world.resident.username)
    guide = site.client.get("/services/points_appeal")
    assert 'href="/me/points"' in guide.text and "/services/points_appeal/apply" not in guide.text
    answer = site.client.get("/services/points_appeal/apply", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/me/points"


def test_apply_is_for_persons_only(site: Site):
    site.login(site.world.police.username)
    assert site.client.get("/services/legal_aid/apply").status_code == 403
    assert "在线申请" not in _visible(site.client.get("/services/legal_aid").text).replace(
        "登录后在线申请", "")


def _case(site: Site, code: str = "wage_arrears") -> int:
    world = site.world
    service = catalogue.load()[code]
    with world.db.unit_of_work() as s:
        case = Case(service_code=code, person_code=world.resident.person_code,
                    division_code="330522001000", department=service.department,
                    status="submitted", channel="online", opened_by="resident", form={})
        s.add(case)
        s.flush()
        evidence.collect(Access(s, world.resident), case, service)
        return case.id


def test_my_case_evidence_shows_sources_and_takes_uploads(site: Site):
    case_id = _case(site)
    site.login(site.world.resident.username)
    page = site.client.get(f"/me/cases/{case_id}/evidence")
    assert page.status_code == 200
    text = _visible(page.text)
    assert "部门共享：人力资源和社会保障局" in text and "工资条、考勤等（如有）" in text
    assert "部门无此数据，请上传" in text  # the resident is insured nowhere in this county
    token = site.csrf(f"/me/cases/{case_id}/evidence")
    bad = site.client.post(f"/me/cases/{case_id}/evidence/pay_records",
                           data={"csrf_token": token},
                           files={"file": ("x.exe", b"MZ\x90", "application/octet-stream")})
    assert bad.status_code == 422
    assert "请上传 PDF、JPG 或 PNG 文件" in bad.text and "upload a PDF, JPG or PNG file" in bad.text
    assert 'aria-invalid="true"' in bad.text
    done = site.client.post(f"/me/cases/{case_id}/evidence/pay_records",
                            data={"csrf_token": token},
                            files={"file": ("工资条.pdf", PDF, "application/pdf")},
                            follow_redirects=False)
    assert done.status_code == 303, done.text
    page = site.client.get(done.headers["location"])
    assert "材料已上传" in page.text and "工资条.pdf" in page.text
    # the officer handling it opens the file; nobody else reaches it
    officer = make_account(site.world.db, "dept_officer", department="renshe",
                           username="renshe-officer")
    site.login(officer.username)
    file = site.client.get(f"/cases/{case_id}/evidence/pay_records/document")
    assert file.status_code == 200 and file.content == PDF
    assert file.headers["content-type"] == "application/pdf"
    site.login(site.world.landlord.username)
    assert site.client.get(f"/cases/{case_id}/evidence/pay_records/document").status_code == 404


def test_someone_elses_case_evidence_looks_missing(site: Site):
    case_id = _case(site)
    site.login(site.world.landlord.username)
    assert site.client.get(f"/me/cases/{case_id}/evidence").status_code == 404


def test_the_api_lists_services_and_a_cases_evidence(site: Site):
    from tests.factories import token

    case_id = _case(site, "residence_permit")
    bearer = token(site.client, site.world.resident.username)
    services = site.client.get("/api/v1/services", headers=bearer).json()
    assert {s["code"] for s in services} == set(catalogue.load())
    permit = next(s for s in services if s["code"] == "residence_permit")
    assert permit["evidence"][1] == {"item": "employment", "source": "exchange:renshe",
                                     "label_zh": "就业和参保情况",
                                     "label_en": "Employment and social insurance",
                                     "pulled": True}
    items = site.client.get(f"/api/v1/cases/{case_id}/evidence", headers=bearer).json()
    assert [i["item"] for i in items] == ["residence", "employment", "identity"]
    assert items[2]["obtained_on"] and items[2]["value"]["identity"]["name"] == "王*"
    upload = site.client.post(f"/api/v1/cases/{case_id}/evidence/identity", headers=bearer,
                              files={"file": ("a.pdf", PDF, "application/pdf")})
    assert upload.status_code == 409
    assert upload.json()["error"]["code"] == "evidence_pulled"
    assert site.client.get("/api/v1/services").status_code == 401


@pytest.fixture
def permit_holder(site: Site):
    clock.pin_today(date(2026, 3, 2))
    signing.ensure_key()
    world = site.world
    reg = submit(world.db, world.landlord, world.resident.person_code, world.room_id,
                 start=date(2025, 6, 2))
    with world.db.unit_of_work() as s:
        registry.approve_registration(s, world.police, reg)
    return site


def test_the_permit_page_offers_to_apply_then_shows_the_qr_code(permit_holder: Site):
    site = permit_holder
    site.login(site.world.resident.username)
    page = site.client.get("/me/permit")
    assert 'href="/services/residence_permit/apply"' in page.text and "<svg" not in page.text
    with site.world.db.unit_of_work() as s:
        registry.issue_permit(s, site.world.police, site.world.resident.person_code)
    page = site.client.get("/me/permit")
    assert page.status_code == 200
    assert '<svg role="img" aria-label="电子居住证' in page.text
    assert 'href="/services/permit_endorsement/apply"' in page.text
    assert 'href="/services/residence_permit/apply"' not in page.text
