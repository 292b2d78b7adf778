"""The permission matrix for evidence, the service guide and the permit check: every role ×
operation × inside / outside its reach, at the service layer (the API and pages inherit it),
with the exact fields each "ok" answer carries. Same conventions as
tests/exchange/test_permissions.py. Written out by hand: it is the specification."""
from __future__ import annotations

from datetime import date

import pytest

from anju.cases import catalogue
from anju.cases.models import Case
from anju.cases.service import evidence, guide, permits
from anju.core import clock, signing
from anju.core.access import Access
from anju.core.policy import Actor, Role
from anju.registry import service as registry
from tests.factories import COUNTY, OTHER_COUNTY, build_world, make_account, submit
from tests.support.matrix import mismatches

ROLES = ["resident", "landlord", "window_clerk", "dept_officer", "dept_supervisor",
         "service_provider", "police", "grid_worker", "data_steward", "analyst", "auditor",
         "admin"]
NO = "403/403"
OK = "ok/ok"
# op: (resident, landlord, window_clerk, dept_officer, dept_supervisor, service_provider, police,
#      grid_worker, data_steward, analyst, auditor, admin)
MATRIX = {
    "evidence.read": ("ok/404", "ok/404", "ok/404", "ok/404", "ok/404", "ok/404",
                      NO, NO, NO, NO, NO, NO),
    "evidence.supply": ("ok/404", "ok/404", "ok/404", NO, NO, NO, NO, NO, NO, NO, NO, NO),
    "services.read": (OK, OK, OK, OK, OK, OK, NO, NO, NO, OK, NO, OK),
    # public: anyone (signed in or not) may check a permit's QR text
    "permit.verify": (OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK),
}
UNAUDITED = {"services.read"}  # the catalogue names nobody
# a person's own reads and uploads are not on their own trail; anyone else's are
AUDIT_OPTIONAL = {"evidence.read", "evidence.supply"}
EVIDENCE = {"item", "label_zh", "label_en", "source", "obtained_on", "supplied_by_applicant",
            "needed"}
FIELDS = {
    "evidence.read": EVIDENCE | {"value"},  # a pulled item: its reduced value, never more
    "evidence.supply": EVIDENCE | {"document"},
    "services.read": {"code", "name_zh", "name_en", "department", "departments",
                      "time_limit_working_days", "evidence", "form", "guide", "pulled_share"},
    "permit.verify": {"valid", "reason", "reason_zh", "reason_en", "permit_number", "holder",
                      "valid_from", "valid_until"},
}
PROVIDER = "provider:legal_aid_1"
PDF = b"%PDF-1.4\n"


class Setup:
    """A legal-aid case of a resident who lives in the county and holds a permit, handled by the
    justice bureau and assigned to a legal-aid station."""

    def __init__(self, db):
        clock.pin_today(date(2026, 3, 2))
        signing.ensure_key()
        self.db = db
        world = build_world(db)
        self.person = world.resident.person_code
        reg = submit(db, world.landlord, self.person, world.room_id, start=date(2025, 6, 2))
        with db.unit_of_work() as s:
            registry.approve_registration(s, world.police, reg)
        with db.unit_of_work() as s:
            self.payload = registry.issue_permit(s, world.police, self.person).qr_payload
            service = catalogue.load()["legal_aid"]
            case = Case(service_code="legal_aid", person_code=self.person,
                        division_code="330522001000", department="sifa",
                        provider_code=PROVIDER, status="submitted", channel="online",
                        opened_by="resident", form={})
            s.add(case)
            s.flush()
            evidence.collect(Access(s, world.resident), case, service)
            self.case = case.id
        self.other = world.landlord.person_code  # someone who is not the applicant

    def actor(self, role: str, inside: bool):
        kw: dict = {}
        division = COUNTY if inside else OTHER_COUNTY
        if role in ("resident", "landlord"):  # inside: the applicant; outside: someone else
            kw["person_code"] = self.person if inside else self.other
            division = COUNTY
        if role in ("dept_officer", "dept_supervisor"):
            kw["department"] = "sifa"
        if role == "service_provider":  # its account carries its provider code as department
            return Actor(None, f"provider-{inside}", Role.SERVICE_PROVIDER, "330522000000",
                         PROVIDER if inside else "provider:legal_aid_2")
        return make_account(self.db, role, division=division, **kw)

    def call(self, op: str, session, actor, inside: bool):
        match op:
            case "evidence.read":
                return [e for e in evidence.case_evidence(session, actor, self.case)
                        if e.item == "residence"]
            case "evidence.supply":
                return evidence.supply(session, actor, self.case, "case_papers", "a.pdf", PDF)
            case "services.read":
                return guide.list_services(session, actor)
            case "permit.verify":
                return permits.verify(session, self.payload)
        raise AssertionError(op)


@pytest.mark.parametrize("role", ROLES)
def test_evidence_permission_matrix(db, role):
    setup = Setup(db)
    found = mismatches(db, MATRIX, ROLES, role, setup.actor,
                       lambda op, session, actor, inside: setup.call(op, session, actor, inside),
                       unaudited=UNAUDITED, audit_optional=AUDIT_OPTIONAL,
                       fields=lambda op, role, inside: FIELDS.get(op))
    assert not found, "\n".join(found)
