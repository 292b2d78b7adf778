"""Factory functions for test data, in the style of `create_person(...)`: each writes through the
real service layer (so policy and audit apply) unless it says otherwise."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from anju.core import identity
from anju.core.db import Database
from anju.core.idnumber import check_digit
from anju.core.policy import Actor
from anju.registry import service
from anju.registry.schemas import HouseIn, PersonIn, RegistrationIn, RoomIn

COUNTY = "330522"  # 长兴县
TOWNSHIP = "330522001000"  # 雉城街道
OTHER_TOWNSHIP = "330522101000"  # 洪桥镇
OTHER_COUNTY = "330523"  # 安吉县
PASSWORD = "correct-horse-9"

_rng = random.Random(7)
_used: set[str] = set()


def valid_id(region: str = "341221", birth: date = date(1990, 3, 5), sex: str | None = None) -> str:
    """A fresh, valid 18-digit ID number (random sequence digits; odd = male)."""
    while True:
        seq = _rng.randrange(0, 1000)
        if sex == "M" and seq % 2 == 0 or sex == "F" and seq % 2 == 1:
            continue
        first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
        number = first17 + check_digit(first17)
        if number not in _used:
            _used.add(number)
            return number


def make_account(db: Database, role: str, *, division: str = COUNTY, department: str | None = None,
                 person_code: str | None = None, username: str | None = None) -> Actor:
    username = username or f"{role}-{division}-{_rng.randrange(10**9)}"
    with db.unit_of_work() as session:
        account = identity.create_account(session, username=username, password=PASSWORD,
                                          role=role, division=division, department=department,
                                          person_code=person_code)
        return identity.actor_of(account)


def make_person(db: Database, actor: Actor, name: str = "张伟", **kw) -> str:
    with db.unit_of_work() as session:
        view = service.create_person(session, actor, PersonIn(
            name=name, id_number=kw.pop("id_number", None) or valid_id(), **kw))
        return view.person_code


def make_house(db: Database, actor: Actor, landlord_code: str, division: str = TOWNSHIP,
               rooms: tuple[tuple[str, int], ...] = (("101", 2), ("102", 1))) -> dict:
    with db.unit_of_work() as session:
        house = service.create_house(session, actor, HouseIn(
            address="长兴县雉城街道明珠路 88 号", division_code=division,
            landlord_person_code=landlord_code,
            rooms=[RoomIn(label=label, capacity=cap) for label, cap in rooms]))
        return house.model_dump()


def submit(db: Database, actor: Actor, person_code: str, room_id: int,
           start: date = date(2026, 1, 5), reason: str = "work") -> int:
    with db.unit_of_work() as session:
        reg, _ = service.submit_registration(session, actor, RegistrationIn(
            person_code=person_code, room_id=room_id, start_date=start, reason=reason))
        return reg.registration_id


@dataclass
class World:
    db: Database
    police: Actor
    police_other_county: Actor
    grid: Actor
    grid_other_township: Actor
    officer: Actor
    steward: Actor
    analyst: Actor
    auditor: Actor
    admin: Actor
    landlord: Actor
    resident: Actor
    house: dict
    extra: dict = field(default_factory=dict)

    @property
    def room_id(self) -> int:
        return self.house["rooms"][0]["room_id"]

    def actor(self, name: str) -> Actor:
        return getattr(self, name)


def build_world(db: Database) -> World:
    police = make_account(db, "police")
    landlord_code = make_person(db, police, "李建国", id_number=valid_id("330522", date(1962, 5, 1)))
    resident_code = make_person(db, police, "王芳", id_number=valid_id("341221", date(1995, 8, 8), "F"),
                                phone="13800001111", hukou_address="安徽省阜阳市临泉县城关镇")
    landlord = make_account(db, "landlord", person_code=landlord_code)
    resident = make_account(db, "resident", person_code=resident_code)
    house = make_house(db, police, landlord_code)
    return World(
        db=db, police=police, police_other_county=make_account(db, "police", division=OTHER_COUNTY),
        grid=make_account(db, "grid_worker", division=TOWNSHIP),
        grid_other_township=make_account(db, "grid_worker", division=OTHER_TOWNSHIP),
        officer=make_account(db, "dept_officer", department="hrss"),
        steward=make_account(db, "data_steward"), analyst=make_account(db, "analyst"),
        auditor=make_account(db, "auditor"), admin=make_account(db, "admin"),
        landlord=landlord, resident=resident, house=house,
    )


def token(client, username: str, password: str = PASSWORD) -> dict:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def crowd(db: Database, landlord_code: str, per_township: dict[str, int],
          start: date = date(2026, 1, 5), status: str = "submitted") -> list[int]:
    """Many tenants at once (through the registry's bulk loads): `per_township` maps a township
    code to how many registrations to submit into one house of one of its villages. Answers the
    registration ids, in order."""
    from anju.core import divisions
    from anju.core.identity import SYSTEM
    from anju.registry import bulk

    names = "伟芳娜敏静丽强磊军洋"
    ids: list[int] = []
    for township, n in per_township.items():
        village = next(d.code for d in divisions.children(township)
                       if d.level == divisions.VILLAGE and not d.retired)
        with db.unit_of_work() as s:
            codes = bulk.load_persons(s, SYSTEM, [bulk.BulkPerson(
                f"{'赵钱孙李周'[i % 5]}{names[i % 10]}{i}", valid_id("341221", date(1990, 1, 1 + i % 28)),
                None, None, village) for i in range(n)])
            rooms = bulk.load_houses(s, SYSTEM, [bulk.BulkHouse(
                f"长兴县{divisions.get(township).name}幸福路 {len(ids) + 1} 号", village, landlord_code,
                tuple((f"{i + 1:03d}", 1) for i in range(n)))])[0]
            regs = bulk.load_registrations(s, SYSTEM, [bulk.BulkRegistration(
                code, room, start, "work", status) for code, room in zip(codes, rooms)])
            regs.raise_for_rejected()
            ids += list(regs)
    return ids


def verified(db):
    """Seal what the test wrote, then verify the whole chain. (Issue 12: requests append their
    audit entries unsealed and the sealer chains them; a check right after an action seals
    first, so it checks every entry, not only those sealed so far.)"""
    from anju.core import audit, sealer

    sealer.seal_all(db)
    with db.reading() as s:
        result = audit.verify_chain(s)
    assert result.pending == 0 and result.checked > 0, result.message()
    return result
