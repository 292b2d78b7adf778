"""Registry use cases that correct houses and rooms after they were registered: the address or
division of a house, adding a room, changing a room's number or capacity, removing a room.

Part of the registry's service layer (like bulk.py). Whoever may register a house in a reach may
edit it there (action house.update: the landlord their own, grid workers and police their
jurisdiction); a house moved to another division must land in the editor's reach too. Every edit
is audited against the landlord, whose property it is.
"""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from anju.core import divisions
from anju.registry import policy as P
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.db import utcnow
from anju.core.errors import Conflict, NotFound, ValidationError
from anju.core.events import emit
from anju.core.policy import Action, Actor
from anju.registry import service
from anju.registry.models import House, Person, Registration, Room
from anju.registry.schemas import HouseOut, HouseUpdateIn, RoomIn, RoomUpdateIn

PURPOSE = P.HOUSING_REGISTRATION


def _editable(access: Access, house_id: int) -> House:
    """The house, locked, if the actor may edit it (else it does not exist for them)."""
    access.scopes(P.HOUSE_UPDATE)
    house = access.session.execute(select(House).where(House.id == house_id)
                                   .with_for_update()).scalar()
    if house is None:
        raise NotFound("not_found", "房屋不存在", "house not found", field="house_id")
    access.check(P.HOUSE_UPDATE, "房屋", division_code=house.division_code,
                 landlord_code=house.landlord_person_code)
    return house


def _room(session: Session, house: House, room_id: int) -> Room:
    room = session.execute(select(Room).where(Room.id == room_id, Room.house_id == house.id,
                                              Room.removed_at.is_(None))
                           .with_for_update()).scalar()
    if room is None:
        raise NotFound("not_found", "房间不存在", "room not found", field="room_id")
    return room


def _occupants(session: Session, room_id: int) -> int:
    return session.execute(select(func.count()).select_from(Registration).where(
        Registration.room_id == room_id, Registration.status.in_(service.ACTIVE))).scalar_one()


def _event(action: Action, house: House, **detail) -> AuditEvent:
    return AuditEvent(action, PURPOSE, house.landlord_person_code, "house", str(house.id),
                      detail or None)


def _label_free(session: Session, house: House, label: str, other_than: int | None = None) -> None:
    taken = session.execute(select(Room.id).where(
        Room.house_id == house.id, Room.label == label, Room.removed_at.is_(None),
        Room.id != (other_than or 0))).first()
    if taken:
        raise Conflict("room_label_taken", f"该房屋已有房间号“{label}”",
                       f"the house already has a room {label}", field="label")


def update_house(session: Session, actor: Actor, house_id: int, data: HouseUpdateIn) -> HouseOut:
    """Correct the address or division. Registrations of the house follow a new division, and
    so does where its approved tenants live; other domains hear "house.moved"."""
    access = Access(session, actor)
    house = _editable(access, house_id)
    address = data.address if data.address is not None else house.address
    division = house.division_code
    if data.division_code is not None:
        division = divisions.canonical(data.division_code)
        if divisions.require(division).level < divisions.TOWNSHIP:
            raise ValidationError("division_too_coarse", "房屋须登记到乡镇（街道）或村（社区）",
                                  "a house needs a township or community division code",
                                  field="division_code")
        access.check(P.HOUSE_UPDATE, "辖区", division_code=division,
                     landlord_code=house.landlord_person_code)
    changes = {k: v for k, v in (("address", address), ("division_code", division))
               if getattr(house, k) != v}
    if not changes:
        return service._house_out(session, house)
    session.execute(select(Person.id).where(Person.person_code == house.landlord_person_code)
                    .with_for_update())  # as create_house: one check at a time per landlord
    service.refuse_same_house(access, house.landlord_person_code, division, address,
                              other_than=house.id)
    before = {k: getattr(house, k) for k in changes}
    house.address, moved = address, division != house.division_code
    house.division_code = division
    if moved:
        rooms = select(Room.id).where(Room.house_id == house.id)
        session.execute(update(Registration).where(Registration.room_id.in_(rooms))
                        .values(division_code=division))
        # Where a person lives for access purposes follows approved registrations only.
        tenants = session.execute(select(Registration.person_code).where(
            Registration.room_id.in_(rooms), Registration.status == "approved")).scalars().all()
        session.flush()
        for code in sorted(set(tenants)):
            service.settle_division(session, code)
    session.flush()
    access.record(_event(P.HOUSE_UPDATE, house, changed=sorted(changes),
                         before=before, after=changes))
    if moved:
        emit(session, actor, "house.moved", house)
    return service._house_out(session, house)


def add_room(session: Session, actor: Actor, house_id: int, data: RoomIn) -> HouseOut:
    """A new room; a removed room of the same number comes back with the new capacity."""
    access = Access(session, actor)
    house = _editable(access, house_id)
    _label_free(session, house, data.label)
    room = session.execute(select(Room).where(Room.house_id == house.id,
                                              Room.label == data.label)).scalar()
    if room is None:
        room = Room(house_id=house.id, label=data.label, capacity=data.capacity)
        session.add(room)
    else:
        room.removed_at, room.capacity = None, data.capacity
    session.flush()
    access.record(_event(P.ROOM_ADD, house, room_id=room.id, label=room.label,
                         capacity=room.capacity))
    return service._house_out(session, house)


def update_room(session: Session, actor: Actor, house_id: int, room_id: int,
                data: RoomUpdateIn) -> HouseOut:
    """Renumber a room or change its capacity — never below the people registered in it."""
    access = Access(session, actor)
    house = _editable(access, house_id)
    room = _room(session, house, room_id)
    before = {"label": room.label, "capacity": room.capacity}
    if data.label is not None and data.label != room.label:
        _label_free(session, house, data.label, other_than=room.id)
        stale = session.execute(select(Room).where(Room.house_id == house.id,
                                                   Room.label == data.label)).scalar()
        if stale is not None:  # a removed room held the number: it gives it up
            stale.label = f"{stale.label}~{stale.id}"[:32]
            session.flush()
        room.label = data.label
    if data.capacity is not None and data.capacity != room.capacity:
        occupants = _occupants(session, room.id)
        if data.capacity < occupants:
            raise Conflict("capacity_below_occupants",
                           f"核定人数不能少于在住登记人数（{occupants} 人）",
                           f"capacity cannot be below the {occupants} people registered there",
                           field="capacity")
        room.capacity = data.capacity
    after = {"label": room.label, "capacity": room.capacity}
    if after != before:
        session.flush()
        access.record(_event(P.ROOM_UPDATE, house, room_id=room.id, before=before, after=after))
    return service._house_out(session, house)


def remove_room(session: Session, actor: Actor, house_id: int, room_id: int) -> HouseOut:
    """Take a room off the house; refused while anyone is registered (or waiting) there."""
    access = Access(session, actor)
    house = _editable(access, house_id)
    room = _room(session, house, room_id)
    occupants = _occupants(session, room.id)
    if occupants:
        raise Conflict("room_occupied", f"该房间有 {occupants} 条在住或待审核的居住登记，不能删除",
                       f"{occupants} active registrations name this room; it cannot be removed",
                       field="room_id")
    left = session.execute(select(func.count()).select_from(Room).where(
        Room.house_id == house.id, Room.removed_at.is_(None))).scalar_one()
    if left <= 1:
        raise Conflict("last_room", "房屋至少要有一个房间", "a house keeps at least one room",
                       field="room_id")
    room.removed_at = utcnow()
    session.flush()
    access.record(_event(P.ROOM_REMOVE, house, room_id=room.id, label=room.label))
    return service._house_out(session, house)
