"""A department officer reads persons under their department's purpose (issue 7, item 3): the
same purpose that decides what the exchange hub shares with the department. Education serves
children: an adult is out of purpose and looks missing; the fields are exactly the purpose's."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from anju.core.errors import Forbidden, NotFound
from anju.registry import service
from tests.factories import make_account, make_person, submit, valid_id

PUPIL_BIRTH = date(2015, 9, 1)


@pytest.fixture
def family(world):
    """The world's adult resident and a child, both registered (submitted) in the world's house."""
    db = world.db
    child = make_person(db, world.police, "王小明", id_number=valid_id("341221", PUPIL_BIRTH, "M"),
                        phone="13800005555", hukou_address="安徽省阜阳市临泉县城关镇")
    adult_reg = submit(db, world.police, world.resident.person_code, world.room_id)
    child_reg = submit(db, world.police, child, world.room_id, reason="family")
    return child, adult_reg, child_reg


def _fields(model) -> set[str]:
    return set(model.model_dump(exclude_none=True))


def test_education_reads_children_only_and_only_its_fields(world, family):
    child, adult_reg, child_reg = family
    education = make_account(world.db, "dept_officer", department="education")
    with world.db.unit_of_work() as s:
        view = service.read_person(s, education, child)
        found = service.search_persons(s, education, "王小明")
        reg = service.read_registration(s, education, child_reg)
        listed = service.list_registrations(s, education)
    assert _fields(view) == {"person_code", "name", "sex", "birth_date", "division_code",
                             "purpose"}
    assert view.purpose == "education"
    assert [v.person_code for v in found] == [child]
    assert _fields(reg) == {"registration_id", "person_code", "division_code", "start_date",
                            "reason", "status", "warnings", "submitted_at", "room_id", "address",
                            "room_label",
                            "person_name"}
    assert [r.registration_id for r in listed] == [child_reg]  # the adult's is not theirs
    adult = world.resident.person_code
    for out_of_purpose in (lambda s: service.read_person(s, education, adult),
                           lambda s: service.read_registration(s, education, adult_reg),
                           lambda s: service.permit_eligibility(s, education, adult)):
        with pytest.raises(NotFound), world.db.unit_of_work() as s:
            out_of_purpose(s)
    with world.db.unit_of_work() as s:
        assert service.search_persons(s, education, "王芳") == []


def test_human_resources_sees_name_masked_id_and_no_home(world, family):
    _, adult_reg, _ = family
    with world.db.unit_of_work() as s:
        view = service.read_person(s, world.officer, world.resident.person_code)
        reg = service.read_registration(s, world.officer, adult_reg)
    assert _fields(view) == {"person_code", "name", "id_number", "id_number_masked", "purpose"}
    assert view.purpose == "employment" and "*" in view.id_number
    assert _fields(reg) == {"registration_id", "person_code", "division_code", "start_date",
                            "reason", "status", "warnings", "person_name", "submitted_at"}
    assert reg.person_name == "王*"


def test_an_officer_of_a_department_without_a_purpose_sees_no_one(world):
    # Accounts can only be made for known departments (identity.check_fields); the access layer
    # still refuses an actor whose department has no purpose, should one ever exist.
    tourism = replace(world.officer, department="tourism")
    with pytest.raises(Forbidden), world.db.unit_of_work() as s:
        service.read_person(s, tourism, world.resident.person_code)
    with pytest.raises(Forbidden), world.db.unit_of_work() as s:
        service.search_persons(s, tourism, "王芳")
