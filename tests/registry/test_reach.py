"""Reach never follows from an unapproved write (issue 7, item 1), at the service layer on both
backends: where a person lives for access purposes moves when the police approve a registration
and back when it is rejected or ends; knowing an ID number hands over a person code only with
the matching name; a refused registration tells a stranger nothing about the one in its way."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from anju.core.errors import Conflict, NotFound, ValidationError
from anju.core.models import AuditRecord
from anju.registry import service
from anju.registry.models import Person
from anju.registry.schemas import PersonIn, RegistrationIn
from tests.factories import (
    OTHER_TOWNSHIP,
    TOWNSHIP,
    make_account,
    make_house,
    make_person,
    submit,
    valid_id,
)


def _reads(db, actor, code: str) -> bool:
    try:
        with db.unit_of_work() as s:
            service.read_person(s, actor, code)
        return True
    except NotFound:
        return False


def _division(db, code: str) -> str:
    with db.unit_of_work() as s:
        return s.execute(select(Person.division_code).where(Person.person_code == code)).scalar()


@pytest.fixture
def townships(world):
    """A person recorded by the grid worker of their home township (雉城街道), and the police of
    another township (洪桥镇) with a house of their own area."""
    db = world.db
    home_grid = make_account(db, "grid_worker", division=TOWNSHIP)
    person = make_person(db, home_grid, "钱多", id_number=valid_id("341221"), phone="13700002222")
    police = make_account(db, "police", division=OTHER_TOWNSHIP)
    landlord = make_person(db, police, "洪桥房东", id_number=valid_id("330522"))
    house = make_house(db, police, landlord, division="330522101003")
    return home_grid, police, person, house["rooms"][0]["room_id"]


def test_a_submission_into_another_township_brings_nobody_into_reach(world, townships):
    db = world.db
    home_grid, police, person, room = townships
    reg = submit(db, police, person, room)
    assert not _reads(db, police, person)  # today's code answered their phone and hukou
    assert _reads(db, home_grid, person)
    assert _division(db, person) == TOWNSHIP
    # the police of that township still see the registration in their queue (to decide it),
    # but not whose code they typed: the name of someone they do not reach stays masked
    with db.unit_of_work() as s:
        [row] = service.list_registrations(s, police, status="submitted")
    assert (row.registration_id, row.person_name) == (reg, "钱*")


def test_approval_moves_reach_and_an_end_moves_it_back(world, townships):
    db = world.db
    home_grid, police, person, room = townships
    reg = submit(db, police, person, room)
    with db.unit_of_work() as s:
        service.approve_registration(s, world.police, reg)
    assert _reads(db, police, person) and not _reads(db, home_grid, person)
    assert _division(db, person) == "330522101003"
    with db.unit_of_work() as s:
        service.end_registration(s, world.police, reg, date(2026, 6, 30))
    assert not _reads(db, police, person) and _reads(db, home_grid, person)
    assert _division(db, person) == TOWNSHIP


def test_a_rejection_leaves_the_person_where_they_were(world, townships):
    db = world.db
    home_grid, police, person, room = townships
    reg = submit(db, police, person, room)
    with db.unit_of_work() as s:
        service.reject_registration(s, police, reg, "材料不全")
    assert not _reads(db, police, person) and _reads(db, home_grid, person)
    assert _division(db, person) == TOWNSHIP


def test_a_landlord_reaches_a_tenant_only_once_the_police_approved(world):
    db = world.db
    tenant = make_person(db, world.police, "孙倩", id_number=valid_id("412721"), phone="13600003333")
    reg = submit(db, world.landlord, tenant, world.room_id)
    assert not _reads(db, world.landlord, tenant)
    with db.unit_of_work() as s:  # the submission itself stays theirs to see, name masked
        [row] = service.list_registrations(s, world.landlord, status="submitted")
        assert row.registration_id == reg and row.person_name == "孙*"
    with db.unit_of_work() as s:
        service.approve_registration(s, world.police, reg)
    with db.unit_of_work() as s:
        view = service.read_person(s, world.landlord, tenant)
    assert view.purpose == "tenancy_management" and view.phone == "13600003333"
    with db.unit_of_work() as s:
        service.end_registration(s, world.landlord, reg, date(2026, 5, 1))
    assert not _reads(db, world.landlord, tenant)


def _entries(db, code: str) -> list[AuditRecord]:
    with db.unit_of_work() as s:
        return list(s.execute(select(AuditRecord).where(AuditRecord.person_code == code)
                              .order_by(AuditRecord.id)).scalars())


def test_an_id_number_hands_a_stranger_the_code_only_with_the_matching_name(world):
    db = world.db
    number = valid_id("412721")
    tenant = make_person(db, world.police, "張偉", id_number=number, phone="13600004444")
    # the name as a landlord types it from the card: simplified, with a stray space
    with db.unit_of_work() as s:
        view = service.create_person(s, world.landlord, PersonIn(name=" 张 伟", id_number=number))
    assert view.model_dump(exclude_none=True) == {"person_code": tenant, "existing": True}
    with pytest.raises(ValidationError) as refused, db.unit_of_work() as s:
        service.create_person(s, world.landlord, PersonIn(name="李四", id_number=number))
    error = refused.value
    assert (error.code, error.field, error.message_zh, error.message_en) == (
        "name_id_mismatch", "name", "姓名与身份证号码不一致", "name and ID number do not match")
    assert not _reads(db, world.landlord, tenant)
    # both are on the person's record: the code handed over, and the refused attempt
    details = [e.detail for e in _entries(db, tenant)
               if e.username == world.landlord.username and e.action == "person.create"]
    assert details == [{"resolved": "existing", "proved_by": "name"},
                       {"outcome": "refused", "status": 422, "reason": "name_id_mismatch"}]


def test_someone_who_reaches_the_person_is_answered_as_before(world):
    number = valid_id("341221")
    code = make_person(world.db, world.police, "吴敏", id_number=number)
    with world.db.unit_of_work() as s:  # the county's police reach them: no name needed
        view = service.create_person(s, world.police, PersonIn(name="吴敏敏", id_number=number))
    assert view.person_code == code and view.existing and view.warnings == []


def test_the_overlap_refusal_tells_a_stranger_nothing_about_the_other_registration(world):
    db = world.db
    tenant = make_person(db, world.police, "郑洁", id_number=valid_id("412721"))
    reg = submit(db, world.police, tenant, world.room_id)
    with db.unit_of_work() as s:
        service.approve_registration(s, world.police, reg)
    other_landlord_code = make_person(db, world.police, "冯强", id_number=valid_id("330522"))
    other_landlord = make_account(db, "landlord", person_code=other_landlord_code)
    house = make_house(db, world.police, other_landlord_code)
    with pytest.raises(Conflict) as stranger, db.unit_of_work() as s:
        service.submit_registration(s, other_landlord, RegistrationIn(
            person_code=tenant, room_id=house["rooms"][0]["room_id"], start_date=date(2026, 2, 1),
            reason="work"))
    error = stranger.value
    assert error.code == "registration_overlap"
    text = error.message_zh + error.message_en
    assert not re.search(r"\d", text) and "已登记" not in text and "approved" not in text
    with pytest.raises(Conflict) as police, db.unit_of_work() as s:
        service.submit_registration(s, world.police, RegistrationIn(
            person_code=tenant, room_id=house["rooms"][0]["room_id"], start_date=date(2026, 2, 1),
            reason="work"))
    assert str(reg) in police.value.message_en  # the police reach it: they are told which
