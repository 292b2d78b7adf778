"""The permission matrix: every role × every registry action × inside / outside its reach, at the
service layer (so the API, the pages and the CLI inherit it).

Outcomes: "ok"; "empty" — allowed, but a search finds nothing within reach; "403" — the role may never do this; "404" — the role may, but this record is
outside its reach, and so looks missing. The table is written out by hand on purpose: it is the
specification the policy module must satisfy, not a copy of it.
"""
from __future__ import annotations

from datetime import date

import pytest

from anju.core import audit
from anju.core.errors import NotFound
from anju.registry import houses, service
from anju.registry.schemas import HouseIn, HouseUpdateIn, PersonIn, RegistrationIn, RoomIn
from tests.factories import (
    COUNTY,
    OTHER_COUNTY,
    TOWNSHIP,
    make_account,
    make_house,
    make_person,
    submit,
    valid_id,
)
from tests.support.matrix import mismatches

ROLES = ["resident", "landlord", "grid_worker", "police", "dept_officer", "data_steward",
         "analyst", "auditor", "admin"]

# op: (resident, landlord, grid_worker, police, dept_officer, data_steward, analyst, auditor, admin)
# each cell "inside/outside"
MATRIX = {
    "person.read":          ("ok/404", "ok/404", "ok/404", "ok/404", "ok/404", "ok/404", "403/403", "403/403", "403/403"),
    "person.search":        ("403/403", "403/403", "ok/empty", "ok/empty", "ok/empty", "ok/empty", "403/403", "403/403", "403/403"),
    "person.create":        ("403/403", "ok/ok", "ok/ok", "ok/ok", "403/403", "403/403", "403/403", "403/403", "403/403"),
    "house.create":         ("403/403", "ok/404", "ok/404", "ok/404", "403/403", "403/403", "403/403", "403/403", "403/403"),
    "house.read":           ("ok/404", "ok/404", "ok/404", "ok/404", "403/403", "403/403", "403/403", "403/403", "403/403"),
    "house.update":         ("403/403", "ok/404", "ok/404", "ok/404", "403/403", "403/403", "403/403", "403/403", "403/403"),
    "registration.submit":  ("ok/404", "ok/404", "ok/404", "ok/404", "403/403", "403/403", "403/403", "403/403", "403/403"),
    "registration.read":    ("ok/404", "ok/404", "ok/404", "ok/404", "ok/404", "403/403", "403/403", "403/403", "403/403"),
    "registration.approve": ("403/403", "403/403", "403/403", "ok/404", "403/403", "403/403", "403/403", "403/403", "403/403"),
    "registration.end":     ("ok/404", "ok/404", "ok/404", "ok/404", "403/403", "403/403", "403/403", "403/403", "403/403"),
    "permit.read":          ("ok/404", "404/404", "ok/404", "ok/404", "ok/404", "403/403", "403/403", "403/403", "403/403"),
    "permit.issue":         ("403/403", "403/403", "403/403", "ok/404", "403/403", "403/403", "403/403", "403/403", "403/403"),
    "access_log.read":      ("ok/-", "ok/-", "403/-", "403/-", "403/-", "403/-", "403/-", "403/-", "403/-"),
    "audit.verify":         ("403/-", "403/-", "403/-", "403/-", "403/-", "403/-", "403/-", "ok/-", "ok/-"),
}

# ops whose "ok" outcome is a domain refusal after the policy passed (not a permission answer)
POLICY_PASSED_OK = {"permit.issue"}
# a resident reading their own access log is not itself logged (it would log forever)
UNAUDITED = {"access_log.read"}


