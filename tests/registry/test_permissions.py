"""The permission matrix: every role × every registry action × inside / outside its reach, at the
service layer (so the API, the pages and the CLI inherit it).

Outcomes: "ok"; "empty" — allowed, but a search finds nothing within reach; "403" — the role may
never do this; "404" — the role may, but this record is outside its reach, and so looks missing;
an error code — a refusal the cell names. Every "ok" answer also carries exactly the fields of the
role's purpose (`expected_fields`). The table is written out by hand on purpose: it is the
specification the policy module must satisfy, not a copy of it.
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from anju.core import audit, auditlog
from anju.core.errors import Forbidden, NotFound
from anju.core.models import AuditRecord
from anju.registry import service
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
    verified,
)
from tests.support.matrix import mismatches

FOREIGN_TOWN = "330523001000"  # 递铺街道, 安吉县: another county

ROLES = ["resident", "landlord", "grid_worker", "police", "dept_officer", "data_steward",
         "analyst", "auditor", "admin"]
NO = "403/403"

# op: (resident, landlord, grid_worker, police, dept_officer, data_steward, analyst, auditor, admin)
# each cell "inside/outside"; an error code names a refusal the cell expects
MATRIX = {
    "person.read":          ("ok/404", "ok/404", "ok/404", "ok/404", "ok/404", "ok/404", NO, NO, NO),
    "person.search":        (NO, NO, "ok/empty", "ok/empty", "ok/empty", "ok/empty", NO, NO, NO),
    "person.create":        (NO, "ok/ok", "ok/ok", "ok/ok", NO, NO, NO, NO, NO),
    # an ID number already recorded: "inside" someone the actor reaches, "outside" someone they
    # do not, named correctly (the code and nothing else) or wrongly (refused)
    "person.create.existing": (NO, "ok/ok", "ok/ok", "ok/ok", NO, NO, NO, NO, NO),
    "person.create.mismatch": (NO, "ok/name_id_mismatch", "ok/name_id_mismatch",
                               "ok/name_id_mismatch", NO, NO, NO, NO, NO),
    "house.create":         (NO, "ok/404", "ok/404", "ok/404", NO, NO, NO, NO, NO),
    # a house in the actor's own reach, naming as landlord a person they do not reach
    "house.create.foreign_landlord": (NO, "404/404", "landlord_unknown/landlord_unknown",
                                      "landlord_unknown/landlord_unknown", NO, NO, NO, NO, NO),
    "house.read":           ("ok/404", "ok/404", "ok/404", "ok/404", NO, NO, NO, NO, NO),
    "house.update":         (NO, "ok/404", "ok/404", "ok/404", NO, NO, NO, NO, NO),
    "registration.submit":  ("ok/404", "ok/404", "ok/404", "ok/404", NO, NO, NO, NO, NO),
    # submit someone into a room in reach, then read them: a submission brings nobody into
    # reach ("inside": a person the office already reaches; a landlord: a person who is not
    # their tenant yet, in their own room; "outside": someone else, in a room of one's own)
    "registration.submit_then_read": ("-/404", "404/404", "ok/404", "ok/404", NO, NO, NO, NO, NO),
    "registration.read":    ("ok/404", "ok/404", "ok/404", "ok/404", "ok/404", NO, NO, NO, NO),
    "registration.list":    ("ok/-", "ok/-", "ok/empty", "ok/empty", "ok/empty", NO, NO, NO, NO),
    "registration.approve": (NO, NO, NO, "ok/404", NO, NO, NO, NO, NO),
    "registration.end":     ("ok/404", "ok/404", "ok/404", "ok/404", NO, NO, NO, NO, NO),
    "permit.read":          ("ok/404", "404/404", "ok/404", "ok/404", "ok/404", NO, NO, NO, NO),
    # a department officer issues only as public security's (gongan, deciding a permit case);
    # the matrix's officer is human resources': out of reach, as if missing
    "permit.issue":         (NO, NO, NO, "ok/404", "404/404", NO, NO, NO, NO),
    "access_log.read":      ("ok/-", "ok/-", "403/-", "403/-", "403/-", "403/-", "403/-", "403/-", "403/-"),
    "audit.verify":         ("403/-", "403/-", "403/-", "403/-", "403/-", "403/-", "403/-", "ok/-", "ok/-"),
}

# ops whose "ok" outcome is a domain refusal after the policy passed (not a permission answer),
# or lists that audit only other people's records (a resident listing their own)
POLICY_PASSED_OK = {"permit.issue", "registration.list"}
# ops that submit first, then try what the cell is about
COMPOSITE = {"registration.submit_then_read"}
# a resident reading their own access log is not itself logged (it would log forever)
UNAUDITED = {"access_log.read"}

# --- the exact fields each role is answered (non-null), per purpose (docs/architecture.md) ------
PERSON = {"person_code", "name", "id_number", "sex", "birth_date", "phone", "hukou_address",
          "hukou_division_code", "division_code", "status"}
VIEW = {"purpose", "id_number_masked"}  # what the view says about itself
PERSON_FIELDS = {
    "resident": PERSON | VIEW,
    "landlord": {"person_code", "name", "id_number", "sex", "phone", "status"} | VIEW,
    "grid_worker": {"person_code", "name", "id_number", "sex", "birth_date", "phone",
                    "hukou_address", "division_code", "status"} | VIEW,
    "police": PERSON | VIEW,
    "dept_officer": {"person_code", "name", "id_number"} | VIEW,  # hrss: employment
    "data_steward": PERSON | VIEW,
}
RESOLVED = {"person_code", "existing", "warnings"}  # an ID number the actor reaches already
PROVED = {"person_code", "existing"}  # an ID number proved by the name: the code, nothing else
REG = {"registration_id", "person_code", "division_code", "start_date", "reason", "status",
       "warnings", "submitted_at"}
DECIDED = {"decided_by", "decided_at"}
WHERE = {"room_id", "address", "room_label"}  # where the person lives
HOUSE = {"house_id", "address", "division_code", "division_name", "rooms"}


def expected_fields(op: str, role: str, inside: bool) -> set[str] | None:
    own = role in ("resident", "landlord")
    match op:
        case "person.read" | "person.search" | "registration.submit_then_read":
            return PERSON_FIELDS.get(role)
        case "person.create":
            return RESOLVED if role == "landlord" else PERSON_FIELDS[role] | RESOLVED
        case "person.create.existing":
            return RESOLVED if inside else PROVED
        case "person.create.mismatch":
            return RESOLVED
        case "house.read":
            return HOUSE if role == "resident" else HOUSE | {"landlord_person_code"}
        case "house.create":
            return HOUSE | {"landlord_person_code"}
        case "registration.read" | "registration.list":
            where = WHERE if role != "dept_officer" else set()
            return REG | where | {"person_name"} | (DECIDED if own else set())
        case "registration.submit":
            return REG | {"room_id"}
        case "registration.approve":
            return REG | DECIDED | {"room_id"}
        case "registration.end":
            return REG | {"room_id", "end_date"} | (DECIDED if own else set())
    return None


def _person(db, actor, name: str, region: str) -> tuple[str, str]:
    number = valid_id(region)
    return make_person(db, actor, name, id_number=number, phone="13900001234",
                       hukou_address="安徽省阜阳市临泉县城关镇"), number


class Setup:
    """Two houses in one township; the resident rents in the landlord's house (A, approved), a
    stranger asks to rent in someone else's (B, submitted); a third house lies in another county
    (C), let by a person who lives there. "Inside" for residents/landlords means their own person
    or property; for office roles it means an account for the county vs. one for another county."""

    def __init__(self, db):
        self.db = db
        police = make_account(db, "police", division=COUNTY)
        foreign_police = make_account(db, "police", division=OTHER_COUNTY)
        self.landlord_code, _ = _person(db, police, "李建国", "330522")
        other_landlord, _ = _person(db, police, "周海", "330522")
        self.resident_code, self.resident_id = _person(db, police, "王芳", "341221")
        self.stranger_code, self.stranger_id = _person(db, police, "陈静", "412721")
        self.foreigner_code, _ = _person(db, foreign_police, "赵磊", "510724")
        self.house_a = make_house(db, police, self.landlord_code)
        self.house_b = make_house(db, police, other_landlord)
        self.house_c = make_house(db, foreign_police, self.foreigner_code, division=FOREIGN_TOWN)
        self.reg_a = submit(db, police, self.resident_code, self.house_a["rooms"][0]["room_id"])
        with db.unit_of_work() as s:
            service.approve_registration(s, police, self.reg_a)
        self.reg_b = submit(db, police, self.stranger_code, self.house_b["rooms"][0]["room_id"])
        self.free_a, _ = _person(db, police, "新租客", "510722")
        self.free_b, _ = _person(db, police, "外人", "510723")

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
        # an ID number already recorded: one the actor reaches (inside), or one they do not
        known_id, known_name = (self.resident_id, "王芳") if role == "landlord" and inside \
            else (self.stranger_id, "陈静")
        match op:
            case "person.read":
                return service.read_person(session, actor, person)
            case "person.search":
                return service.search_persons(session, actor, "陈静")
            case "person.create":
                return service.create_person(session, actor, PersonIn(
                    name="新人", id_number=valid_id("421023"), phone="13900005678",
                    hukou_address="湖北省荆州市监利县"))
            case "person.create.existing":
                return service.create_person(session, actor, PersonIn(
                    name=f" {known_name} ", id_number=known_id))
            case "person.create.mismatch":
                return service.create_person(session, actor, PersonIn(
                    name="冒名者", id_number=known_id))
            case "house.create":
                return service.create_house(session, actor, HouseIn(
                    address="雉城街道新街 1 号", division_code=TOWNSHIP,
                    landlord_person_code=landlord, rooms=[RoomIn(label="1", capacity=1)]))
            case "house.create.foreign_landlord":
                division = TOWNSHIP if inside or own else FOREIGN_TOWN
                stranger = self.foreigner_code if inside and not own else self.stranger_code
                return service.create_house(session, actor, HouseIn(
                    address="新街 2 号", division_code=division, landlord_person_code=stranger,
                    rooms=[RoomIn(label="1", capacity=1)]))
            case "house.read":
                return service.read_house(session, actor, house["house_id"])
            case "house.update":
                return service.update_house(session, actor, house["house_id"],
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
                    person_code=subject, room_id=room, start_date=date(2026, 2, 1),
                    reason="work"))[0]
            case "registration.submit_then_read":
                if own:
                    subject, room = self.free_a if inside else self.stranger_code, house["rooms"][1]
                else:
                    subject, room = (self.free_a, self.house_b["rooms"][1]) if inside else \
                        (self.free_b, self.house_c["rooms"][0])
                service.submit_registration(session, actor, RegistrationIn(
                    person_code=subject, room_id=room["room_id"], start_date=date(2026, 2, 1),
                    reason="work"))
                return service.read_person(session, actor, subject)
            case "registration.read":
                return service.read_registration(session, actor, reg)
            case "registration.list":
                return service.list_registrations(session, actor,
                                                  status="approved" if own else "submitted")
            case "registration.approve":
                return service.approve_registration(session, actor, reg)
            case "registration.end":
                return service.end_registration(session, actor, reg, date(2026, 3, 1))
            case "permit.read":
                return service.permit_eligibility(session, actor, person)
            case "permit.issue":
                return service.issue_permit(session, actor, person)
            case "access_log.read":
                return auditlog.my_access_log(session, actor)
            case "audit.verify":
                return auditlog.verify(session, actor)
        raise AssertionError(op)


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(db, role):
    setup = Setup(db)
    found = mismatches(db, MATRIX, ROLES, role, setup.actor,
                       lambda op, session, actor, inside: setup.call(op, session, actor, inside, role),
                       unaudited=UNAUDITED, audit_optional=POLICY_PASSED_OK,
                       fields=expected_fields, composite=COMPOSITE)
    assert not found, "\n".join(found)


def test_refused_access_is_an_attempt_on_the_chain_not_a_read(db):
    """A 404 answer leaves nothing the actor can see and no entry of a read; the refused attempt
    is on the chain (written after the request's rollback) and in the person's access log."""
    setup = Setup(db)
    outsider = setup.actor("police", inside=False)
    with db.unit_of_work() as s:
        before = s.execute(select(func.coalesce(func.max(AuditRecord.id), 0))).scalar_one()
    with pytest.raises(NotFound), db.unit_of_work() as s:
        service.read_person(s, outsider, setup.stranger_code)
    with db.unit_of_work() as s:
        new = s.execute(select(AuditRecord).where(AuditRecord.id > before)).scalars().all()
        assert [(e.action, e.person_code, e.username, audit.is_attempt(e)) for e in new] == \
            [("person.read", setup.stranger_code, outsider.username, True)]
        assert new[0].detail == {"outcome": "refused", "status": 404}
    assert verified(db).ok
    # the outsider cannot read the chain, so the entry tells them nothing …
    with pytest.raises(Forbidden), db.unit_of_work() as s:
        auditlog.recent(s, outsider)
    # … while the person sees the refused attempt in their own access log
    stranger = make_account(db, "resident", person_code=setup.stranger_code)
    with db.unit_of_work() as s:
        log = auditlog.my_access_log(s, stranger)
    refused = [e for e in log if e.refused]
    assert [(e.official, e.action) for e in refused] == [(outsider.username, "person.read")]
