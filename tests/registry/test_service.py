"""Registry use cases against both real backends (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from anju.core import auditlog, clock
from anju.core.errors import Conflict, NotFound, ValidationError
from anju.registry import service
from anju.registry.models import Person, Registration
from anju.registry.rules import is_valid_person_code
from anju.registry.schemas import PersonIn, RegistrationIn
from tests.factories import make_person, submit, valid_id, verified


def test_person_code_is_opaque_and_checked(world):
    db = world.db
    code = make_person(db, world.police, "赵磊", id_number=valid_id("330522"))
    assert is_valid_person_code(code)
    with db.unit_of_work() as s:
        stored = s.execute(select(Person).where(Person.person_code == code)).scalar_one()
        # The ID number is not stored in clear anywhere in the row.
        assert "330522" not in stored.id_cipher and len(stored.id_hash) == 64


def test_same_id_number_resolves_to_the_same_person(world):
    number = valid_id("341221", date(1988, 1, 2))
    first = make_person(world.db, world.police, "孙丽", id_number=number)
    # typed with spaces, full-width digits and lowercase x where relevant
    spaced = " ".join([number[:6], number[6:14], number[14:]])
    with world.db.unit_of_work() as s:
        again = service.create_person(s, world.police, PersonIn(name="孙丽", id_number=spaced))
    assert again.person_code == first and again.existing
    with world.db.unit_of_work() as s:
        assert s.execute(select(func.count()).select_from(Person)).scalar_one() == 3


@pytest.mark.parametrize("bad,code", [("330522199001011235", "id_checksum"),
                                      ("330522200102290000", "id_birth_date"),
                                      ("33052219900101", "id_length")])
def test_bad_id_numbers_are_rejected_and_nothing_is_written(world, bad, code):
    with world.db.unit_of_work() as s:
        before = s.execute(select(func.count()).select_from(Person)).scalar_one()
    with pytest.raises(ValidationError) as err, world.db.unit_of_work() as s:
        service.create_person(s, world.police, PersonIn(name="错号", id_number=bad))
    assert err.value.code == code and err.value.field == "id_number"
    with world.db.unit_of_work() as s:
        assert s.execute(select(func.count()).select_from(Person)).scalar_one() == before


def test_retired_region_code_is_a_warning_not_a_rejection(world):
    # 110104 宣武区 was merged into 西城区 in 2010; people still carry its code.
    first17 = "11010419800101123"
    from anju.core.idnumber import check_digit

    with world.db.unit_of_work() as s:
        view = service.create_person(s, world.police, PersonIn(
            name="老北京", id_number=first17 + check_digit(first17)))
    assert view.person_code and view.warnings
    assert view.warnings[0]["code"].startswith("id_region")


def test_registration_lifecycle_and_audit(world):
    db, police, resident = world.db, world.police, world.resident
    reg_id = submit(db, resident, resident.person_code, world.room_id)
    with db.unit_of_work() as s:
        assert service.read_registration(s, resident, reg_id).status == "submitted"
        assert service.approve_registration(s, police, reg_id).status == "approved"
    with pytest.raises(Conflict), db.unit_of_work() as s:
        service.approve_registration(s, police, reg_id)
    with pytest.raises(ValidationError) as err, db.unit_of_work() as s:
        service.end_registration(s, police, reg_id, date(2025, 1, 1))
    assert err.value.code == "end_before_start"
    with db.unit_of_work() as s:
        assert service.end_registration(s, resident, reg_id, date(2026, 6, 1)).status == "ended"
    with db.unit_of_work() as s:
        log = auditlog.my_access_log(s, resident)
        officials = {(e.official, e.action) for e in log}
        assert (police.username, "registration.approve") in officials
    assert verified(db).ok


def test_overlapping_registration_is_refused(world):
    db, resident = world.db, world.resident
    submit(db, resident, resident.person_code, world.room_id)
    with pytest.raises(Conflict) as err:
        submit(db, resident, resident.person_code, world.house["rooms"][1]["room_id"],
               start=date(2026, 2, 1))
    assert err.value.code == "registration_overlap"
    with db.unit_of_work() as s:
        assert s.execute(select(func.count()).select_from(Registration)).scalar_one() == 1


def test_room_over_capacity_is_accepted_with_a_warning(world):
    db, police = world.db, world.police
    small_room = world.house["rooms"][1]["room_id"]  # capacity 1
    submit(db, police, make_person(db, police, "甲"), small_room)
    with db.unit_of_work() as s:
        reg, _ = service.submit_registration(s, police, RegistrationIn(
            person_code=make_person(db, police, "乙"), room_id=small_room,
            start_date=date(2026, 3, 1), reason="work"))
    assert reg.status == "submitted"
    assert reg.warnings and reg.warnings[0]["code"] == "room_over_capacity"


def test_idempotency_key_replays_the_first_answer(world):
    db, resident = world.db, world.resident
    body = RegistrationIn(person_code=resident.person_code, room_id=world.room_id,
                          start_date=date(2026, 1, 5), reason="work")
    with db.unit_of_work() as s:
        first, replayed = service.submit_registration(s, resident, body, "key-1")
    assert not replayed
    with db.unit_of_work() as s:
        again, replayed = service.submit_registration(s, resident, body, "key-1")
    assert replayed and again.registration_id == first.registration_id
    with pytest.raises(Conflict) as err, db.unit_of_work() as s:
        service.submit_registration(s, resident, body.model_copy(update={"room_id": 999}), "key-1")
    assert err.value.code == "idempotency_key_reused"


def test_permit_eligibility_issue_and_endorse(world):
    db, police, resident = world.db, world.police, world.resident
    reg_id = submit(db, resident, resident.person_code, world.room_id, start=date(2025, 1, 10))
    with db.unit_of_work() as s:
        service.approve_registration(s, police, reg_id)
    clock.pin_today(date(2025, 5, 1))
    with db.unit_of_work() as s:
        early = service.permit_eligibility(s, resident, resident.person_code)
    assert not early.eligible and early.eligible_from == date(2025, 7, 10)
    with pytest.raises(Conflict) as err, db.unit_of_work() as s:
        service.issue_permit(s, police, resident.person_code)
    assert err.value.code == "permit_not_eligible"
    clock.pin_today(date(2025, 8, 1))
    with db.unit_of_work() as s:
        permit = service.issue_permit(s, police, resident.person_code)
    assert permit.permit_number.startswith("3305222025") and permit.valid_until == date(2026, 8, 1)
    clock.pin_today(date(2026, 7, 15))
    with db.unit_of_work() as s:
        endorsed = service.endorse_permit(s, police, permit.permit_number)
    assert endorsed.valid_until == date(2027, 8, 1) and endorsed.endorsements == [date(2026, 7, 15)]
    clock.pin_today(date(2027, 9, 1))
    with db.unit_of_work() as s:
        assert service.list_permits(s, resident, resident.person_code)[0].status == "expired"


def test_jurisdiction_outside_looks_missing(world):
    db = world.db
    code = world.resident.person_code
    with pytest.raises(NotFound), db.unit_of_work() as s:
        service.read_person(s, world.police_other_county, code)
    with pytest.raises(NotFound), db.unit_of_work() as s:
        service.read_person(s, world.police, "PNOSUCHCODE0")


def test_hukou_place_is_resolved_to_a_division_code(world):
    db, police = world.db, world.police
    with db.unit_of_work() as s:
        view = service.create_person(s, police, PersonIn(
            name="周平", id_number=valid_id("341221"), hukou_address="安徽省阜阳市临泉县城关街道人民路 3 号"))
        assert view.hukou_division_code.startswith("341221")
        no_address = service.create_person(s, police, PersonIn(name="吴敏", id_number=valid_id("411523")))
        assert no_address.hukou_division_code == "411523000000"  # from the ID number's region
