"""The permission matrix for housing's personal-data reads and the writes that take a person code:
every role × action × inside / outside its reach, at the service layer. Same conventions as
tests/registry/test_permissions.py: "ok"; "empty" — allowed, nothing within reach; "403" — the
role may never do this; "404" — outside reach, so it looks missing. Every "ok" answer carries
exactly the fields of the role's purpose. Written out by hand: it is the specification.

The system column is the console's and the scheduled jobs' identity (no account holds it): the
daily job's steps and the county settings are refused to everyone else."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from anju.core.identity import SYSTEM, job_actor
from anju.housing import events, service
from anju.housing.models import HousingTask
from anju.housing.schemas import ConsentIn
from anju.registry import service as registry
from anju.registry.schemas import PersonIn, RegistrationIn
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
         "analyst", "auditor", "admin", "system"]
NO = "403/403"
# op: (resident, landlord, grid_worker, police, dept_officer, data_steward, analyst, auditor, admin,
#      system)
MATRIX = {
    "key.read":               ("ok/404", "ok/404", "ok/404", "ok/404", NO, NO, NO, NO, NO, NO),
    # submit someone into a room in reach, then ask for their keys / fees: a submission of
    # one's own brings nobody into reach (landlord "inside": their own room)
    "key.read_after_submit":  ("-/404", "404/404", "empty/404", "empty/404", NO, NO, NO, NO, NO,
                               "-/-"),
    "fee.read":               ("ok/404", "ok/404", NO, NO, NO, NO, NO, NO, NO, NO),
    "fee.read_after_submit":  ("-/404", "404/404", NO, NO, NO, NO, NO, NO, NO, "-/-"),
    "task.read":              (NO, NO, "ok/empty", "ok/empty", NO, NO, NO, NO, NO, NO),
    "consent.record":         (NO, NO, "ok/404", NO, NO, NO, NO, NO, NO, NO),
    # a consent: the landlord's own / another landlord's (the grid worker outside: another county)
    "consent.read":           (NO, "ok/404", "ok/404", NO, NO, NO, NO, NO, NO, NO),
    "consent.list":           (NO, "ok/empty", "ok/empty", NO, NO, NO, NO, NO, NO, NO),
    "assist.actions":         (NO, "ok/empty", "ok/empty", NO, NO, NO, NO, NO, NO, NO),
    # only the landlord, or the grid worker the consent was given to (not another worker here)
    "consent.withdraw":       (NO, "ok/404", "404/404", NO, NO, NO, NO, NO, NO, NO),
    # the county's settings: who administers them
    "policy.read":            (NO, NO, NO, NO, NO, NO, NO, NO, "ok/ok", "ok/ok"),
    # the daily job's steps: the system (the job's actor) only
    "job.reduce":             (NO, NO, NO, NO, NO, NO, NO, NO, NO, "ok/ok"),
    "job.sweep_keys":         (NO, NO, NO, NO, NO, NO, NO, NO, NO, "ok/ok"),
    "job.detect_tasks":       (NO, NO, NO, NO, NO, NO, NO, NO, NO, "ok/ok"),
}
COMPOSITE = {"key.read_after_submit", "fee.read_after_submit"}
# a tenant reading their own keys and fees, a landlord their own consents and what was done for
# them (a grid worker's reads of them are audited: test_assist.py)
OWN_UNAUDITED = {"key.read", "fee.read", "consent.read", "consent.list", "assist.actions"}
# no one's personal data: the county's settings; a job step that found nothing to do here
UNAUDITED = {"policy.read", "job.sweep_keys", "job.detect_tasks"}
FOREIGN_TOWN = "330523001000"  # 递铺街道, 安吉县

WHERE = {"room_id", "address", "room_label"}
FIELDS = {
    # whose key or statement: the name masked, for every purpose that has names
    "key.read": {"key_id", "person_code", "registration_id", "kind", "status", "valid_from",
                 "issued_at", "person_name"} | WHERE,
    "fee.read": {"statement_id", "month", "person_code", "registration_id", "fee_fen",
                 "amount_fen", "paid_fen", "status", "payments", "person_name"} | WHERE,
    "task.read": {"task_id", "kind", "kind_zh", "status", "division_code", "division_name",
                  "person_code", "person_name", "key_id", "registration_id", "detail",
                  "created_at"} | WHERE,
    "consent.read": {"consent_id", "landlord_person_code", "landlord_name", "grid_worker",
                     "method", "reference", "consented_at", "valid_until", "recorded_at", "live"},
    "assist.actions": {"action_id", "consent_id", "landlord_person_code", "landlord_name",
                       "grid_worker", "action", "object_type", "object_id", "done_at",
                       "consent_method", "consent_reference"},
}
FIELDS["consent.list"] = FIELDS["consent.read"]
FIELDS["consent.withdraw"] = FIELDS["consent.read"] - {"landlord_name"} | {"withdrawn_at",
                                                                          "withdrawn_by"}


class Setup:
    """The resident rents in the landlord's house A (approved: a key, a February statement, a
    suspected move-out task); a stranger in someone else's house B (the same); house C lies in
    another county."""

    def __init__(self, db):
        self.db = db
        police = make_account(db, "police", division=COUNTY)
        foreign_police = make_account(db, "police", division=OTHER_COUNTY)
        self.landlord_code = make_person(db, police, "李建国", id_number=valid_id("330522"))
        other_landlord = make_person(db, police, "周海", id_number=valid_id("330522"))
        self.resident_code = make_person(db, police, "王芳", id_number=valid_id("341221"))
        self.stranger_code = make_person(db, police, "陈静", id_number=valid_id("412721"))
        foreigner = make_person(db, foreign_police, "赵磊", id_number=valid_id("510724"))
        self.house_a = make_house(db, police, self.landlord_code)
        self.house_b = make_house(db, police, other_landlord)
        self.house_c = make_house(db, foreign_police, foreigner, division=FOREIGN_TOWN)
        regs = [submit(db, police, self.resident_code, self.house_a["rooms"][0]["room_id"]),
                submit(db, police, self.stranger_code, self.house_b["rooms"][0]["room_id"])]
        with db.unit_of_work() as s:
            for reg in regs:
                registry.approve_registration(s, police, reg)
        with db.unit_of_work() as s:
            service.set_policy(s, SYSTEM, monthly_fee_fen=1500)
            service.generate_statements(s, SYSTEM, "2026-02")
            [key] = service.list_keys(s, police, self.resident_code)
            s.add(HousingTask(kind="suspected_move_out", subject=f"suspected_move_out:{key.key_id}",
                              status="open", division_code=self.house_a["division_code"],
                              room_id=key.room_id, person_code=self.resident_code,
                              key_id=key.key_id, registration_id=regs[0],
                              detail={"silent_days_at_least": 14}))
        self.free_a = make_person(db, police, "新租客", id_number=valid_id("510722"))
        self.free_b = make_person(db, police, "外人", id_number=valid_id("510723"))
        # a grid worker of the county recorded both landlords' consents and did something for
        # each under it
        grid = make_account(db, "grid_worker", division=COUNTY)
        self.consents = {}
        for inside, code, house in ((True, self.landlord_code, self.house_a),
                                    (False, other_landlord, self.house_b)):
            with db.unit_of_work() as s:
                consent = service.record_consent(s, grid, ConsentIn(
                    landlord_person_code=code, method="paper_form",
                    reference=f"雉城街道-协办同意书-{code}",
                    consented_at=datetime.now() - timedelta(hours=1)))
                self.consents[inside] = consent.consent_id
            with db.unit_of_work() as s:
                service.assisted_register_person(
                    s, grid, consent.consent_id, PersonIn(
                        name="代办租客", id_number=valid_id("510725" if inside else "510726")),
                    house["rooms"][1]["room_id"], date(2026, 2, 1), "work")
        self.other_landlord = other_landlord

    def actor(self, role: str, inside: bool):
        if role == "system":  # no account can hold the system role: the console's identity
            return SYSTEM if inside else job_actor("housing.daily")
        kw = {}
        if role == "resident":
            kw["person_code"] = self.resident_code
        elif role == "landlord":
            kw["person_code"] = self.landlord_code
        elif role == "dept_officer":
            kw["department"] = "housing"
        division = COUNTY if inside or role in ("resident", "landlord") else OTHER_COUNTY
        return make_account(self.db, role, division=division, **kw)

    def _submit(self, session, actor, role: str, inside: bool) -> str:
        """Someone submitted into a room the actor may register into (a landlord outside: a room
        not theirs, so the submission itself looks missing)."""
        if role in ("resident", "landlord"):
            house = self.house_a if inside else self.house_b
            subject, room = (self.free_a if role == "landlord" else self.stranger_code), \
                house["rooms"][1]
        else:
            subject, room = (self.free_a, self.house_b["rooms"][1]) if inside else \
                (self.free_b, self.house_c["rooms"][0])
        registry.submit_registration(session, actor, RegistrationIn(
            person_code=subject, room_id=room["room_id"], start_date=date(2026, 2, 1),
            reason="work"))
        return subject

    def call(self, op: str, session, actor, inside: bool, role: str):
        person = self.resident_code if inside else self.stranger_code
        match op:
            case "key.read":
                return service.list_keys(session, actor, person)
            case "key.read_after_submit":
                return service.list_keys(session, actor, self._submit(session, actor, role, inside))
            case "fee.read":
                return service.list_fees(session, actor, person)
            case "fee.read_after_submit":
                return service.list_fees(session, actor, self._submit(session, actor, role, inside))
            case "task.read":
                return service.list_tasks(session, actor)
            case "consent.record":
                return service.record_consent(session, actor, ConsentIn(
                    landlord_person_code=self.landlord_code, method="paper_form",
                    reference="雉城街道-协办同意书-0001",
                    consented_at=datetime.now() - timedelta(hours=1)))
            case "consent.read":
                return service.get_consent(session, actor, self.consents[inside])
            case "consent.list":
                return service.list_consents(session, actor, self._landlord(inside))
            case "assist.actions":
                return service.list_assisted_actions(session, actor, self._landlord(inside))
            case "consent.withdraw":
                return service.withdraw_consent(session, actor, self.consents[inside])
            case "policy.read":
                return service.read_policy(session, actor)
            case "job.reduce":
                return events.reduce_and_expire(session, actor)
            case "job.sweep_keys":
                return service.sweep_keys(session, actor)
            case "job.detect_tasks":
                return service.detect_tasks(session, actor)
        raise AssertionError(op)

    def _landlord(self, inside: bool) -> str:
        return self.landlord_code if inside else self.other_landlord


@pytest.mark.parametrize("role", ROLES)
def test_housing_permission_matrix(db, role):
    setup = Setup(db)
    found = mismatches(db, MATRIX, ROLES, role, setup.actor,
                       lambda op, session, actor, inside: setup.call(op, session, actor, inside,
                                                                     role),
                       composite=COMPOSITE, audit_optional=OWN_UNAUDITED, unaudited=UNAUDITED,
                       fields=lambda op, role, inside: FIELDS.get(op))
    assert not found, "\n".join(found)
