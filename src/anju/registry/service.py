"""Registry use cases: the only code that writes persons, houses, registrations and permits.

Every function takes the session and the acting identity, asks `Access` (policy + jurisdiction),
writes, and appends to the audit chain, all inside the caller's unit of work.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core import addresses, clock, divisions, idnumber
from anju.registry import policy as P
from anju.core.access import Access, shown
from anju.core.audit import AuditEvent
from anju.core.crypto import id_cipher
from anju.core.db import utcnow
from anju.core.errors import Conflict, NotFound, ValidationError
from anju.core.events import emit
from anju.core.idempotency import run_once
from anju.core.paging import MAX_LIMIT, Page
from anju.core.policy import ADDRESS, Actor, PERSON_FIELDS, Role, Scope, is_allowed
from anju.registry import rules
from anju.registry.models import (
    House,
    Permit,
    PermitEndorsement,
    PermitSerial,
    Person,
    Registration,
    Room,
)
from anju.registry.rules import RegistrationStatus as RS
from anju.registry.schemas import (
    EligibilityOut,
    HouseIn,
    HouseOut,
    PermitOut,
    PersonIn,
    PersonView,
    RegistrationIn,
    RegistrationOut,
    RoomOut,
)

ACTIVE = [s.value for s in rules.ACTIVE_STATES]
APPROVED = RS.APPROVED.value


cipher = id_cipher  # the one cipher of identity values (anju.core.crypto)


# --- persons ---------------------------------------------------------------------------------
def _normalise_phone(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    digits = re.sub(r"[\s\-()（）]", "", raw)
    digits = digits.removeprefix("+86").removeprefix("0086")
    if not re.fullmatch(r"\d{7,12}", digits) or (len(digits) == 11 and digits[0] != "1"):
        raise ValidationError("phone_format", "电话号码格式不正确", "phone number is malformed",
                              field="phone")
    return digits


def _normalise_sex(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    value = {"男": "M", "女": "F", "1": "M", "2": "F", "m": "M", "f": "F"}.get(raw.strip().lower(),
                                                                             raw.strip().upper())
    if value not in ("M", "F"):
        raise ValidationError("sex_code", "性别应为男或女", "sex must be M or F", field="sex")
    return value


def _hukou_division(address: str | None, id_region: str) -> str | None:
    """The hukou place as a division code: from the address people give (township if named,
    else county); failing that, the ID number's region, which is where the hukou was first
    registered and usually still is."""
    county, township = addresses.resolve(address) if address else (None, None)
    return township or county or region_division(id_region)


def region_division(id_region: str) -> str | None:
    """The current division an ID number's region code names (None if unknown or retired)."""
    region = divisions.get(id_region)
    return region.code if region is not None and not region.retired else None


def landlord_reach(session: Session, actor: Actor, person_code: str) -> str | None:
    """The actor's person code if the person rents a room of theirs under an *approved*
    registration: a landlord reaches a tenant only once the police accepted the tenancy (a
    submission of their own proves nothing)."""
    if actor.role is not Role.LANDLORD or not actor.person_code:
        return None
    found = session.execute(select(Registration.id).where(
        Registration.person_code == person_code,
        Registration.landlord_person_code == actor.person_code,
        Registration.status == APPROVED).limit(1)).first()
    return actor.person_code if found else None


def _view(access: Access, person: Person, *, masked: bool = False) -> PersonView:
    purpose = access.purpose(person.person_code)
    values = {f: getattr(person, f) for f in PERSON_FIELDS if f != "id_number"}
    values["id_number"] = lambda: cipher().decrypt(person.id_cipher)
    fields = shown(purpose, values, masked=masked)
    if "id_number" in fields:
        fields["id_number_masked"] = masked or not purpose.id_whole
    return PersonView(**fields, purpose=purpose.name)


def _load_person(session: Session, code: str) -> Person:
    person = session.execute(select(Person).where(Person.person_code == code)).scalar()
    if person is None:
        raise NotFound("not_found", "人员不存在", "person not found", field="person_code")
    return person


def _reaches_person(access: Access, action: str, person: Person) -> bool:
    return access.reaches(action, division_code=person.division_code,
                          person_codes=[person.person_code],
                          landlord_code=landlord_reach(access.session, access.actor,
                                                       person.person_code))


def _reach_person(access: Access, action: str, person: Person) -> None:
    """Raise NotFound unless the actor reaches the person and the person lies within the
    actor's purpose (an adult is no business of the education department)."""
    access.check(action, "人员", division_code=person.division_code,
                 person_codes=[person.person_code],
                 landlord_code=landlord_reach(access.session, access.actor, person.person_code))
    access.check_serves(person.birth_date, person.person_code)


