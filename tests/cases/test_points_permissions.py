"""The permission matrix of points, school placements and the awareness KPI: every role ×
action × inside / outside its reach, at the service layer, with the exact fields of each "ok"
answer. Conventions as tests/housing/test_permissions.py: "ok"; "empty"; "403" — the role may
never do this; "404" — outside reach, so it looks missing. Written out by hand: the spec."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from anju.cases import eligibility
from anju.cases.models import PointsAppeal, SchoolPlacement, SchoolRun
from anju.cases.points import service as points
from anju.cases.schools import service as schools
from anju.core import clock
from anju.core.identity import SYSTEM, job_actor
from anju.registry import service as registry
from tests.cases.core_support import case_row
from tests.factories import (
    COUNTY,
    OTHER_COUNTY,
    make_account,
    make_house,
    make_person,
    submit,
    valid_id,
)
from tests.support.matrix import mismatches

ROLES = ["resident", "landlord", "grid_worker", "police", "dept_officer", "data_steward",
         "analyst", "auditor", "admin", "window_clerk", "dept_supervisor", "service_provider",
         "system"]
NO = "403/403"
# op: (resident, landlord, grid_worker, police, dept_officer, data_steward, analyst, auditor,
#      admin, window_clerk, dept_supervisor, service_provider, system)
MATRIX = {
    # a person's points: their own (a resident, a landlord); officers of the person's county
    "points.read":     ("ok/404", "ok/404", NO, NO, "ok/404", NO, NO, NO, NO, "ok/404",
                        "ok/404", NO, "ok/ok"),
    "points.evidence": (NO, NO, NO, NO, "ok/404", NO, NO, NO, NO, NO, NO, NO, NO),
    "points.appeal":   ("ok/404", "ok/404", NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO),
    "points.reopen":   (NO, NO, NO, NO, "ok/404", NO, NO, NO, NO, NO, NO, NO, NO),
    # the open appeals of the officer's jurisdiction (the foreigner's is another county's)
    "points.appeals":  (NO, NO, NO, NO, "ok/ok", NO, NO, NO, NO, NO, NO, NO, NO),
    "school.placement": ("ok/404", "404/404", NO, NO, "ok/404", NO, NO, NO, NO, NO, NO, NO, NO),
    # released aggregates of the actor's jurisdiction (another county's: all nought)
    "eligibility.awareness": (NO, NO, NO, NO, NO, NO, "ok/ok", NO, NO, NO, "ok/ok", NO, NO),
}
POINTS = {"result_id", "person_code", "scheme_code", "scheme_version", "scheme_name_zh",
          "scheme_name_en", "standard", "on", "total", "vetoed", "items", "reason",
          "computed_at", "could_gain"}
FIELDS = {
    "points.read": POINTS,
    "points.evidence": {"evidence_id", "fact", "source", "obtained_on"},
    "points.appeal": {"appeal_id", "case_id", "status", "indicator"},
    "points.reopen": {"appeal_id", "status", "previous", "result"},
    "points.appeals": {"appeal_id", "person_code", "case_id", "indicator", "name_zh", "name_en",
                       "reason", "created_at", "facts"},
    "school.placement": {"case_id", "person_code", "year", "seed", "school_id", "school",
                         "round", "rank", "points", "catchment_school_id", "catchment_school",
                         "catchment_rank", "catchment_cutoff", "distance_km"},
    "eligibility.awareness": {"service", "eligible", "notified", "awareness", "notices",
                              "applied_after_notice", "notice_to_application"},
}
UNAUDITED = {"eligibility.awareness"}  # aggregates, no one's personal data
# a parent reading their own child's placement is not on the trail (an officer's read is)
OWN_UNAUDITED = {"school.placement"}
FOREIGN_TOWN = "330523001000"


class Setup:
    def __init__(self, db):
        clock.pin_today(date(2026, 9, 1))
        self.db = db
        police = make_account(db, "police", division=COUNTY)
        foreign_police = make_account(db, "police", division=OTHER_COUNTY)
        self.landlord = make_person(db, police, "李建国", id_number=valid_id("330522"))
        self.resident = make_person(db, police, "王芳", id_number=valid_id("341221"))
        self.stranger = make_person(db, police, "陈静", id_number=valid_id("412721"))
        self.foreigner = make_person(db, foreign_police, "赵磊", id_number=valid_id("510724"))
        house = make_house(db, police, self.landlord)
        reg = submit(db, police, self.resident, house["rooms"][0]["room_id"],
                     start=date(2024, 3, 1))
        with db.unit_of_work() as s:
            registry.approve_registration(s, police, reg)
        self.results, self.appeals = {}, {}
        with db.unit_of_work() as s:
            for code in (self.resident, self.landlord, self.stranger, self.foreigner):
                self.results[code] = points.points_of(s, SYSTEM, code)["result_id"]
        with db.unit_of_work() as s:
            for code in (self.resident, self.foreigner):
                appeal = PointsAppeal(result_id=self.results[code], person_code=code,
                                      division_code=COUNTY + "000000" if code == self.resident
                                      else OTHER_COUNTY + "000000", indicator="education",
                                      reason="学历")
                s.add(appeal)
                s.flush()
                self.appeals[code] = appeal.id
            run = SchoolRun(year=2026, seed=1, schools_version="2026", published_by="x",
                            status="allocated")
            s.add(run)
            s.flush()
            for code, case in ((self.resident, 1), (self.stranger, 2)):
                s.add(SchoolPlacement(run_id=run.id, case_id=self._case(s, code), person_code=code,
                                      division_code=COUNTY + "001000", school_id="zc1",
                                      round="catchment", rank=case, points=80,
                                      catchment_school="zc1", catchment_rank=case))
        self.renshe = make_account(db, "dept_officer", department="renshe")

    def _case(self, session, code):
        return case_row(session, service_code="school_enrollment", person_code=code,
                        division_code=COUNTY + "001000").id

    def actor(self, role: str, inside: bool):
        if role == "system":
            return SYSTEM if inside else job_actor("cases.eligibility")
        kw = {}
        if role == "resident":
            kw["person_code"] = self.resident
        elif role == "landlord":
            kw["person_code"] = self.landlord
        elif role in ("dept_officer", "dept_supervisor"):
            kw["department"] = "renshe"
        elif role == "service_provider":
            kw["department"] = "provider:legal_1"  # a legal-aid station (cases: providers)
        division = COUNTY if inside or role in ("resident", "landlord") else OTHER_COUNTY
        return make_account(self.db, role, division=division, **kw)

    def call(self, op: str, session, actor, inside: bool, role: str):
        own = self.landlord if role == "landlord" else self.resident
        person = own if inside else self.stranger
        if role not in ("resident", "landlord") and not inside:
            person = self.resident  # an officer of another county asks about our resident
        match op:
            case "points.read":
                return points.points_of(session, actor, person)
            case "points.evidence":
                return points.record_evidence(session, actor, person, "volunteer_hours", 60,
                                              "upload", date(2026, 5, 1))
            case "points.appeal":
                return points.appeal(session, actor, person, self.results[person], "education",
                                     "我有学历证书")
            case "points.reopen":
                return points.reopen(session, actor, self.appeals[self.resident])
            case "points.appeals":
                found = points.list_appeals(session, actor)
                # each officer sees exactly the appeal of their own county
                assert [a["person_code"] for a in found] == [
                    self.resident if inside else self.foreigner]
                return found
            case "school.placement":
                case_id = session.execute(select(SchoolPlacement.case_id).where(
                    SchoolPlacement.person_code == person)).scalar()
                return schools.placement(session, actor, case_id)
            case "eligibility.awareness":
                return eligibility.awareness(session, actor)
        raise AssertionError(op)


@pytest.mark.parametrize("role", ROLES)
def test_points_permission_matrix(db, role):
    setup = Setup(db)
    found = mismatches(db, MATRIX, ROLES, role, setup.actor,
                       lambda op, session, actor, inside: setup.call(op, session, actor, inside,
                                                                     role),
                       unaudited=UNAUDITED, audit_optional=OWN_UNAUDITED,
                       fields=lambda op, role, inside: FIELDS.get(op))
    assert not found, "\n".join(found)
