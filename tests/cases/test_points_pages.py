"""The points pages in both languages: a resident sees every indicator with its evidence's
source, what would raise the score, and appeals one; the analyst's policy-awareness table."""
from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from anju.cases import eligibility
from anju.cases.models import PointsAppeal
from anju.core import clock
from anju.core.identity import job_actor
from anju.registry import service as registry
from anju.web.app import create_app
from tests.factories import build_world, submit
from tests.web.conftest import Site


@pytest.fixture
def site(sqlite_db):
    clock.pin_today(date(2026, 9, 1))
    world = build_world(sqlite_db)
    reg = submit(world.db, world.police, world.resident.person_code, world.room_id,
                 start=date(2022, 5, 1))
    with world.db.unit_of_work() as s:
        registry.approve_registration(s, world.police, reg)
    with TestClient(create_app(db=sqlite_db), base_url="http://localhost") as client:
        yield Site(world, client)


def test_a_resident_reads_their_points_and_appeals_one(site):
    site.login(site.world.resident.username)
    page = site.client.get("/me/points")
    assert page.status_code == 200
    assert "居住证积分" in page.text and "在本县连续居住年限" in page.text
    assert "居住登记信息" in page.text  # the residence indicator's source
    assert "还能怎样提高积分" in page.text and "学历" in page.text
    old = site.client.get("/me/points?on=2026-03-01").text
    assert "2025.1" in old and "2026年7月修订版" not in old
    bad = site.client.get("/me/points?on=2026-31-01")
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text
    missing = site.post("/me/points/appeal", {"result_id": 1, "indicator": "education",
                                              "reason": ""}, "/me/points")
    assert missing.status_code == 422 and "请说明异议理由" in missing.text
    done = site.post("/me/points/appeal", {"result_id": 1, "indicator": "education",
                                           "reason": "我有本科学历"}, "/me/points")
    assert done.status_code == 200 and "异议已提交" in done.text
    with site.world.db.unit_of_work() as s:
        assert s.query(PointsAppeal).count() == 1
    site.client.get("/lang/en")
    english = site.client.get("/me/points").text
    assert "What would change my score" in english and "Residence registration" in english


def test_the_analyst_sees_policy_awareness(site):
    with site.world.db.unit_of_work() as s:
        eligibility.evaluate(s, job_actor("cases.eligibility"))
    site.login(site.world.analyst.username)
    page = site.client.get("/eligibility/awareness")
    assert page.status_code == 200 and "政策知晓率" in page.text and "职业技能培训" in page.text
    site.client.get("/lang/en")
    assert "Policy awareness" in site.client.get("/").text


def test_the_demo_resident_has_points_from_every_kind_of_source(sqlite_db):
    from anju.core.identity import SYSTEM
    from anju.core.models import Account
    from anju.demo import build

    build.ensure_demo(sqlite_db, persons=60, progress=lambda _m: None)
    with sqlite_db.unit_of_work() as s:
        code = s.query(Account).filter_by(username="resident").one().person_code
    with sqlite_db.unit_of_work() as s:
        from anju.cases.points import service as points
        result = points.points_of(s, SYSTEM, code)
    sources = {e["source"] for i in result["items"] for e in i["evidence"]}
    assert {"registry", "upload", "exchange:renshe"} <= sources