def read_person(session: Session, actor: Actor, person_code: str) -> PersonView:
    access = Access(session, actor)
    access.scopes(P.PERSON_READ)
    person = _load_person(session, person_code)
    _reach_person(access, P.PERSON_READ, person)
    view = _view(access, person)
    access.record(AuditEvent(P.PERSON_READ, access.purpose(person.person_code), person.person_code, "person",
                             person.person_code))
    return view


def find_person_by_id_number(session: Session, actor: Actor, id_number: str) -> PersonView:
    access = Access(session, actor)
    access.scopes(P.PERSON_READ)
    lookup = cipher().lookup_hash(idnumber.normalize_id_number(id_number))
    person = session.execute(select(Person).where(Person.id_hash == lookup)).scalar()
    if person is None:
        raise NotFound("not_found", "人员不存在", "person not found", field="id_number")
    _reach_person(access, P.PERSON_READ, person)
    view = _view(access, person)
    access.record(AuditEvent(P.PERSON_READ, access.purpose(person.person_code), person.person_code, "person",
                             person.person_code, {"by": "id_number"}))
    return view


def find_persons_by_id_numbers(session: Session, actor: Actor,
                               id_numbers: Iterable[str]) -> dict[str, str]:
    """`find_person_by_id_number` for many numbers at once (a department import linking its
    records): number → person code for the persons the actor reaches, each read audited as
    there. Numbers of unknown persons, or of persons out of reach, are simply absent."""
    access = Access(session, actor)
    access.scopes(P.PERSON_READ)
    c = cipher()
    by_hash = {c.lookup_hash(idnumber.normalize_id_number(n)): n for n in set(id_numbers)}
    hashes = list(by_hash)
    found, events = {}, []
    for start in range(0, len(hashes), 500):
        people = session.execute(select(Person).where(
            Person.id_hash.in_(hashes[start:start + 500])).order_by(Person.id)).scalars()
        for person in people:
            # A lookup, not an attempt on anyone: persons out of reach are simply not found.
            if not _reaches_person(access, P.PERSON_READ, person) or \
                    not access.serves(person.birth_date, person.person_code):
                continue
            purpose = access.purpose(person.person_code)
            found[by_hash[person.id_hash]] = person.person_code
            events.append(AuditEvent(P.PERSON_READ, purpose, person.person_code, "person",
                                     person.person_code, {"by": "id_number"}))
    access.record(*events)
    return found


def _person_match(query: str):
    """What a search box means for persons: an ID number, a phone, a person code or a name."""
    normalised = idnumber.normalize_id_number(query)
    if re.fullmatch(r"\d{17}[\dX]", normalised):
        return Person.id_hash == cipher().lookup_hash(normalised)
    if re.fullmatch(r"[\d+\- ]{7,}", query):
        return Person.phone == (_normalise_phone(query) or "")
    if rules.is_valid_person_code(query.upper()):
        return Person.person_code == query.upper()
    return Person.name == query


def _found(access: Access, where, query: str, limit: int) -> list[PersonView]:
    query = query.strip()
    if not query:
        return []
    people = access.session.execute(select(Person).where(where, _person_match(query))
                                    .order_by(Person.id).limit(min(limit, 50))).scalars().all()
    views = [_view(access, p, masked=True) for p in people]
    access.record(*[AuditEvent(P.PERSON_SEARCH, access.purpose(v.person_code), v.person_code, "person", v.person_code,
                               {"query_kind": "search"}) for v in views])
    return views


def search_persons(session: Session, actor: Actor, query: str, limit: int = 20) -> list[PersonView]:
    """Find persons by ID number, phone or name within the actor's jurisdiction; masked results."""
    access = Access(session, actor)
    where = and_(access.restrict(P.PERSON_SEARCH, division_col=Person.division_code),
                 access.serves_clause(Person.birth_date))
    return _found(access, where, query, limit)


def search_landlords(session: Session, actor: Actor, query: str,
                     limit: int = 20) -> list[PersonView]:
    """`search_persons`, also finding the landlords of houses the actor reaches wherever they
    live themselves (a grid worker looks up the landlords of their area); masked results."""
    access = Access(session, actor)
    lets_here = Person.person_code.in_(select(House.landlord_person_code).where(access.restrict(
        P.HOUSE_READ, division_col=House.division_code, landlord_col=House.landlord_person_code)))
    where = and_(or_(access.restrict(P.PERSON_SEARCH, division_col=Person.division_code),
                     lets_here), access.serves_clause(Person.birth_date))
    return _found(access, where, query, limit)


