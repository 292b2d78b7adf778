"""The permission matrix for cases: every case action × every role × inside / outside its reach,
at the service layer, with the audit rule of tests/support/matrix.py. "Inside" is a case of the
county's resident, handled by human resources (renshe) and assigned to a legal-aid provider;
"outside" is a case of a person of another county. Every actor sits in the county. "ok" answers
of a case read carry exactly the case's fields. Written out by hand: it is the specification."""
from __future__ import annotations

from datetime import date

import pytest

from anju.cases.models import Case
from anju.cases.service import cases, stats
from anju.cases.service.shapes import CaseIn, ConsentIn
from anju.cases.service.sweep import sweep
from anju.core import clock
from anju.core.crypto import id_cipher
from anju.core.identity import SYSTEM, job_actor
from anju.core.policy import Actor, Role
from anju.registry import service as registry
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
    "case.open":     ("ok/404", NO, NO, NO, NO, NO, NO, NO, NO, "ok/404", NO, NO, NO),
    "case.find":     ("ok/404", "404/404", NO, NO, NO, NO, NO, NO, NO, "ok/404", NO, NO, NO),
    "case.read":     ("ok/404", "404/404", NO, NO, "ok/404", NO, NO, NO, NO, "ok/404",
                      "ok/404", "ok/404", NO),
    "case.mine":     ("ok/-", "empty/-", NO, NO, "empty/-", NO, NO, NO, NO, "empty/-",
                      "empty/-", "empty/-", NO),
    "case.queue":    ("ok/-", "empty/-", NO, NO, "ok/-", NO, NO, NO, NO, "ok/-", "ok/-", "ok/-",
                      NO),
    "case.accept":   (NO, NO, NO, NO, "ok/404", NO, NO, NO, NO, NO, "ok/404", NO, NO),
    "case.not_accept": (NO, NO, NO, NO, "ok/404", NO, NO, NO, NO, NO, "ok/404", NO, NO),
    "case.start":    (NO, NO, NO, NO, "ok/404", NO, NO, NO, NO, NO, "ok/404", "ok/404", NO),
    "case.request_supplement": (NO, NO, NO, NO, "ok/404", NO, NO, NO, NO, NO, "ok/404",
                                "ok/404", NO),
    "case.decide":   (NO, NO, NO, NO, "ok/404", NO, NO, NO, NO, NO, "ok/404", "ok/404", NO),
    "case.supply":   ("ok/404", "404/404", NO, NO, NO, NO, NO, NO, NO, "ok/404", NO, NO, NO),
    "case.withdraw": ("ok/404", "404/404", NO, NO, NO, NO, NO, NO, NO, "ok/404", NO, NO, NO),
    "case.transfer": (NO, NO, NO, NO, "ok/404", NO, NO, NO, NO, NO, "ok/404", NO, NO),
    "case.counts":   (NO, NO, NO, NO, NO, NO, "ok/-", NO, NO, NO, "ok/-", NO, NO),
    "case.sweep":    (NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, "ok/ok"),
}
# a person's own case is not on their own trail; counts name no one; a sweep with nothing due
OWN = {"case.read", "case.mine", "case.queue", "case.find"}
UNAUDITED = {"case.counts", "case.sweep"}
CASE_FIELDS = {"case_id", "service_code", "person_code", "applicant_name", "department",
               "provider_code", "division_code", "status", "channel", "submitted_at",
               "paused_working_days", "warning", "provisional_calendar", "form", "evidence",
               "approvals", "history"}
FOREIGN_TOWN = "330523001000"  # 递铺街道, 安吉县
PROVIDER = "provider:legal_1"
FORM = {"from_province": "安徽省"}


