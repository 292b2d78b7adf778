"""A small county for the notices, ratings and participation tests: a resident with a phone and
one without, officers and a supervisor of the human-resources bureau here and elsewhere, cases
written straight into the table (opening and deciding cases is tested with the cases core)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from anju.cases.models import Case
from anju.core.db import Database
from anju.core.policy import Actor
from tests.factories import OTHER_COUNTY, make_account, make_person, valid_id

HERE = "330522000000"


@dataclass
class Desk:
    db: Database
    resident: Actor
    resident_code: str
    quiet: Actor  # a resident who gave no phone number
    quiet_code: str
    officer: Actor  # renshe, this county
    supervisor: Actor
    officer_elsewhere: Actor  # renshe, another county
    teacher: Actor  # jiaoyu, this county
    analyst: Actor
    admin: Actor


def build(db: Database) -> Desk:
    police = make_account(db, "police")
    resident_code = make_person(db, police, "王芳", id_number=valid_id("341221"),
                                phone="13800001111")
    quiet_code = make_person(db, police, "陈静", id_number=valid_id("412721"))
    return Desk(
        db=db, resident=make_account(db, "resident", person_code=resident_code),
        resident_code=resident_code,
        quiet=make_account(db, "resident", person_code=quiet_code), quiet_code=quiet_code,
        officer=make_account(db, "dept_officer", department="renshe"),
        supervisor=make_account(db, "dept_supervisor", department="renshe"),
        officer_elsewhere=make_account(db, "dept_officer", department="renshe",
                                       division=OTHER_COUNTY),
        teacher=make_account(db, "dept_officer", department="jiaoyu"),
        analyst=make_account(db, "analyst"), admin=make_account(db, "admin"))


def make_case(db: Database, person_code: str, *, status: str = "approved",
              service: str = "labour_contract_filing", department: str = "renshe",
              channel: str = "online", opened_by: str = "self", due: date | None = None,
              division: str = HERE) -> int:
    with db.unit_of_work() as session:
        case = Case(service_code=service, person_code=person_code, division_code=division,
                    department=department, status=status, channel=channel, opened_by=opened_by,
                    form={}, accepted_on=date(2026, 3, 2) if status != "submitted" else None,
                    due_date=due)
        session.add(case)
        session.flush()
        return case.id