def create_person(session: Session, actor: Actor, data: PersonIn) -> PersonView:
    access = Access(session, actor)
    access.check(P.PERSON_CREATE, "辖区", division_code=actor.division_code,
                 landlord_code=actor.person_code)
    info = idnumber.parse_id_number(data.id_number, today=clock.today())
    sex = _normalise_sex(data.sex)
    if sex and sex != info.sex:
        raise ValidationError("sex_mismatch", "性别与身份证号码不一致",
                              "sex does not match the ID number", field="sex")
    rules.check_birth_date(data.birth_date, clock.today())
    if data.birth_date and data.birth_date != info.birth_date:
        raise ValidationError("birth_date_mismatch", "出生日期与身份证号码不一致",
                              "birth date does not match the ID number", field="birth_date")
    phone = _normalise_phone(data.phone)
    warnings = [{"code": w.code, "message_zh": w.message_zh, "message_en": w.message_en}
                for w in info.warnings]
    lookup = cipher().lookup_hash(info.number)
    existing = session.execute(select(Person).where(Person.id_hash == lookup)).scalar()
    if existing is not None:
        return _resolve_existing(access, existing, data.name, warnings)
    division = divisions.canonical(actor.division_code)
    person = Person(
        person_code=rules.new_person_code(), name=data.name, id_cipher=cipher().encrypt(info.number),
        id_hash=lookup, sex=info.sex, birth_date=info.birth_date, phone=phone,
        hukou_address=data.hukou_address,
        hukou_division_code=_hukou_division(data.hukou_address, info.region_code),
        division_code=division, base_division_code=division,
    )
    session.add(person)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("person_exists", "该身份证号码已登记", "this ID number is already registered",
                       field="id_number") from None
    access.record(AuditEvent(P.PERSON_CREATE, P.REGISTRATION_INTAKE, person.person_code, "person",
                             person.person_code))
    view = PersonView(person_code=person.person_code, existing=False, warnings=warnings)
    if access.reaches(P.PERSON_READ, division_code=person.division_code,
                      person_codes=[person.person_code]):
        view = _view(access, person).model_copy(update={"existing": False, "warnings": warnings})
    return view


def _resolve_existing(access: Access, person: Person, name: str,
                      warnings: list[dict]) -> PersonView:
    """One person, one code: an ID number already recorded resolves to that person. Someone who
    reaches the person hears so as before. Anyone else must prove they hold the person's papers
    (a landlord with the tenant's ID card): the name must match the ID number; then the answer
    is the person code and nothing more. A mismatch says only that; both are audited."""
    event = AuditEvent(P.PERSON_CREATE, P.REGISTRATION_INTAKE, person.person_code, "person",
                       person.person_code, {"resolved": "existing"})
    if _reaches_person(access, P.PERSON_READ, person):
        access.record(event)
        return PersonView(person_code=person.person_code, existing=True, warnings=warnings)
    if not rules.same_name(name, person.name):
        access.record_refusal(event, reason="name_id_mismatch")
        raise ValidationError("name_id_mismatch", "姓名与身份证号码不一致",
                              "name and ID number do not match", field="name")
    access.record(replace(event, detail={"resolved": "existing", "proved_by": "name"}))
    return PersonView(person_code=person.person_code, existing=True)


# --- houses and rooms --------------------------------------------------------------------------
def _house_out(session: Session, house: House, with_occupancy: bool = True,
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
        access.restrict(P.HOUSE_READ, division_col=House.division_code,
                        landlord_col=House.landlord_person_code)).limit(1)).first() is not None


