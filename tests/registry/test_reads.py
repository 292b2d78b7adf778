"""The read functions the registry offers other domains (anju.registry.reads): plain values for
the ids asked, in bounded chunks, and nothing recorded (the caller's `Access` does that)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from anju.core.models import AuditRecord
from anju.registry import reads
from anju.registry import service as registry
from tests.factories import make_house, make_person, submit, valid_id


def _entries(db) -> int:
    with db.unit_of_work() as s:
        return s.execute(select(func.count()).select_from(AuditRecord)).scalar_one()


def test_places_names_and_tenancies_for_many_ids_in_chunks(world, monkeypatch):
    monkeypatch.setattr(reads, "CHUNK", 2)  # every set of ids spans several queries
    db, police = world.db, world.police
    codes = [make_person(db, police, f"租客{i}", id_number=valid_id("341221")) for i in range(3)]
    landlord = make_person(db, police, "房东甲", id_number=valid_id("330522"))
    house = make_house(db, police, landlord, rooms=(("201", 1), ("202", 1), ("203", 2)))
    rooms = [r["room_id"] for r in house["rooms"]]
    regs = [submit(db, police, code, room) for code, room in zip(codes, rooms, strict=True)]
    with db.unit_of_work() as s:
        for reg in regs[:2]:
            registry.approve_registration(s, police, reg)
    before = _entries(db)
    with db.unit_of_work() as s:
        places = reads.room_places(s, [*rooms, None, 999_999])
        assert sorted(places) == sorted(rooms)
        assert {p.landlord_person_code for p in places.values()} == {landlord}
        assert places[rooms[2]].capacity == 2 and places[rooms[2]].label == "203"
        assert reads.room_place(s, 999_999) is None
        names = reads.person_names(s, [*codes, None, "P-NOBODY"])
        assert names == {code: f"租客{i}" for i, code in enumerate(codes)}
        covering = reads.tenancies_covering(s, date(2026, 2, 1), date(2026, 2, 28))
        assert [t.id for t in covering] == regs[:2]  # approved only: a submission is no tenancy
        assert reads.registration(s, regs[2]).status == "submitted"
        assert sorted(reads.room_ids_of_house(s, house["house_id"])) == sorted(rooms)
        assert reads.landlord_house_divisions(s, landlord) == [house["division_code"]]
        assert reads.person_place(s, codes[0]).name == "租客0"
    assert _entries(db) == before  # reads record nothing: the caller audits what it shows


def test_lapsed_permit_holders_among_the_persons_asked(world, monkeypatch):
    from anju.core import clock

    monkeypatch.setattr(reads, "CHUNK", 1)
    code = world.resident.person_code
    reg = submit(world.db, world.resident, code, world.room_id, date(2025, 1, 5))
    with world.db.unit_of_work() as s:
        registry.approve_registration(s, world.police, reg)
    clock.pin_today(date(2025, 8, 1))
    try:
        with world.db.unit_of_work() as s:
            registry.issue_permit(s, world.police, code)  # valid until 2026-08-01
    finally:
        clock.pin_today(None)
    never = make_person(world.db, world.police, "无证", id_number=valid_id("341221"))
    with world.db.unit_of_work() as s:
        asked = [code, never]
        assert reads.lapsed_permit_holders(s, date(2026, 8, 1), asked) == set()
        assert reads.lapsed_permit_holders(s, date(2026, 8, 2), asked) == {code}
        assert reads.lapsed_permit_holders(s, date(2026, 8, 2), [never]) == set()
        [expiring] = reads.permits_expiring(s, date(2026, 7, 20), date(2026, 8, 10))
        assert expiring.person_code == code and expiring.registration_id == reg