class Setup:
    """Inside: the resident's three cases — submitted (S), accepted (A), waiting for a supplement
    (P) — with human resources, assigned to the provider. Outside: a submitted case of a person
    who lives in another county."""

    def __init__(self, db):
        self.db = db
        clock.pin_today(date(2026, 3, 2))
        police = make_account(db, "police", division=COUNTY)
        foreign_police = make_account(db, "police", division=OTHER_COUNTY)
        landlord = make_person(db, police, "李建国", id_number=valid_id("330522"))
        self.landlord_code = landlord
        self.resident_id = valid_id("341221")
        self.stranger_id = valid_id("412721")
        self.resident_code = make_person(db, police, "王芳", id_number=self.resident_id)
        self.stranger_code = make_person(db, foreign_police, "陈静", id_number=self.stranger_id)
        foreign_landlord = make_person(db, foreign_police, "赵磊", id_number=valid_id("510724"))
        house = make_house(db, police, landlord)
        foreign = make_house(db, foreign_police, foreign_landlord, division=FOREIGN_TOWN)
        for person, room, approver in ((self.resident_code, house, police),
                                       (self.stranger_code, foreign, foreign_police)):
            reg = submit(db, approver, person, room["rooms"][0]["room_id"])
            with db.unit_of_work() as s:
                registry.approve_registration(s, approver, reg)
        resident = make_account(db, "resident", person_code=self.resident_code)
        stranger = make_account(db, "resident", person_code=self.stranger_code)
        officer = make_account(db, "dept_officer", department="renshe")
        ids = []
        for who in (resident, resident, resident, stranger):
            with db.unit_of_work() as s:
                ids.append(cases.open_case(s, who, CaseIn(
                    service_code="social_insurance_transfer", form=FORM)).case_id)
        self.submitted, self.accepted, self.paused, self.outside = ids
        with db.unit_of_work() as s:
            cases.accept(s, officer, self.accepted)
            cases.accept(s, officer, self.paused)
            cases.request_supplement(s, officer, self.paused, "请补充参保凭证")
            for case_id in ids[:3]:
                s.get(Case, case_id).provider_code = PROVIDER

    def actor(self, role: str, inside: bool) -> Actor:
        if role == "system":
            return SYSTEM if inside else job_actor("cases.daily")
        if role == "service_provider":  # a provider's account carries its code as department
            return Actor(None, "provider-1", Role.SERVICE_PROVIDER, "330522000000", PROVIDER)
        kw = {}
        if role == "resident":
            kw["person_code"] = self.resident_code
        elif role == "landlord":
            kw["person_code"] = self.landlord_code
        elif role in ("dept_officer", "dept_supervisor"):
            kw["department"] = "renshe"
        return make_account(self.db, role, division=COUNTY, **kw)

    def call(self, op: str, session, actor: Actor, inside: bool):
        def target(which: int) -> int:
            return which if inside else self.outside

        match op:
            case "case.open":
                person = self.resident_code if inside else self.stranger_code
                consent = ConsentIn(method="in_person") \
                    if actor.role is Role.WINDOW_CLERK else None
                return cases.open_case(session, actor, CaseIn(
                    service_code="social_insurance_transfer", person_code=person, form=FORM,
                    consent=consent))
            case "case.find":
                return cases.find_applicant(session, actor,
                                            self.resident_id if inside else self.stranger_id)
            case "case.read":
                return cases.read_case(session, actor, target(self.submitted))
            case "case.mine":
                return stats.my_cases(session, actor)
            case "case.queue":
                return list(stats.queue(session, actor))
            case "case.accept":
                return cases.accept(session, actor, target(self.submitted))
            case "case.not_accept":
                return cases.not_accept(session, actor, target(self.submitted), "不属于受理范围")
            case "case.start":
                return cases.start(session, actor, target(self.accepted))
            case "case.request_supplement":
                return cases.request_supplement(session, actor, target(self.accepted), "请补充")
            case "case.decide":
                return cases.decide(session, actor, target(self.accepted), "rejected",
                                    "材料不实")
            case "case.supply":
                return cases.supply(session, actor, target(self.paused), FORM)
            case "case.withdraw":
                return cases.withdraw(session, actor, target(self.submitted))
            case "case.transfer":
                return cases.transfer(session, actor, target(self.submitted), "minzheng")
            case "case.counts":
                return stats.counts(session, actor)
            case "case.sweep":
                return sweep(session, actor)
        raise AssertionError(op)


@pytest.mark.parametrize("role", ROLES)
def test_cases_permission_matrix(db, role):
    setup = Setup(db)
    assert id_cipher()  # the ID numbers of the setup were encrypted with the test key
    found = mismatches(db, MATRIX, ROLES, role, setup.actor,
                       lambda op, session, actor, inside: setup.call(op, session, actor, inside),
                       audit_optional=OWN, unaudited=UNAUDITED,
                       fields=lambda op, role, inside: CASE_FIELDS if op == "case.read"
                       else None)
    assert not found, "\n".join(found)
