"""Persons: "one person, one code". Read, find and search them, record them, and the reach a
landlord has over their tenants.

A read of a person goes through `Access`: the reach (jurisdiction, oneself, a landlord's approved
tenant) and the purpose (education serves minors) are checked, and `Access.touch` writes the audit
entry; the answer holds only the purpose's fields (`person_view`).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core import addresses, clock, divisions, idnumber
from anju.core.access import Access, not_found
from anju.core.audit import AuditEvent
from anju.core.crypto import id_cipher
from anju.core.db import HotStatement
from anju.core.errors import Conflict, ValidationError
from anju.core.policy import PERSON_FIELDS, Action, Actor, Purpose, Scope, scopes_for
from anju.registry import policy as P
from anju.registry import rules
from anju.registry.models import House, Person, Registration
from anju.registry.rules import RegistrationStatus as RS
from anju.registry.schemas import PersonIn, PersonView

ACTIVE = [s.value for s in rules.ACTIVE_STATES]
APPROVED = RS.APPROVED.value

cipher = id_cipher  # the one cipher of identity values (anju.core.crypto)


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


def landlord_reach(session: Session, actor: Actor, person_code: str,
                   action: Action = P.PERSON_READ) -> str | None:
    """The actor's person code if the person rents a room of theirs under an *approved*
    registration: a landlord reaches a tenant only once the police accepted the tenancy (a
    submission of their own proves nothing). Asked only of actors whose role reaches persons
    for `action` as owners of property (the policy's OWN_PROPERTY scope)."""
    if not actor.person_code or Scope.OWN_PROPERTY not in scopes_for(actor.role, action):
        return None
    found = session.execute(select(Registration.id).where(
        Registration.person_code == person_code,
        Registration.landlord_person_code == actor.person_code,
        Registration.status == APPROVED).limit(1)).first()
    return actor.person_code if found else None


def person_view(access: Access, person: Person, *, masked: bool = False) -> PersonView:
    """The person as the actor's purpose shows them (the ID number decrypted only if shown)."""
    purpose = access.purpose(person.person_code)
    values = {f: getattr(person, f) for f in PERSON_FIELDS if f != "id_number"}
    values["id_number"] = lambda: cipher().decrypt(person.id_cipher)
    fields = access.view(values, person.person_code, masked=masked)
    if "id_number" in fields:
        fields["id_number_masked"] = masked or not purpose.id_whole
    return PersonView(**fields, purpose=purpose.name)



def load_person(session: Session, code: str, *, lock: bool = False) -> Person:
    query = select(Person).where(Person.person_code == code)
    person = session.execute(query.with_for_update() if lock else query).scalar()
    if person is None:
        raise not_found("人员", "person", "person_code")
    return person



def person_reach(access: Access, person: Person, action: Action = P.PERSON_READ) -> dict:
    """Where the person lies for `action`: their division, themselves, and their landlord when
    the actor lets them a room under an approved registration."""
    return {"division_code": person.division_code, "person_codes": (person.person_code,),
            "landlord_code": landlord_reach(access.session, access.actor, person.person_code,
                                            action)}


def reaches_person(access: Access, action: Action, person: Person) -> bool:
    return access.reaches(action, **person_reach(access, person, action))



def touch_person(access: Access, action: Action, person: Person, *, what: str = "人员",
                 detail: dict | None = None, own: bool = True,
                 reach: dict | None = None) -> Purpose | None:
    """A read of the person for `action`: NotFound unless the actor reaches them and they lie
    within the actor's purpose (an adult is no business of the education department); then the
    audit entry, written by the access layer. `own`: a person's read of their own record is
    kept on the trail too (registry reads always were)."""
    reach = reach or person_reach(access, person, action)
    access.check(action, what, **reach)  # out of reach first: that refusal names the action
    access.check_serves(person.birth_date, person.person_code)
    return access.touch(action, person_code=person.person_code, kind="person",
                        object_id=person.person_code, what=what, detail=detail, own=own, **reach)


# The hot reads take the person as a plain row (Core, no ORM object or identity map): the
# same attributes `touch_person` and `person_view` read, at a fraction of the Python.
# Built once with bound parameters: a statement made per call costs its construction and its
# cache key every time.
_PERSON_ROW = select(*Person.__table__.c)
_PERSON_BY_CODE = HotStatement(_PERSON_ROW.where(Person.person_code == bindparam("code")))
_PERSON_BY_HASH = HotStatement(_PERSON_ROW.where(Person.id_hash == bindparam("hash")))


def read_person(session: Session, actor: Actor, person_code: str) -> PersonView:
    access = Access(session, actor)
    access.scopes(P.PERSON_READ)
    person = _PERSON_BY_CODE.first(session, {"code": person_code})
    if person is None:
        raise not_found("人员", "person", "person_code")
    touch_person(access, P.PERSON_READ, person)
    return person_view(access, person)


def find_person_by_id_number(session: Session, actor: Actor, id_number: str) -> PersonView:
    access = Access(session, actor)
    access.scopes(P.PERSON_READ)
    lookup = cipher().lookup_hash(idnumber.normalize_id_number(id_number))
    person = _PERSON_BY_HASH.first(session, {"hash": lookup})
    if person is None:
        raise not_found("人员", "person", "id_number")
    touch_person(access, P.PERSON_READ, person, detail={"by": "id_number"})
    return person_view(access, person)


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
    found = {}
    for start in range(0, len(hashes), 500):
        people = session.execute(select(Person).where(
            Person.id_hash.in_(hashes[start:start + 500])).order_by(Person.id)).scalars()
        for person in people:
            # A lookup, not an attempt on anyone: persons out of reach are simply not found.
            reach = person_reach(access, person)
            if not access.reaches(P.PERSON_READ, **reach) or \
                    not access.serves(person.birth_date, person.person_code):
                continue
            access.touch(P.PERSON_READ, person_code=person.person_code, kind="person",
                         object_id=person.person_code, detail={"by": "id_number"}, own=True,
                         **reach)
            found[by_hash[person.id_hash]] = person.person_code
    return found


def _person_match(query: str):
    """What a search box means for persons: an ID number, a phone, a person code or a name."""
    normalised = idnumber.normalize_id_number(query)
    if re.fullmatch(r"\d{17}[\dX]", normalised):
        return Person.id_hash == cipher().lookup_hash(normalised)
    if re.fullmatch(r"[\d+\- ]{7,}", query):
        return Person.phone == (rules.normalise_phone(query) or "")
    if rules.is_valid_person_code(query.upper()):
        return Person.person_code == query.upper()
    return Person.name == query


def _found(access: Access, where, query: str, limit: int) -> list[PersonView]:
    """The persons a search finds. The reach is the query itself (`where`, from the access
    layer's restriction), so every row found is in reach; each one shown is recorded."""
    query = query.strip()
    if not query:
        return []
    people = access.session.execute(select(Person).where(where, _person_match(query))
                                    .order_by(Person.id).limit(min(limit, 50))).scalars().all()
    views = [person_view(access, p, masked=True) for p in people]
    access.record(*[AuditEvent(P.PERSON_SEARCH, access.purpose(v.person_code), v.person_code,
                               "person", v.person_code, {"query_kind": "search"}) for v in views])
    return views


def search_persons(session: Session, actor: Actor, query: str, limit: int = 20) -> list[PersonView]:
    """Find persons by ID number, phone or name within the actor's jurisdiction; masked results."""
    access = Access(session, actor)
    where = and_(access.restrict_model(P.PERSON_SEARCH, Person),
                 access.serves_clause(Person.birth_date))
    return _found(access, where, query, limit)


def search_landlords(session: Session, actor: Actor, query: str,
                     limit: int = 20) -> list[PersonView]:
    """`search_persons`, also finding the landlords of houses the actor reaches wherever they
    live themselves (a grid worker looks up the landlords of their area); masked results."""
    access = Access(session, actor)
    lets_here = Person.person_code.in_(select(House.landlord_person_code).where(
        access.restrict_model(P.HOUSE_READ, House)))
    where = and_(or_(access.restrict_model(P.PERSON_SEARCH, Person), lets_here),
                 access.serves_clause(Person.birth_date))
    return _found(access, where, query, limit)


def create_person(session: Session, actor: Actor, data: PersonIn) -> PersonView:
    access = Access(session, actor)
    access.check(P.PERSON_CREATE, "辖区", division_code=actor.division_code,
                 landlord_code=actor.person_code)
    info = idnumber.parse_id_number(data.id_number, today=clock.today())
    sex = rules.normalise_sex(data.sex)
    if sex and sex != info.sex:
        raise ValidationError("sex_mismatch", "性别与身份证号码不一致",
                              "sex does not match the ID number", field="sex")
    rules.check_birth_date(data.birth_date, clock.today())
    if data.birth_date and data.birth_date != info.birth_date:
        raise ValidationError("birth_date_mismatch", "出生日期与身份证号码不一致",
                              "birth date does not match the ID number", field="birth_date")
    phone = rules.normalise_phone(data.phone)
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
        view = person_view(access, person).model_copy(update={"existing": False,
                                                              "warnings": warnings})
    return view


def _resolve_existing(access: Access, person: Person, name: str,
                      warnings: list[dict]) -> PersonView:
    """One person, one code: an ID number already recorded resolves to that person. Someone who
    reaches the person hears so as before. Anyone else must prove they hold the person's papers
    (a landlord with the tenant's ID card): the name must match the ID number; then the answer
    is the person code and nothing more. A mismatch says only that; both are audited."""
    event = AuditEvent(P.PERSON_CREATE, P.REGISTRATION_INTAKE, person.person_code, "person",
                       person.person_code, {"resolved": "existing"})
    if reaches_person(access, P.PERSON_READ, person):
        access.record(event)
        return PersonView(person_code=person.person_code, existing=True, warnings=warnings)
    if not rules.same_name(name, person.name):
        access.record_refusal(event, reason="name_id_mismatch")
        raise rules.name_id_mismatch()
    access.record(replace(event, detail={"resolved": "existing", "proved_by": "name"}))
    return PersonView(person_code=person.person_code, existing=True)


# --- for core: where a person lives, for access purposes ------------------------------------
def person_division(session: Session, person_code: str) -> str | None:
    """The division by which access to the person is decided, or None if there is no such
    person. Core's account binding (anju.core.accounts) asks this through the app and the CLI;
    it is no read of the person's data and returns nothing else."""
    return session.execute(select(Person.division_code).where(
        Person.person_code == person_code)).scalar()