def create_house(session: Session, actor: Actor, data: HouseIn, *,
                 landlord_vouched: bool = False) -> HouseOut:
    """Register a house and its rooms. The landlord is the actor themselves (a landlord) or a
    person the actor reaches: naming someone else's person code as the landlord would tie them
    to a house in the actor's jurisdiction, which reaches further (assisted mode). The housing
    service vouches for the landlord when a grid worker acts under that landlord's consent."""
    access = Access(session, actor)
    access.scopes(P.HOUSE_CREATE)
    code = divisions.canonical(data.division_code)
    division = divisions.require(code)
    if division.level < 4:
        raise ValidationError("division_too_coarse", "房屋须登记到乡镇（街道）或村（社区）",
                              "a house needs a township or community division code",
                              field="division_code")
    access.check(P.HOUSE_CREATE, "辖区", division_code=code, landlord_code=data.landlord_person_code)
    # The landlord's row is locked: two registrations of one house cannot both pass the check.
    landlord = session.execute(select(Person).where(
        Person.person_code == data.landlord_person_code).with_for_update()).scalar()
    if landlord is None or not (landlord_vouched or landlord.person_code == actor.person_code
                                or _reaches_person(access, P.PERSON_READ, landlord)
                                or _lets_within_reach(access, landlord.person_code)):
        # unknown and out of reach answer alike
        raise ValidationError("landlord_unknown", "房东人员编码不存在",
                              "landlord person code not found", field="landlord_person_code")
    labels = [r.label for r in data.rooms]
    if len(set(labels)) != len(labels):
        raise ValidationError("room_label_repeated", "房间号重复", "room labels repeat",
                              field="rooms")
    refuse_same_house(access, data.landlord_person_code, code, data.address)
    house = House(address=data.address, division_code=code,
                  landlord_person_code=data.landlord_person_code)
    session.add(house)
    session.flush()
    session.add_all([Room(house_id=house.id, label=r.label, capacity=r.capacity) for r in data.rooms])
    session.flush()
    access.record(AuditEvent(P.HOUSE_CREATE, P.HOUSING_REGISTRATION, landlord.person_code, "house",
                             str(house.id)))
    return _house_out(session, house)


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


def _load_house(session: Session, house_id: int) -> House:
    house = session.get(House, house_id)
    if house is None:
        raise NotFound("not_found", "房屋不存在", "house not found", field="house_id")
    return house


def read_house(session: Session, actor: Actor, house_id: int) -> HouseOut:
    access = Access(session, actor)
    access.scopes(P.HOUSE_READ)
    house = _load_house(session, house_id)
    tenant = actor.person_code and session.execute(select(Registration.id).join(
        Room, Room.id == Registration.room_id).where(
        Room.house_id == house.id, Registration.person_code == actor.person_code,
        Registration.status.in_(ACTIVE))).first()
    official = access.reaches(P.HOUSE_READ, division_code=house.division_code,
                              landlord_code=house.landlord_person_code)
    access.check(P.HOUSE_READ, "房屋", division_code=house.division_code,
                 landlord_code=house.landlord_person_code,
                 person_codes=[actor.person_code] if tenant else [])
    access.record(_house_read_event(house))
    return _house_out(session, house, landlord_shown=official)


def _house_read_event(house: House) -> AuditEvent:
    # A house names its landlord, so reading it is a read of the landlord's data.
    return AuditEvent(P.HOUSE_READ, P.HOUSING, house.landlord_person_code, "house", str(house.id))


def list_houses(session: Session, actor: Actor, limit: int = 100,
                query: str | None = None) -> list[HouseOut]:
    """Houses the actor reaches, newest first; `query` finds them by part of the address."""
    access = Access(session, actor)
    where = access.restrict(P.HOUSE_READ, division_col=House.division_code,
                            landlord_col=House.landlord_person_code)
    stmt = select(House).where(where)
    if query and query.strip():
        stmt = stmt.where(House.address.contains(query.strip()[:64], autoescape=True))
    houses = session.execute(stmt.order_by(House.id.desc()).limit(limit)).scalars().all()
    access.record(*[_house_read_event(h) for h in houses
                    if h.landlord_person_code != actor.person_code])
    return [_house_out(session, h) for h in houses]


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
    where = access.restrict(P.REGISTRATION_SUBMIT, division_col=House.division_code,
                            landlord_col=House.landlord_person_code)
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


# --- residence registrations -----------------------------------------------------------------
def _registration_out(access: Access, reg: Registration, warnings: list[dict] | None = None, *,
                      person: Person | None = None, house: House | None = None,
                      room: Room | None = None) -> RegistrationOut:
    """A registration as the actor's purpose shows it: where the person lives (room, address)
    only if the purpose includes their address; in reads (`person` given) their name, masked
    except to the person themselves and to the police deciding it. Nothing tells whose code one
    wrote: answers to writes carry no name, and the police see the name of someone they do not
    reach masked in a registration they submitted themselves."""
    purpose = access.purpose(reg.person_code)
    values: dict = {ADDRESS: (reg.room_id, house.address if house else None,
                                room.label if room else None)}
    if person is not None:
        values["name"] = person.name
    actor = access.actor
    whole = reg.person_code == actor.person_code or actor.role is Role.POLICE and (
        reg.submitted_by != actor.username or person is not None and access.reaches(
            P.PERSON_READ, division_code=person.division_code))
    fields = shown(purpose, values, masked=not whole)
    room_id, address, room_label = fields.get(ADDRESS, (None, None, None))
    return RegistrationOut(
        registration_id=reg.id, person_code=reg.person_code, room_id=room_id,
        division_code=reg.division_code, start_date=reg.start_date, end_date=reg.end_date,
        reason=reg.reason, status=reg.status, rejection_reason=reg.rejection_reason,
        decided_by=reg.decided_by, decided_at=reg.decided_at, submitted_at=reg.created_at,
        warnings=warnings or [], person_name=fields.get("name"), address=address,
        room_label=room_label)