class Setup:
    """Two houses in one township; the resident rents in the landlord's house (A), a stranger
    rents in someone else's (B). "Inside" for residents/landlords means their own person or
    property; for office roles it means an account for the county vs. one for another county."""

    def __init__(self, db):
        self.db = db
        police = make_account(db, "police", division=COUNTY)
        self.landlord_code = make_person(db, police, "李建国", id_number=valid_id("330522"))
        other_landlord = make_person(db, police, "周海", id_number=valid_id("330522"))
        self.resident_code = make_person(db, police, "王芳", id_number=valid_id("341221"))
        self.stranger_code = make_person(db, police, "陈静", id_number=valid_id("412721"))
        self.house_a = make_house(db, police, self.landlord_code)
        self.house_b = make_house(db, police, other_landlord)
        self.reg_a = submit(db, police, self.resident_code, self.house_a["rooms"][0]["room_id"])
        self.reg_b = submit(db, police, self.stranger_code, self.house_b["rooms"][0]["room_id"])
        self.free_a = make_person(db, police, "新租客", id_number=valid_id("510722"))
        self.free_b = make_person(db, police, "外人", id_number=valid_id("510723"))

    def actor(self, role: str, inside: bool):
        kw = {}
        if role == "resident":
            kw["person_code"] = self.resident_code
        elif role == "landlord":
            kw["person_code"] = self.landlord_code
        elif role == "dept_officer":
            kw["department"] = "hrss"
        division = COUNTY if inside or role in ("resident", "landlord") else OTHER_COUNTY
        return make_account(self.db, role, division=division, **kw)

    def call(self, op: str, session, actor, inside: bool, role: str):
        own = role in ("resident", "landlord")
        # Whose records: the resident's (theirs, the landlord's tenant's) when inside, else the
        # stranger's; office roles reach the same records from inside or outside the county.
        person = self.resident_code if inside else self.stranger_code
        reg, house = (self.reg_a, self.house_a) if own and inside else (self.reg_b, self.house_b)
        free = self.free_a if inside else self.free_b
        # a landlord creating a house for someone else is outside their reach
        landlord = self.resident_code if role == "landlord" and not inside else self.landlord_code
        match op:
            case "person.read":
                return service.read_person(session, actor, person)
            case "person.search":
                return service.search_persons(session, actor, "陈静")
            case "person.create":
                return service.create_person(session, actor, PersonIn(name="新人", id_number=valid_id("421023")))
            case "house.create":
                return service.create_house(session, actor, HouseIn(
                    address="雉城街道新街 1 号", division_code=TOWNSHIP,
                    landlord_person_code=landlord, rooms=[RoomIn(label="1", capacity=1)]))
            case "house.read":
                return service.read_house(session, actor, house["house_id"])
            case "house.update":
                return houses.update_house(session, actor, house["house_id"],
                                           HouseUpdateIn(address="雉城街道新街 9 号"))
            case "registration.submit":
                subject = self.resident_code if role == "resident" else free
                if role == "resident" and not inside:
                    subject = self.stranger_code
                room = house["rooms"][1]["room_id"]
                if role == "resident":
                    # a resident may register themselves (after ending their current one) …
                    service.end_registration(session, actor, self.reg_a, date(2026, 1, 5)) if inside else None
                return service.submit_registration(session, actor, RegistrationIn(
                    person_code=subject, room_id=room, start_date=date(2026, 2, 1), reason="work"))
            case "registration.read":
                return service.read_registration(session, actor, reg)
            case "registration.approve":
                return service.approve_registration(session, actor, reg)
            case "registration.end":
                return service.end_registration(session, actor, reg, date(2026, 3, 1))
            case "permit.read":
                return service.permit_eligibility(session, actor, person)
            case "permit.issue":
                return service.issue_permit(session, actor, person)
            case "access_log.read":
                return service.my_access_log(session, actor)
            case "audit.verify":
                return audit.verify(session, actor)
        raise AssertionError(op)


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(db, role):
    setup = Setup(db)
    found = mismatches(db, MATRIX, ROLES, role, setup.actor,
                       lambda op, session, actor, inside: setup.call(op, session, actor, inside, role),
                       unaudited=UNAUDITED, audit_optional=POLICY_PASSED_OK)
    assert not found, "\n".join(found)


def test_denied_access_is_not_audited_as_a_read(db):
    """A 404 answer must not leave a trace that the record exists (no audit entry naming it)."""
    setup = Setup(db)
    outsider = setup.actor("police", inside=False)
    with db.unit_of_work() as s:
        before = audit.count(s)
    with pytest.raises(NotFound), db.unit_of_work() as s:
        service.read_person(s, outsider, setup.stranger_code)
    with db.unit_of_work() as s:
        assert audit.count(s) == before
