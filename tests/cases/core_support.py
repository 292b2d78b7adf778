"""What the cases-core tests share: a small county with the case roles, and short ways to open
and move a case through the service layer."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from anju.cases.service import cases
from anju.cases.service.shapes import CaseIn, ConsentIn
from anju.core import clock
from anju.core.policy import Actor
from tests.factories import (
    COUNTY,
    OTHER_COUNTY,
    TOWNSHIP,
    World,
    build_world,
    make_account,
    submit,
)

TRANSFER_FORM = {"from_province": "安徽省"}


@dataclass
class County:
    world: World
    renshe: Actor  # the human-resources officer (social-insurance transfer's department)
    yibao: Actor  # medical insurance: approves the transfer in parallel
    jiaoyu: Actor  # a department with nothing to do with the transfer
    renshe_other: Actor  # human resources of another county
    supervisor: Actor  # human resources' supervisor
    clerk: Actor  # a window clerk of the county
    clerk_other: Actor  # a window clerk of another county

    @property
    def db(self):
        return self.world.db

    @property
    def resident(self) -> Actor:
        return self.world.resident


def build_county(db) -> County:
    world = build_world(db)
    # the resident lives in the county's township (an approved registration)
    from anju.registry import service as registry

    reg = submit(db, world.resident, world.resident.person_code, world.room_id, date(2025, 1, 6))
    with db.unit_of_work() as s:
        registry.approve_registration(s, world.police, reg)
    return County(
        world=world,
        renshe=make_account(db, "dept_officer", department="renshe"),
        yibao=make_account(db, "dept_officer", department="yibao"),
        jiaoyu=make_account(db, "dept_officer", department="jiaoyu"),
        renshe_other=make_account(db, "dept_officer", department="renshe", division=OTHER_COUNTY),
        supervisor=make_account(db, "dept_supervisor", department="renshe"),
        clerk=make_account(db, "window_clerk", division=COUNTY),
        clerk_other=make_account(db, "window_clerk", division=OTHER_COUNTY),
    )


def open_transfer(county: County, on: date = date(2026, 3, 2), actor: Actor | None = None,
                  service: str = "social_insurance_transfer", form: dict | None = None) -> int:
    clock.pin_today(on)
    actor = actor or county.resident
    consent = ConsentIn(method="paper_form", reference="CX-001") \
        if actor.role.value == "window_clerk" else None
    with county.db.unit_of_work() as s:
        out = cases.open_case(s, actor, CaseIn(
            service_code=service, person_code=county.resident.person_code,
            form=TRANSFER_FORM if form is None else form, consent=consent))
    return out.case_id


def act(county: County, actor: Actor, fn, case_id: int, *args, on: date | None = None):
    if on:
        clock.pin_today(on)
    with county.db.unit_of_work() as s:
        return fn(s, actor, case_id, *args)


__all__ = ["County", "build_county", "open_transfer", "act", "TOWNSHIP"]


def case_row(session, *, service_code: str, person_code: str, division_code: str,
             form: dict | None = None):
    """A submitted case written straight into the tables: a fixture for tests of what follows a
    case (placements, appeals), not of opening one."""
    from anju.cases import catalogue
    from anju.cases.models import Case, CaseEvent

    case = Case(service_code=service_code, person_code=person_code, division_code=division_code,
                department=catalogue.load()[service_code].department, status="submitted",
                channel="online", opened_by="fixture", form=form or {})
    session.add(case)
    session.flush()
    session.add(CaseEvent(case_id=case.id, action="open", status="submitted",
                          by_username="fixture", by_role="system", department=None,
                          detail={"service": service_code}))
    return case