def _load_registration(session: Session, registration_id: int, lock: bool = False) -> Registration:
    query = select(Registration).where(Registration.id == registration_id)
    reg = session.execute(query.with_for_update() if lock else query).scalar()
    if reg is None:
        raise NotFound("not_found", "居住登记不存在", "registration not found",
                       field="registration_id")
    return reg


def _reach_registration(access: Access, action: str, reg: Registration) -> None:
    access.check(action, "居住登记", division_code=reg.division_code,
                 person_codes=[reg.person_code], landlord_code=reg.landlord_person_code)


def submit_registration(session: Session, actor: Actor, data: RegistrationIn,
                        idempotency_key: str | None = None) -> tuple[RegistrationOut, bool]:
    """Submit a residence registration; returns (registration, replayed)."""
    return run_once(session, actor, idempotency_key, data,
                    lambda: _submit_registration(session, actor, data), RegistrationOut)


def _submit_registration(session: Session, actor: Actor, data: RegistrationIn) -> RegistrationOut:
    access = Access(session, actor)
    access.scopes(P.REGISTRATION_SUBMIT)
    room = session.get(Room, data.room_id)
    if room is None or room.removed_at is not None:
        raise NotFound("not_found", "房间不存在", "room not found", field="room_id")
    house = session.get(House, room.house_id)
    # Lock the person row: two concurrent submissions for one person must not both pass the
    # overlap check.
    person = session.execute(select(Person).where(Person.person_code == data.person_code)
                             .with_for_update()).scalar()
    if person is None:
        raise NotFound("not_found", "人员不存在", "person not found", field="person_code")
    access.check(P.REGISTRATION_SUBMIT, "房间", division_code=house.division_code,
                 person_codes=[person.person_code], landlord_code=house.landlord_person_code)
    rules.check_start_date(data.start_date, clock.today())
    current = session.execute(select(Registration).where(
        Registration.person_code == person.person_code,
        Registration.status.in_(ACTIVE))).scalars().all()
    for other in current:
        if rules.periods_overlap(other.start_date, other.end_date, data.start_date, None):
            raise _overlap(access, other)
    occupants = session.execute(select(func.count()).select_from(Registration).where(
        Registration.room_id == room.id, Registration.status.in_(ACTIVE))).scalar_one()
    warnings = []
    if occupants + 1 > room.capacity:
        warnings.append({"code": "room_over_capacity",
                         "message_zh": f"房间核定居住 {room.capacity} 人，登记后为 {occupants + 1} 人",
                         "message_en": f"room holds {room.capacity}; this makes {occupants + 1}"})
    reg = Registration(person_code=person.person_code, room_id=room.id,
                       division_code=house.division_code,
                       landlord_person_code=house.landlord_person_code,
                       start_date=data.start_date, reason=data.reason.value,
                       status=RS.SUBMITTED.value, submitted_by=actor.username)
    session.add(reg)  # the person stays where they are until the police approve
    session.flush()
    access.record(AuditEvent(P.REGISTRATION_SUBMIT, P.RESIDENCE_REGISTRATION, person.person_code,
                             "registration", str(reg.id)))
    emit(session, actor, "registration.submitted", reg)
    return _registration_out(access, reg, warnings)


def _overlap(access: Access, other: Registration) -> Conflict:
    """One active registration at a time. Its number and state are told only to someone who
    reaches that registration; to anyone else, that there is one is all the answer says."""
    told = is_allowed(access.actor.role, P.REGISTRATION_READ) and access.reaches(
        P.REGISTRATION_READ, division_code=other.division_code, person_codes=[other.person_code],
        landlord_code=other.landlord_person_code)
    if told:
        return Conflict(
            "registration_overlap",
            f"该人员已有一条{rules.STATUS_ZH[RS(other.status)]}的居住登记（编号 {other.id}），"
            "请先注销原登记",
            f"this person already has a {other.status} registration ({other.id}) for that "
            "period; end it first", field="start_date")
    return Conflict("registration_overlap", "该人员在此期间已有居住登记，请先注销原登记",
                    "this person already has a registration for that period; it must be ended "
                    "first", field="start_date")


