"""One house, one record; houses and rooms corrected after registration (both backends)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from anju.core.errors import Conflict, Forbidden, NotFound, ValidationError
from anju.core.models import AuditRecord
from anju.registry import service
from anju.registry.models import Person, Registration
from anju.registry.schemas import HouseIn, HouseUpdateIn, RegistrationIn, RoomIn, RoomUpdateIn
from tests.factories import OTHER_TOWNSHIP, TOWNSHIP, make_account, submit, verified

HOUSE_ADDRESS = "长兴县雉城街道明珠路 88 号"  # the world's house (tests/factories.py)


def _house(world, actor, address: str, division: str = TOWNSHIP, landlord=None) -> HouseIn:
    return HouseIn(address=address, division_code=division,
                   landlord_person_code=landlord or world.landlord.person_code,
                   rooms=[RoomIn(label="1", capacity=1)])


def _actions(db, action: str) -> int:
    with db.unit_of_work() as s:
        return s.execute(select(func.count()).select_from(AuditRecord)
                         .where(AuditRecord.action == action)).scalar_one()


@pytest.mark.parametrize("written", ["长兴县雉城街道明珠路88号", "长兴县 雉城街道 明珠路８８号",
                                     "长兴县雉城街道明珠路88#。"])
def test_the_same_house_cannot_be_registered_twice(world, written):
    house_id = world.house["house_id"]
    for who in (world.landlord, world.police, world.grid):
        with pytest.raises(Conflict) as refused, world.db.unit_of_work() as s:
            service.create_house(s, who, _house(world, who, written))
        error = refused.value
        assert error.code == "house_exists" and error.field == "address"
        # it names the house already there: its number and address, nothing about anyone
        assert f"房屋编号 {house_id}：{HOUSE_ADDRESS}" in error.message_zh
        assert str(house_id) in error.message_en and "李" not in error.message_zh


def test_same_address_elsewhere_or_of_another_landlord_is_another_house(world):
    with world.db.unit_of_work() as s:
        other_place = service.create_house(s, world.police, _house(
            world, world.police, HOUSE_ADDRESS, division="330522001001"))  # a village of it
        other_landlord = service.create_house(s, world.police, _house(
            world, world.police, HOUSE_ADDRESS, landlord=world.resident.person_code))
    assert other_place.house_id != other_landlord.house_id != world.house["house_id"]


def test_house_address_and_division_are_corrected_and_tenants_follow(world):
    db, house_id = world.db, world.house["house_id"]
    reg = submit(db, world.resident, world.resident.person_code, world.room_id)
    with db.unit_of_work() as s:
        service.approve_registration(s, world.police, reg)
    village = "330522001001"
    with db.unit_of_work() as s:
        out = service.update_house(s, world.landlord, house_id, HouseUpdateIn(
            address="长兴县雉城街道明珠路 90 号", division_code=village))
    assert out.address.endswith("90 号") and out.division_code == village
    with db.unit_of_work() as s:
        assert s.get(Registration, reg).division_code == village
        person = s.execute(select(Person).where(
            Person.person_code == world.resident.person_code)).scalar_one()
        assert person.division_code == village  # an approved tenant lives where the house is
        entry = s.execute(select(AuditRecord).where(AuditRecord.action == "house.update")).scalar_one()
        assert entry.person_code == world.landlord.person_code
        assert entry.detail["before"]["address"] == HOUSE_ADDRESS
    assert verified(db).ok
    # nothing to change is no change (and no audit entry)
    with db.unit_of_work() as s:
        service.update_house(s, world.landlord, house_id, HouseUpdateIn())
    assert _actions(db, "house.update") == 1


def test_a_correction_cannot_make_a_duplicate_or_leave_the_editors_reach(world):
    db, house_id = world.db, world.house["house_id"]
    with db.unit_of_work() as s:
        second = service.create_house(s, world.landlord, _house(world, world.landlord, "明珠路 90 号"))
    with pytest.raises(Conflict) as refused, db.unit_of_work() as s:
        service.update_house(s, world.landlord, second.house_id,
                            HouseUpdateIn(address="长兴县雉城街道明珠路88号"))
    assert f"房屋编号 {house_id}" in refused.value.message_zh
    with pytest.raises(NotFound), db.unit_of_work() as s:  # the grid worker's township only
        service.update_house(s, world.grid, house_id, HouseUpdateIn(division_code=OTHER_TOWNSHIP))
    with pytest.raises(ValidationError), db.unit_of_work() as s:
        service.update_house(s, world.police, house_id, HouseUpdateIn(division_code="330522"))
    # outside their reach the house does not exist; without the action it is refused
    for outsider in (world.grid_other_township, world.police_other_county):
        with pytest.raises(NotFound), db.unit_of_work() as s:
            service.update_house(s, outsider, house_id, HouseUpdateIn(address="某路 1 号"))
    for role in (world.resident, world.officer, world.steward):
        with pytest.raises(Forbidden), db.unit_of_work() as s:
            service.update_house(s, role, house_id, HouseUpdateIn(address="某路 1 号"))
    other_landlord = make_account(db, "landlord", person_code=world.resident.person_code)
    with pytest.raises(NotFound), db.unit_of_work() as s:
        service.add_room(s, other_landlord, house_id, RoomIn(label="9", capacity=1))


def test_rooms_are_added_changed_and_removed_within_the_rules(world):
    db, house_id, room = world.db, world.house["house_id"], world.room_id  # room 101 holds 2
    submit(db, world.resident, world.resident.person_code, room)
    with db.unit_of_work() as s:
        added = service.add_room(s, world.grid, house_id, RoomIn(label="103", capacity=3))
    new_room = next(r.room_id for r in added.rooms if r.label == "103")
    with pytest.raises(Conflict), db.unit_of_work() as s:
        service.add_room(s, world.landlord, house_id, RoomIn(label="103", capacity=1))
    with db.unit_of_work() as s:
        renamed = service.update_room(s, world.landlord, house_id, room,
                                     RoomUpdateIn(label="101A", capacity=2))
    assert {r.label for r in renamed.rooms} == {"101A", "102", "103"}
    with pytest.raises(Conflict) as occupied, db.unit_of_work() as s:
        service.remove_room(s, world.landlord, house_id, room)
    assert occupied.value.code == "room_occupied"
    with db.unit_of_work() as s:
        after = service.remove_room(s, world.landlord, house_id, new_room)
    assert {r.label for r in after.rooms} == {"101A", "102"}
    # a removed room is not offered, and nobody can be registered into it
    with db.unit_of_work() as s:
        offered = service.list_rooms_for_registration(s, world.resident, "明珠路")
        assert new_room not in {r["room_id"] for r in offered}
        with pytest.raises(NotFound):
            service.submit_registration(s, world.police, RegistrationIn(
                person_code=world.landlord.person_code, room_id=new_room,
                start_date="2026-01-05", reason="work"))
    # adding its number again brings the room back
    with db.unit_of_work() as s:
        back = service.add_room(s, world.landlord, house_id, RoomIn(label="103", capacity=2))
    assert next(r.room_id for r in back.rooms if r.label == "103") == new_room
    assert [_actions(db, a) for a in ("room.add", "room.update", "room.remove")] == [2, 1, 1]


def test_capacity_never_drops_below_the_people_registered(world):
    db, house_id, room = world.db, world.house["house_id"], world.room_id
    submit(db, world.resident, world.resident.person_code, room)
    with db.unit_of_work() as s:
        service.submit_registration(s, world.police, RegistrationIn(
            person_code=world.landlord.person_code, room_id=room, start_date="2026-01-05",
            reason="family"))
    with pytest.raises(Conflict) as refused, db.unit_of_work() as s:
        service.update_room(s, world.landlord, house_id, room, RoomUpdateIn(capacity=1))
    assert refused.value.code == "capacity_below_occupants"
    assert "2 人" in refused.value.message_zh and refused.value.field == "capacity"
    with db.unit_of_work() as s:
        assert service.update_room(s, world.landlord, house_id, room,
                                  RoomUpdateIn(capacity=2)).rooms[0].capacity == 2
