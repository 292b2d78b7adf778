"""Houses and rooms: register a house, read and list houses, find rooms to register into, and
correct a house after it was registered (its address or division, adding, changing or removing a
room).

A house names its landlord, so reading one is a read of the landlord's data: it is audited
against them. Whoever may register a house in a reach may edit it there (action house.update: the
landlord their own, grid workers and police their jurisdiction); a house moved to another division
must land in the editor's reach too. Every edit is audited against the landlord.
"""
from __future__ import annotations

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from anju.core import addresses, divisions
from anju.core.access import Access, not_found
from anju.core.audit import AuditEvent
from anju.core.db import utcnow
from anju.core.errors import Conflict
from anju.core.events import emit
from anju.core.policy import Action, Actor, Scope, is_allowed
from anju.registry import policy as P
from anju.registry import rules
from anju.registry.models import House, Person, Registration, Room
from anju.registry.schemas import HouseIn, HouseOut, HouseUpdateIn, RoomIn, RoomOut, RoomUpdateIn
from anju.registry.service.persons import ACTIVE, APPROVED, reaches_person
from anju.registry.service.registrations import settle_division


def house_out(session: Session, house: House, with_occupancy: bool = True,
              landlord_shown: bool = True) -> HouseOut:
    """A house and its rooms. Its landlord's person code is the house's own data for those who
    reach the house as officials or as its landlord; a tenant is not told it."""
    rooms = session.execute(select(Room).where(Room.house_id == house.id,
                                               Room.removed_at.is_(None)).order_by(Room.id)).scalars()
    occupancy: dict[int, int] = {}
    if with_occupancy:
        occupancy = dict(session.execute(
            select(Registration.room_id, func.count()).join(Room, Room.id == Registration.room_id)
            .where(Room.house_id == house.id, Registration.status.in_(ACTIVE))
            .group_by(Registration.room_id)).all())
    division = divisions.get(house.division_code)
    return HouseOut(house_id=house.id, address=house.address, division_code=house.division_code,
                    division_name=divisions.full_name(house.division_code) if division else None,
                    landlord_person_code=house.landlord_person_code if landlord_shown else None,
                    rooms=[RoomOut(room_id=r.id, label=r.label, capacity=r.capacity,
                                   occupants=occupancy.get(r.id, 0)) for r in rooms])



def _lets_within_reach(access: Access, landlord_code: str) -> bool:
    """Whether the person already lets a house the actor reaches: naming them as the landlord
    of another house in reach ties nobody new to the actor's jurisdiction."""
    if not is_allowed(access.actor.role, P.HOUSE_READ):
        return False
    return access.session.execute(select(House.id).where(
        House.landlord_person_code == landlord_code,
        access.restrict_model(P.HOUSE_READ, House)).limit(1)).first() is not None


def create_house(session: Session, actor: Actor, data: HouseIn, *,
                 landlord_vouched: bool = False) -> HouseOut:
    """Register a house and its rooms. The landlord is the actor themselves (a landlord) or a
    person the actor reaches: naming someone else's person code as the landlord would tie them
    to a house in the actor's jurisdiction, which reaches further (assisted mode). The housing
    service vouches for the landlord when a grid worker acts under that landlord's consent."""
    access = Access(session, actor)
    access.scopes(P.HOUSE_CREATE)
    code = rules.house_division(data.division_code)
    access.check(P.HOUSE_CREATE, "辖区", division_code=code, landlord_code=data.landlord_person_code)
    # The landlord's row is locked: two registrations of one house cannot both pass the check.
    landlord = session.execute(select(Person).where(
        Person.person_code == data.landlord_person_code).with_for_update()).scalar()
    if landlord is None or not (landlord_vouched or landlord.person_code == actor.person_code
                                or reaches_person(access, P.PERSON_READ, landlord)
                                or _lets_within_reach(access, landlord.person_code)):
        raise rules.landlord_unknown()  # unknown and out of reach answer alike
    rules.check_rooms([(r.label, r.capacity) for r in data.rooms])
    refuse_same_house(access, data.landlord_person_code, code, data.address)
    house = House(address=data.address, division_code=code,
                  landlord_person_code=data.landlord_person_code)
    session.add(house)
    session.flush()
    session.add_all([Room(house_id=house.id, label=r.label, capacity=r.capacity) for r in data.rooms])
    session.flush()
    access.record(AuditEvent(P.HOUSE_CREATE, P.HOUSING_REGISTRATION, landlord.person_code, "house",
                             str(house.id)))
    return house_out(session, house)


def same_house(session: Session, landlord_code: str, division_code: str, address: str,
               other_than: int | None = None) -> House | None:
    """The landlord's house at this address (compared normalised) in this division, if any."""
    key = addresses.normalise(address)
    for house in session.execute(select(House).where(
            House.landlord_person_code == landlord_code,
            House.division_code == division_code)).scalars():
        if house.id != other_than and addresses.normalise(house.address) == key:
            return house
    return None


def refuse_same_house(access: Access, landlord_code: str, division_code: str, address: str,
                      other_than: int | None = None) -> None:
    """One house, one record: the same landlord, division and (normalised) address is a 409
    naming the house already registered — its number and address only, and only to an actor
    who may see it."""
    found = same_house(access.session, landlord_code, division_code, address, other_than)
    if found is None:
        return
    if access.reaches(P.HOUSE_READ, division_code=found.division_code,
                      landlord_code=found.landlord_person_code):
        raise Conflict("house_exists",
                       f"该房东在此处已登记过这处房屋（房屋编号 {found.id}：{found.address}）",
                       f"this landlord already registered this house here (house {found.id}: "
                       f"{found.address})", field="address")
    raise Conflict("house_exists", "该房东在此处已登记过这处房屋",
                   "this landlord already registered this house here", field="address")