def settle_division(session: Session, person_code: str) -> None:
    """Put the person where they live for access purposes: the division of their latest
    approved registration, else their base division. Called whenever a registration is
    approved, rejected or ended, and by nothing else."""
    person = session.execute(select(Person).where(Person.person_code == person_code)
                             .with_for_update()).scalar()
    latest = session.execute(select(Registration.division_code).where(
        Registration.person_code == person_code, Registration.status == APPROVED)
        .order_by(Registration.start_date.desc(), Registration.id.desc()).limit(1)).scalar()
    person.division_code = latest or person.base_division_code


def _decide(session: Session, actor: Actor, registration_id: int, target: RS,
            rejection_reason: str | None = None) -> RegistrationOut:
    access = Access(session, actor)
    access.scopes(P.REGISTRATION_APPROVE)
    reg = _load_registration(session, registration_id, lock=True)
    _reach_registration(access, P.REGISTRATION_APPROVE, reg)
    rules.require_transition(reg.status, target)
    reg.status = target.value
    reg.rejection_reason = rejection_reason
    reg.decided_by, reg.decided_at = actor.username, utcnow()
    session.flush()
    settle_division(session, reg.person_code)
    access.record(AuditEvent(P.REGISTRATION_APPROVE if target is RS.APPROVED else P.REGISTRATION_REJECT,
                             P.REGISTRATION_MANAGEMENT, reg.person_code, "registration",
                             str(reg.id)))
    emit(session, actor, f"registration.{target.value}", reg)
    return _registration_out(access, reg)


def approve_registration(session: Session, actor: Actor, registration_id: int) -> RegistrationOut:
    return _decide(session, actor, registration_id, RS.APPROVED)


def reject_registration(session: Session, actor: Actor, registration_id: int,
                        reason: str) -> RegistrationOut:
    return _decide(session, actor, registration_id, RS.REJECTED, reason)


def end_registration(session: Session, actor: Actor, registration_id: int,
                     end_date: date) -> RegistrationOut:
    access = Access(session, actor)
    access.scopes(P.REGISTRATION_END)
    reg = _load_registration(session, registration_id, lock=True)
    _reach_registration(access, P.REGISTRATION_END, reg)
    rules.require_transition(reg.status, RS.ENDED)
    rules.check_period(reg.start_date, end_date)
    rules.check_end_date(end_date, clock.today())
    reg.status, reg.end_date = RS.ENDED.value, end_date
    session.flush()
    settle_division(session, reg.person_code)
    access.record(AuditEvent(P.REGISTRATION_END, P.RESIDENCE_REGISTRATION, reg.person_code,
                             "registration", str(reg.id)))
    emit(session, actor, "registration.ended", reg)
    return _registration_out(access, reg)


def read_registration(session: Session, actor: Actor, registration_id: int) -> RegistrationOut:
    access = Access(session, actor)
    access.scopes(P.REGISTRATION_READ)
    reg = _load_registration(session, registration_id)
    _reach_registration(access, P.REGISTRATION_READ, reg)
    person = _load_person(session, reg.person_code)
    room = session.get(Room, reg.room_id)
    house = session.get(House, room.house_id)
    access.check_serves(person.birth_date, person.person_code, "居住登记")
    access.record(AuditEvent(P.REGISTRATION_READ, access.purpose(reg.person_code),
                             reg.person_code, "registration", str(reg.id)))
    return _registration_out(access, reg, person=person, house=house, room=room)


def _registration_search(query: str):
    """What a search box means: an ID number, a registration number, a person code, or the
    start of a name."""
    query = query.strip()
    normalised = idnumber.normalize_id_number(query)
    if re.fullmatch(r"\d{17}[\dX]", normalised):
        return Person.id_hash == cipher().lookup_hash(normalised)
    if re.fullmatch(r"\d{1,9}", query):  # a registration number (ids are 32-bit)
        return Registration.id == int(query)
    if rules.is_valid_person_code(query.upper()):
        return Registration.person_code == query.upper()
    return Person.name.startswith(query, autoescape=True)