def test_a_parent_reads_the_placement_and_appeals(site):
    from anju.cases.models import Case, SchoolPlacement, SchoolRun
    from tests.cases.core_support import case_row

    me = site.world.resident.person_code
    with site.world.db.unit_of_work() as s:
        case = case_row(s, service_code="school_enrollment", person_code=me,
                        division_code="330522001001")
        run = SchoolRun(year=2026, seed=424242, schools_version="2026", published_by="x",
                        status="allocated")
        s.add(run)
        s.flush()
        s.add(SchoolPlacement(run_id=run.id, case_id=case.id, person_code=me,
                              division_code="330522001001", school_id="zc2", round="nearest",
                              rank=7, points=85, catchment_school="zc1", catchment_rank=5,
                              catchment_cutoff=92, distance_km=1.8))
        case_id = case.id
    site.login(site.world.resident.username)
    mine = site.client.get("/me/placements")
    assert mine.status_code == 200 and f"/cases/{case_id}/placement" in mine.text
    page = site.client.get(f"/cases/{case_id}/placement")
    assert page.status_code == 200
    for text in ("长兴县雉城第二小学", "第二轮：就近有空余学位的学校", "长兴县雉城第一小学", "92", "424242"):
        assert text in page.text
    done = site.post(f"/cases/{case_id}/placement/appeal", {"reason": "离一小更近"},
                     f"/cases/{case_id}/placement")
    assert done.status_code == 200 and "异议已提交" in done.text
    with site.world.db.unit_of_work() as s:
        assert s.query(Case).filter_by(service_code="school_placement_appeal").count() == 1
    site.client.get("/lang/en")
    assert "Round 2: the nearest school" in site.client.get(f"/cases/{case_id}/placement").text


def test_the_points_office_records_evidence_and_reviews_an_appeal(site):
    from tests.factories import make_account

    site.login(site.world.resident.username)
    site.client.get("/me/points")
    site.post("/me/points/appeal", {"result_id": 1, "indicator": "education",
                                    "reason": "我有本科学历"}, "/me/points")
    site.post("/logout", {})
    officer = make_account(site.world.db, "dept_officer", department="renshe")
    site.login(officer.username)
    page = site.client.get("/points/appeals")
    assert page.status_code == 200 and "我有本科学历" in page.text
    assert '<option value="bachelor">本科</option>' in page.text  # picked by name
    bad = site.post("/points/appeals/1/evidence", {
        "person_code": site.world.resident.person_code, "fact": "education",
        "value": "bachelor", "source": "upload", "obtained_on": ""}, "/points/appeals")
    assert bad.status_code == 422 and "请填写取得日期" in bad.text
    done = site.post("/points/appeals/1/evidence", {
        "person_code": site.world.resident.person_code, "fact": "education",
        "value": "bachelor", "source": "upload", "obtained_on": "2015-07-01"}, "/points/appeals")
    assert done.status_code == 200 and "材料已登记" in done.text
    reviewed = site.post("/points/appeals/1/reopen", {}, "/points/appeals")
    assert reviewed.status_code == 200 and "原结果保留" in reviewed.text
    assert "没有待复核的异议" in reviewed.text


def test_the_education_bureau_publishes_the_seed_and_allocates(site):
    from datetime import datetime

    from anju.cases.models import Case
    from tests.factories import make_account

    with site.world.db.unit_of_work() as s:
        s.add(Case(service_code="school_enrollment", person_code=site.world.resident.person_code,
                   division_code="330522001001", department="jiaoyu", status="submitted",
                   channel="online", opened_by="x", form={}, submitted_at=datetime(2026, 6, 1)))
    jiaoyu = make_account(site.world.db, "dept_officer", department="jiaoyu")
    site.login(jiaoyu.username)
    page = site.client.get("/schools/runs")
    assert page.status_code == 200 and "长兴县洪桥小学" in page.text
    bad = site.post("/schools/runs", {"year": "2026", "seed": "-5"}, "/schools/runs")
    assert bad.status_code == 422 and 'value="-5"' in bad.text
    published = site.post("/schools/runs", {"year": "2026", "seed": "31337"}, "/schools/runs")
    assert published.status_code == 200 and "种子已公布，待分配" in published.text
    done = site.post("/schools/runs/2026/allocate", {}, "/schools/runs")
    assert done.status_code == 200 and "第一轮：划片学校：1" in done.text
    site.post("/logout", {})
    renshe = make_account(site.world.db, "dept_officer", department="renshe")
    site.login(renshe.username)
    assert site.client.get("/schools/runs").status_code == 404  # not the education bureau