def read_house(session: Session, actor: Actor, house_id: int) -> HouseOut:
    access = Access(session, actor)
    access.scopes(P.HOUSE_READ)
    house = session.get(House, house_id)
    if house is None:
        raise not_found("房屋", "house", "house_id")
    tenant = actor.person_code and session.execute(select(Registration.id).join(
        Room, Room.id == Registration.room_id).where(
        Room.house_id == house.id, Registration.person_code == actor.person_code,
        Registration.status.in_(ACTIVE))).first()
    official = access.reaches(P.HOUSE_READ, division_code=house.division_code,
                              landlord_code=house.landlord_person_code)
    # A resident reaches a house as its tenant (their own registration), never as its landlord.
    access.touch(P.HOUSE_READ, person_code=house.landlord_person_code, kind="house",
                 object_id=str(house.id), what="房屋", purpose=P.HOUSING, own=True,
                 division_code=house.division_code, landlord_code=house.landlord_person_code,
                 person_codes=[actor.person_code] if tenant else [None])
    return house_out(session, house, landlord_shown=official)


def _house_read_event(house: House) -> AuditEvent:
    # A house names its landlord, so reading it is a read of the landlord's data.
    return AuditEvent(P.HOUSE_READ, P.HOUSING, house.landlord_person_code, "house", str(house.id))


def list_houses(session: Session, actor: Actor, limit: int = 100,
                query: str | None = None) -> list[HouseOut]:
    """Houses the actor reaches, newest first; `query` finds them by part of the address. The
    access layer's restriction is the query's reach; each house shown is recorded against its
    landlord (not a landlord's own)."""
    access = Access(session, actor)
    stmt = select(House).where(access.restrict_model(P.HOUSE_READ, House))
    if query and query.strip():
        stmt = stmt.where(House.address.contains(query.strip()[:64], autoescape=True))
    houses = session.execute(stmt.order_by(House.id.desc()).limit(limit)).scalars().all()
    access.record(*[_house_read_event(h) for h in houses
                    if h.landlord_person_code != actor.person_code])
    return [house_out(session, h) for h in houses]


def list_rooms_for_registration(session: Session, actor: Actor, query: str = "",
                                limit: int = 100, landlord_code: str | None = None) -> list[dict]:
    """Rooms the actor may register someone into, found by address; no landlord data.

    Officials see their jurisdiction's houses and landlords their own. Someone registering
    themselves may pick any room in their county, but only by searching an address (2+
    characters), so the address list cannot be walked page by page.
    """
    access = Access(session, actor)
    scopes = access.scopes(P.REGISTRATION_SUBMIT)
    query = query.strip()
    where = access.restrict_model(P.REGISTRATION_SUBMIT, House)
    if Scope.SELF in scopes and len(query) >= 2:
        county = divisions.significant_prefix(actor.division_code)
        where = or_(where, House.division_code.like(county + "%"))
    stmt = select(House, Room).join(Room, Room.house_id == House.id).where(
        where, Room.removed_at.is_(None))
    if landlord_code:  # one landlord's rooms (assisted mode: the consenting landlord)
        stmt = stmt.where(House.landlord_person_code == landlord_code)
    if query:
        stmt = stmt.where(House.address.contains(query, autoescape=True))
    rows = session.execute(stmt.order_by(House.id, Room.id).limit(min(limit, 200))).all()
    return [{"room_id": room.id, "label": f"{house.address} {room.label}",
             "address": house.address, "room_label": room.label, "capacity": room.capacity}
            for house, room in rows]


# --- corrections after registration ----------------------------------------------------------
PURPOSE = P.HOUSING_REGISTRATION


def _editable(access: Access, house_id: int) -> House:
    """The house, locked, if the actor may edit it (else it does not exist for them)."""
    access.scopes(P.HOUSE_UPDATE)
    house = access.session.execute(select(House).where(House.id == house_id)
                                   .with_for_update()).scalar()
    if house is None:
        raise not_found("房屋", "house", "house_id")
    access.check(P.HOUSE_UPDATE, "房屋", division_code=house.division_code,
                 landlord_code=house.landlord_person_code)
    return house


def _room(session: Session, house: House, room_id: int) -> Room:
    room = session.execute(select(Room).where(Room.id == room_id, Room.house_id == house.id,
                                              Room.removed_at.is_(None))
                           .with_for_update()).scalar()
    if room is None:
        raise not_found("房间", "room", "room_id")
    return room


def _occupants(session: Session, room_id: int) -> int:
    return session.execute(select(func.count()).select_from(Registration).where(
        Registration.room_id == room_id, Registration.status.in_(ACTIVE))).scalar_one()


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
        division = rules.house_division(data.division_code)
        access.check(P.HOUSE_UPDATE, "辖区", division_code=division,
                     landlord_code=house.landlord_person_code)
    changes = {k: v for k, v in (("address", address), ("division_code", division))
               if getattr(house, k) != v}
    if not changes:
        return house_out(session, house)
    session.execute(select(Person.id).where(Person.person_code == house.landlord_person_code)
                    .with_for_update())  # as create_house: one check at a time per landlord
    refuse_same_house(access, house.landlord_person_code, division, address,
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
            Registration.room_id.in_(rooms), Registration.status == APPROVED)).scalars().all()
        session.flush()
        for code in sorted(set(tenants)):
            settle_division(session, code)
    session.flush()
    access.record(_event(P.HOUSE_UPDATE, house, changed=sorted(changes),
                         before=before, after=changes))
    if moved:
        emit(session, actor, "house.moved", house)
    return house_out(session, house)


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
    return house_out(session, house)


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
    return house_out(session, house)


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
    return house_out(session, house)