def list_registrations(session: Session, actor: Actor, status: str | None = None,
                       person_code: str | None = None, limit: int = 50, *, offset: int = 0,
                       division: str | None = None, submitted_from: date | None = None,
                       submitted_to: date | None = None, query: str | None = None,
                       landlord_code: str | None = None) -> Page:
    """Registrations the actor reaches, newest first, one page of them with the total (the
    police approval queue filters by status, township, submission date and a search)."""
    access = Access(session, actor)
    where = [access.restrict(P.REGISTRATION_READ, division_col=Registration.division_code,
                             person_col=Registration.person_code,
                             landlord_col=Registration.landlord_person_code),
             access.serves_clause(Person.birth_date, Registration.person_code)]
    if status:
        where.append(Registration.status == str(status))
    if person_code:
        where.append(Registration.person_code == person_code)
    if landlord_code:
        where.append(Registration.landlord_person_code == landlord_code)
    if division:
        prefix = divisions.significant_prefix(divisions.canonical(division))
        where.append(Registration.division_code.like(prefix + "%"))
    # Submission dates are China Standard Time days; created_at is naive UTC.
    if submitted_from:
        where.append(Registration.created_at >= _cst_midnight_utc(submitted_from))
    if submitted_to:
        where.append(Registration.created_at < _cst_midnight_utc(submitted_to, 1))
    if query and query.strip():
        where.append(_registration_search(query[:64]))
    joined = (select(Registration, Person, Room, House)
              .join(Person, Person.person_code == Registration.person_code)
              .join(Room, Room.id == Registration.room_id).join(House, House.id == Room.house_id))
    total = session.execute(select(func.count()).select_from(Registration).join(
        Person, Person.person_code == Registration.person_code).where(*where)).scalar_one()
    limit = max(1, min(limit, MAX_LIMIT))
    rows = session.execute(joined.where(*where).order_by(Registration.id.desc())
                           .offset(max(offset, 0)).limit(limit)).all()
    out, events = Page(total=total, offset=max(offset, 0), limit=limit), []
    for reg, person, room, house in rows:
        own = person.person_code == actor.person_code
        out.append(_registration_out(access, reg, person=person, house=house, room=room))
        if not own:
            events.append(AuditEvent(P.REGISTRATION_READ, access.purpose(person.person_code),
                                     person.person_code, "registration", str(reg.id),
                                     {"listing": True}))
    access.record(*events)
    return out


def _cst_midnight_utc(day: date, plus_days: int = 0) -> datetime:
    return datetime.combine(day + timedelta(days=plus_days), time.min) - timedelta(hours=8)


# --- residence permits -----------------------------------------------------------------------
def _spells(session: Session, person_code: str) -> list[rules.ResidenceSpell]:
    regs = session.execute(select(Registration).where(
        Registration.person_code == person_code,
        Registration.status.in_([RS.APPROVED.value, RS.ENDED.value]),
        Registration.decided_at.is_not(None))).scalars()
    return [rules.ResidenceSpell(r.start_date, r.end_date, r.reason) for r in regs]


def permit_eligibility(session: Session, actor: Actor, person_code: str) -> EligibilityOut:
    access = Access(session, actor)
    access.scopes(P.PERMIT_READ)
    person = _load_person(session, person_code)
    access.check(P.PERMIT_READ, "人员", division_code=person.division_code,
                 person_codes=[person.person_code])
    access.check_serves(person.birth_date, person.person_code)
    result = rules.permit_eligibility(_spells(session, person_code), clock.today())
    access.record(AuditEvent(P.PERMIT_ELIGIBILITY, access.purpose(person_code), person_code,
                             "person", person_code))
    return EligibilityOut(person_code=person_code, eligible=result.eligible,
                          eligible_from=result.eligible_from, reasons_zh=result.reasons_zh,
                          reasons_en=result.reasons_en)


def _permit_out(session: Session, permit: Permit) -> PermitOut:
    status = permit.status
    if status == "valid" and permit.valid_until < clock.today():
        status = "expired"
    endorsed = session.execute(select(PermitEndorsement.endorsed_on).where(
        PermitEndorsement.permit_id == permit.id).order_by(PermitEndorsement.id)).scalars().all()
    return PermitOut(permit_number=permit.permit_number, person_code=permit.person_code,
                     issued_on=permit.issued_on, valid_until=permit.valid_until, status=status,
                     endorsements=list(endorsed))


