"""Bulk loads of houses and their rooms, checked by the rules the service checks them by (a
house's division, its rooms); the same landlord, address and division is the same house."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core import addresses, audit
from anju.core.audit import AuditEvent
from anju.core.db import allocate_ids, bulk_insert, sql_timestamp, utcnow
from anju.core.errors import AnjuError
from anju.core.policy import Actor
from anju.registry import policy as P
from anju.registry import rules
from anju.registry.bulk.common import BulkHouse, BulkResult, begin, gc_paused, lookup, text, within
from anju.registry.models import House, Person, Room


@gc_paused
def load_houses(session: Session, actor: Actor, houses: Sequence[BulkHouse]) -> BulkResult:
    """Create houses with their rooms; answers each house's room ids, in its rooms' order."""
    prefix = begin(session, actor)
    result = BulkResult([None] * len(houses))
    checked: list[tuple[int, tuple[str, str, str], tuple]] = []
    text_of: dict[tuple[str, str, str], str] = {}  # as first given, for a new house's row
    for index, h in enumerate(houses):
        try:
            address = text(h.address, "address", "地址", 2, 200)
            division = within(rules.house_division(h.division_code), prefix)
            _check_rooms(h.rooms)
            key = (h.landlord_person_code, addresses.normalise(address), division)
            text_of.setdefault(key, address)
            checked.append((index, key, h.rooms))
        except AnjuError as error:
            result.reject(index, error)
    landlords = {c for (c,) in lookup(session, select(Person.person_code), Person.person_code,
                                       (key[0] for _, key, _ in checked))}
    accepted = []
    for index, key, rooms in checked:
        if key[0] in landlords:
            accepted.append((index, key, rooms))
        else:
            result.reject(index, rules.landlord_unknown())
    # idempotency: the same landlord, (normalised) address and division is the same house, as
    # in the service (a second registration of it there is refused)
    present = lookup(session, select(House.id, House.landlord_person_code, House.address,
                                      House.division_code), House.landlord_person_code, landlords)
    house_of = {(owner, addresses.normalise(address), division): house_id
                for house_id, owner, address, division in present}
    rooms_of: dict[int, dict[str, int]] = {}
    for room_id, house_id, label in lookup(session, select(Room.id, Room.house_id, Room.label),
                                            Room.house_id, house_of.values()):
        rooms_of.setdefault(house_id, {})[label] = room_id
    new_keys = [k for k in dict.fromkeys(key for _, key, _ in accepted) if k not in house_of]
    house_of.update(zip(new_keys, allocate_ids(session, House.__tablename__, len(new_keys))))
    new_rooms: dict[tuple[int, str], int] = {}  # (house id, label) -> capacity
    for _, key, rooms in accepted:
        for label, capacity in rooms:
            if label not in rooms_of.get(house_of[key], {}):
                new_rooms.setdefault((house_of[key], label), capacity)
    for (house_id, label), room_id in zip(new_rooms, allocate_ids(
            session, Room.__tablename__, len(new_rooms))):
        rooms_of.setdefault(house_id, {})[label] = room_id
    now = sql_timestamp(utcnow())
    bulk_insert(session, House.__tablename__,
                ("id", "address", "division_code", "landlord_person_code", "created_at"),
                [(house_of[k], text_of[k], k[2], k[0], now) for k in new_keys])
    bulk_insert(session, Room.__tablename__, ("id", "house_id", "label", "capacity"),
                [(rooms_of[h][label], h, label, cap) for (h, label), cap in new_rooms.items()])
    for index, key, rooms in accepted:
        result[index] = [rooms_of[house_of[key]][label] for label, _ in rooms]
    result.created, result.existing = len(new_keys), len(accepted) - len(new_keys)
    audit.append_bulk(session, actor, (
        AuditEvent(P.HOUSE_IMPORT, P.HOUSING_REGISTRATION, k[0], "house", str(house_of[k]))
        for k in new_keys))
    return result


def _check_rooms(rooms: tuple[tuple[str, int], ...]) -> None:
    rules.check_rooms(list(rooms))
    for label, _ in rooms:
        text(label, "room_label", "房间号", 1, 32)