def issue_permit(session: Session, actor: Actor, person_code: str) -> PermitOut:
    access = Access(session, actor)
    access.scopes(P.PERMIT_ISSUE)
    person = _load_person(session, person_code)
    access.check(P.PERMIT_ISSUE, "人员", division_code=person.division_code)
    today = clock.today()
    eligibility = rules.permit_eligibility(_spells(session, person_code), today)
    if not eligibility.eligible:
        raise Conflict("permit_not_eligible", "；".join(eligibility.reasons_zh),
                       "; ".join(eligibility.reasons_en), field="person_code")
    held = session.execute(select(Permit).where(Permit.person_code == person_code,
                                                Permit.status == "valid",
                                                Permit.valid_until >= today)).scalar()
    if held is not None:
        raise Conflict("permit_exists", f"已持有有效居住证 {held.permit_number}",
                       f"already holds valid permit {held.permit_number}", field="person_code")
    reg = session.execute(select(Registration).where(
        Registration.person_code == person_code, Registration.status == RS.APPROVED.value)
        .order_by(Registration.start_date.desc())).scalars().first()
    county = divisions.short_code(reg.division_code)[:6]
    key = f"{county}{today.year}"
    serial = session.execute(select(PermitSerial).where(PermitSerial.county_year == key)
                             .with_for_update()).scalar()
    if serial is None:
        serial = PermitSerial(county_year=key, last_serial=0)
        session.add(serial)
    serial.last_serial += 1
    permit = Permit(permit_number=rules.permit_number(county, today.year, serial.last_serial),
                    person_code=person_code, registration_id=reg.id,
                    division_code=reg.division_code, issued_on=today,
                    valid_until=today.replace(year=today.year + 1) if not (
                        today.month == 2 and today.day == 29) else date(today.year + 1, 2, 28),
                    issued_by=actor.username)
    session.add(permit)
    session.flush()
    access.record(AuditEvent(P.PERMIT_ISSUE, P.RESIDENCE_PERMIT, person_code, "permit",
                             permit.permit_number))
    return _permit_out(session, permit)


def endorse_permit(session: Session, actor: Actor, permit_number: str) -> PermitOut:
    """Annual endorsement (签注): extends validity a year while the person still lives here."""
    access = Access(session, actor)
    access.scopes(P.PERMIT_ENDORSE)
    permit = session.execute(select(Permit).where(Permit.permit_number == permit_number)
                             .with_for_update()).scalar()
    if permit is None:
        raise NotFound("not_found", "居住证不存在", "permit not found", field="permit_number")
    access.check(P.PERMIT_ENDORSE, "居住证", division_code=permit.division_code)
    today = clock.today()
    if permit.status != "valid":
        raise Conflict("permit_revoked", "居住证已注销", "permit was revoked")
    living_here = session.execute(select(Registration.id).where(
        Registration.person_code == permit.person_code,
        Registration.status == RS.APPROVED.value)).first()
    if not living_here:
        raise Conflict("permit_no_residence", "当前无有效居住登记，不能签注",
                       "no current residence registration; cannot endorse")
    if (permit.valid_until - today).days > 60:
        raise Conflict("permit_endorse_early", "有效期届满前 60 日内方可签注",
                       "endorsement opens 60 days before expiry")
    base = max(permit.valid_until, today)
    permit.valid_until = rules.add_months(base, 12)
    session.add(PermitEndorsement(permit_id=permit.id, endorsed_on=today,
                                  valid_until=permit.valid_until, endorsed_by=actor.username))
    access.record(AuditEvent(P.PERMIT_ENDORSE, P.RESIDENCE_PERMIT, permit.person_code, "permit",
                             permit.permit_number))
    return _permit_out(session, permit)


def list_permits(session: Session, actor: Actor, person_code: str) -> list[PermitOut]:
    access = Access(session, actor)
    access.scopes(P.PERMIT_READ)
    person = _load_person(session, person_code)
    access.check(P.PERMIT_READ, "人员", division_code=person.division_code,
                 person_codes=[person.person_code])
    access.check_serves(person.birth_date, person.person_code)
    permits = session.execute(select(Permit).where(Permit.person_code == person_code)
                              .order_by(Permit.id.desc())).scalars().all()
    if person_code != actor.person_code:
        access.record(AuditEvent(P.PERMIT_READ, access.purpose(person_code), person_code,
                                 "person", person_code))
    return [_permit_out(session, p) for p in permits]


# --- for core: where a person lives, for access purposes ------------------------------------
def person_division(session: Session, person_code: str) -> str | None:
    """The division by which access to the person is decided, or None if there is no such
    person. Core's account binding (anju.core.accounts) asks this through the app and the CLI;
    it is no read of the person's data and returns nothing else."""
    return session.execute(select(Person.division_code).where(
        Person.person_code == person_code)).scalar()
