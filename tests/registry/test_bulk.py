"""Bulk loads (anju.registry.bulk) on both backends: counts, codes that resolve, bad rows
reported, re-runs idempotent, the audit chain intact."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from anju.core import audit, clock
from anju.core.errors import Forbidden, RowError, ValidationError
from anju.core.identity import SYSTEM
from anju.core.models import AuditRecord
from anju.registry import bulk, rules, service
from anju.registry.bulk import BulkHouse, BulkPerson, BulkRegistration
from anju.registry.models import House, Permit, PermitSerial, Person, Registration, Room
from tests.factories import COUNTY, TOWNSHIP, make_account, valid_id, verified

TODAY = date(2026, 11, 2)
VILLAGE = "330522002201"  # 画溪街道长桥村


@pytest.fixture(autouse=True)
def _today():
    clock.pin_today(TODAY)


def people(n: int, division: str = TOWNSHIP) -> list[BulkPerson]:
    return [BulkPerson(name=f"张{'伟芳娜敏静'[i % 5]}{i}", id_number=valid_id("341221", date(1985, 1, 1 + i % 28)),
                       phone=f"1380000{i:04d}", hukou_address="安徽省阜阳市临泉县城关镇",
                       division_code=division) for i in range(n)]


def count(db, model) -> int:
    with db.unit_of_work() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def audit_actions(db, action: str) -> int:
    with db.unit_of_work() as s:
        return s.execute(select(func.count()).select_from(AuditRecord)
                         .where(AuditRecord.action == action)).scalar_one()


def verify(db):
    return verified(db)


def test_persons_load_resolve_and_are_audited(db):
    rows = people(40)
    with db.unit_of_work() as s:
        codes = bulk.load_persons(s, SYSTEM, rows)
    assert codes.created == 40 and not codes.rejected
    assert len(set(codes)) == 40 and all(rules.is_valid_person_code(c) for c in codes)
    assert count(db, Person) == 40
    assert audit_actions(db, "person.import") == 40
    police = make_account(db, "police")
    with db.unit_of_work() as s:
        view = service.find_person_by_id_number(s, police, rows[7].id_number)
        assert view.person_code == codes[7] and view.name == rows[7].name
        assert view.id_number == rows[7].id_number and view.phone == rows[7].phone
        assert view.division_code == TOWNSHIP and view.hukou_division_code == "341221000000"
    assert verify(db).ok


def test_rerun_is_idempotent_and_repeats_resolve_to_one_person(db):
    rows = people(12)
    with db.unit_of_work() as s:
        first = bulk.load_persons(s, SYSTEM, rows)
    with db.unit_of_work() as s:
        again = bulk.load_persons(s, SYSTEM, rows + [rows[3]])
    assert list(again) == list(first) + [first[3]]
    assert again.created == 0 and again.existing == 13
    assert count(db, Person) == 12 and audit_actions(db, "person.import") == 12
    assert verify(db).ok


def test_bad_rows_are_reported_and_do_not_sink_the_batch(db):
    good = people(3)
    bad_checksum = good[0].id_number[:-1] + ("0" if good[0].id_number[-1] != "0" else "1")
    rows = [good[0],
            BulkPerson("李娜", bad_checksum, None, None, TOWNSHIP),
            BulkPerson("", valid_id(), None, None, TOWNSHIP),
            BulkPerson("王伟", valid_id(), "12345", None, TOWNSHIP),
            BulkPerson("王伟", valid_id(), None, None, "330599000000"),
            good[1],
            BulkPerson("刘洋", valid_id(), None, None, "330523000000"),  # 安吉县: not this police's
            good[2]]
    police = make_account(db, "police")
    with db.unit_of_work() as s:
        result = bulk.load_persons(s, police, rows)
    assert [i for i, code in enumerate(result) if code] == [0, 5, 7]
    # rows are told 1-based, as people count them (anju.core.errors.RowError)
    assert [(e.row, e.code) for e in result.rejected] == [
        (2, "id_checksum"), (3, "name_length"), (4, "phone_format"), (5, "division_unknown"),
        (7, "outside_jurisdiction")]
    assert all(e.message_zh and e.message_en for e in result.rejected)
    assert all(isinstance(e, RowError) for e in result.rejected)
    assert count(db, Person) == 3
    with pytest.raises(bulk.BulkRejected) as caught:
        result.raise_for_rejected()
    assert len(caught.value.rejected) == 5
    assert "第 2 行" in caught.value.message_zh and "row 2" in caught.value.message_en


def test_unknown_id_region_is_a_warning_not_a_rejection(db):
    with db.unit_of_work() as s:
        result = bulk.load_persons(s, SYSTEM, [BulkPerson(
            "古丽", valid_id("659999", date(1990, 1, 1)), None, None, TOWNSHIP)])
    assert result[0] and not result.rejected
    assert [w.code for w in result.warnings] == ["id_region_unknown"]


def test_only_importing_roles_may_load(db):
    for role in ("analyst", "auditor", "grid_worker"):
        actor = make_account(db, role, division=TOWNSHIP if role == "grid_worker" else COUNTY)
        with pytest.raises(Forbidden), db.unit_of_work() as s:
            bulk.load_persons(s, actor, people(1))
    steward = make_account(db, "data_steward")
    with db.unit_of_work() as s:
        assert bulk.load_persons(s, steward, people(2)).created == 2


def test_worker_pool_gives_the_same_answer_in_input_order(db, monkeypatch):
    monkeypatch.setattr(bulk.persons, "CHUNK", 7)
    rows = people(30)
    rows[11] = BulkPerson("坏", "123", None, None, TOWNSHIP)
    with db.unit_of_work() as s:
        result = bulk.load_persons(s, SYSTEM, rows, workers=2)
    assert result[11] is None and [e.row for e in result.rejected] == [12]
    with db.unit_of_work() as s:
        stored = dict(s.execute(select(Person.person_code, Person.name)).all())
    assert [stored[c] for c in result if c] == [r.name for i, r in enumerate(rows) if i != 11]
    assert verify(db).ok


def _county(db):
    with db.unit_of_work() as s:
        landlord, *tenants = bulk.load_persons(s, SYSTEM, people(6))
    houses = [BulkHouse("长兴县画溪街道长桥村 12 号", VILLAGE, landlord, (("101", 2), ("102", 1))),
              BulkHouse("长兴县雉城街道明珠路 8 号", TOWNSHIP, landlord, (("A", 4),))]
    with db.unit_of_work() as s:
        rooms = bulk.load_houses(s, SYSTEM, houses)
    return landlord, tenants, houses, rooms


def test_houses_load_and_rerun_returns_the_same_rooms(db):
    landlord, _, houses, rooms = _county(db)
    assert rooms.created == 2 and len(rooms[0]) == 2 and len(rooms[1]) == 1
    with db.unit_of_work() as s:
        again = bulk.load_houses(s, SYSTEM, houses + [
            BulkHouse("某地 1 号", VILLAGE, "P0000000000X", (("1", 1),)),
            BulkHouse("长兴县 1 号", "330522000000", landlord, (("1", 1),)),
            BulkHouse("长兴县 2 号", VILLAGE, landlord, (("1", 1), ("1", 2)))])
    assert list(again[:2]) == list(rooms) and again.created == 0
    assert [(e.row, e.code) for e in again.rejected] == [
        (4, "division_too_coarse"), (5, "room_label_repeated"), (3, "landlord_unknown")]
    assert count(db, House) == 2 and count(db, Room) == 3
    police = make_account(db, "police")
    with db.unit_of_work() as s:
        house = service.read_house(s, police, _house_of(s, rooms[0][0]))
    assert [r.room_id for r in house.rooms] == rooms[0] and house.division_code == VILLAGE


def _house_of(session, room_id: int) -> int:
    return session.get(Room, room_id).house_id


def test_registrations_in_every_state_then_permits(db):
    _, tenants, _, rooms = _county(db)
    long_ago, recent = date(2025, 3, 1), date(2026, 10, 1)
    regs = [BulkRegistration(tenants[0], rooms[0][0], long_ago, "work", "approved"),
            BulkRegistration(tenants[1], rooms[0][0], recent, "family", "submitted"),
            BulkRegistration(tenants[2], rooms[0][1], recent, "work", "rejected",
                             rejection_reason="房屋信息与实际不符"),
            BulkRegistration(tenants[3], rooms[1][0], long_ago, "work", "ended",
                             end_date=date(2025, 12, 31)),
            BulkRegistration(tenants[3], rooms[1][0], date(2026, 1, 1), "study", "approved"),
            # bad rows
            BulkRegistration(tenants[0], rooms[1][0], recent, "work", "submitted"),  # overlap
            BulkRegistration(tenants[4], rooms[1][0], recent, "work", "ended"),  # no end date
            BulkRegistration(tenants[4], rooms[1][0], recent, "work", "rejected"),  # no reason
            BulkRegistration(tenants[4], 999999, recent, "work", "submitted"),
            BulkRegistration("P0000000000X", rooms[1][0], recent, "work", "submitted"),
            BulkRegistration(tenants[4], rooms[1][0], date(2027, 6, 1), "work", "submitted"),
            BulkRegistration(tenants[4], rooms[1][0], recent, "tourism", "submitted")]
    with db.unit_of_work() as s:
        ids = bulk.load_registrations(s, SYSTEM, regs)
    assert all(ids[:5]) and ids[5:] == [None] * 7
    assert sorted((e.row, e.code) for e in ids.rejected) == [
        (6, "registration_overlap"), (7, "end_date_state"), (8, "rejection_reason_state"),
        (9, "room_unknown"), (10, "person_unknown"), (11, "start_in_future"),
        (12, "registration_code")]
    with db.unit_of_work() as s:
        again = bulk.load_registrations(s, SYSTEM, regs[:5])
        states = dict(s.execute(select(Registration.status, func.count())
                                .group_by(Registration.status)).all())
        moved = s.execute(select(Person.division_code)
                          .where(Person.person_code == tenants[0])).scalar_one()
    assert list(again) == list(ids[:5]) and again.created == 0
    assert states == {"approved": 2, "submitted": 1, "rejected": 1, "ended": 1}
    assert moved == VILLAGE  # the active registration's community manages the person now
    police = make_account(db, "police")
    with db.unit_of_work() as s:
        out = service.read_registration(s, police, ids[2])
        assert out.status == "rejected" and out.rejection_reason == "房屋信息与实际不符"
        assert service.permit_eligibility(s, police, tenants[0]).eligible

    pairs = [(tenants[0], ids[0]), (tenants[1], ids[1]), (tenants[3], ids[4]),
             (tenants[0], ids[0])]
    with db.unit_of_work() as s:
        permits = bulk.load_permits(s, SYSTEM, pairs, TODAY)
    assert permits[0] and permits[3] == permits[0] and permits[1] is None
    assert permits[0].startswith(f"{COUNTY}2026")
    assert permits[2] and permits[2] != permits[0]  # 2025 + 2026 spells join up: eligible
    assert [e.code for e in permits.rejected] == ["permit_registration"]
    with db.unit_of_work() as s:
        again = bulk.load_permits(s, SYSTEM, pairs[:1], TODAY)
        listed = service.list_permits(s, police, tenants[0])
    assert list(again) == [permits[0]] and count(db, Permit) == 2
    assert [p.permit_number for p in listed] == [permits[0]] and listed[0].status == "valid"
    with db.unit_of_work() as s:  # the service goes on numbering after the imported serials
        assert s.get(PermitSerial, f"{COUNTY}2026").last_serial == 2
    assert audit_actions(db, "registration.import") == 5
    assert audit_actions(db, "permit.import") == 2
    assert verify(db).ok


def test_permit_needs_six_months(db):
    _, tenants, _, rooms = _county(db)
    with db.unit_of_work() as s:
        ids = bulk.load_registrations(s, SYSTEM, [
            BulkRegistration(tenants[0], rooms[0][0], date(2026, 8, 1), "work", "approved")])
        result = bulk.load_permits(s, SYSTEM, [(tenants[0], ids[0])], TODAY)
    assert result == [None] and result.rejected[0].code == "permit_not_eligible"
    assert "2027-02-01" in result.rejected[0].message_zh
    with pytest.raises(ValidationError), db.unit_of_work() as s:
        bulk.load_permits(s, SYSTEM, [(tenants[0], ids[0])], date(2026, 11, 3))


def test_bulk_audit_entries_match_the_canonical_form(db):
    """The sealer formats entries with a template; it must equal audit.canonical exactly."""
    from anju.core.policy import Action, Purpose
    from anju.registry.policy import PERSON_IMPORT, REGISTRY_IMPORT

    odd = Action('q"\\', "怪", "odd")  # characters JSON must escape, in code and purpose alike
    events = [audit.AuditEvent(PERSON_IMPORT, REGISTRY_IMPORT, "P123", "person", "P123"),
              audit.AuditEvent(Action("x.y", "某事", "x"), Purpose("用途", "用途", "use"), None,
                               None, None, {"b": [1, "二"], "a": None}),
              audit.AuditEvent(odd, Purpose("p\n", "p", "p"), "P1", "t", "7", {})]
    police = make_account(db, "police")
    with db.unit_of_work() as s:
        assert audit.append_bulk(s, police, events) == 3
        audit.append(s, police, events[:1])  # the ORM path: sealed the same way
    with db.unit_of_work() as s:
        entries = s.execute(select(AuditRecord).order_by(AuditRecord.id)).scalars().all()
        assert [e.detail for e in entries] == [None, {"b": [1, "二"], "a": None}, {}, None]
        assert entries[1].at == entries[0].at and entries[0].account_id == police.account_id
    assert verify(db).ok and verify(db).checked == 4


def test_ids_are_handed_out_once_per_transaction(db, monkeypatch):
    """Keys come in blocks before anything is inserted; two blocks must never overlap."""
    from anju.core.db import allocate_ids

    with db.unit_of_work() as s:
        first, second = allocate_ids(s, "registrations", 3), allocate_ids(s, "registrations", 3)
    assert len(set(first + second)) == 6
    monkeypatch.setattr(bulk.common, "_ID_BLOCK", 2)
    _, tenants, _, rooms = _county(db)
    regs = [BulkRegistration(code, rooms[1][0], date(2026, 1, 1 + i), "work", "ended",
                             end_date=date(2026, 1, 1 + i)) for i, code in enumerate(tenants)]
    with db.unit_of_work() as s:
        ids = bulk.load_registrations(s, SYSTEM, regs)
    assert len(set(ids)) == 5 and count(db, Registration) == 5


def test_only_an_approved_row_moves_a_person(db):
    """Bulk loads follow the service's rule: a submitted, rejected or ended registration leaves
    the person where they were; an approved one places them at its house."""
    _, tenants, _, rooms = _county(db)
    recent = date(2026, 10, 1)
    with db.unit_of_work() as s:
        bulk.load_registrations(s, SYSTEM, [
            BulkRegistration(tenants[0], rooms[0][0], recent, "work", "approved"),
            BulkRegistration(tenants[1], rooms[0][0], recent, "work", "submitted"),
            BulkRegistration(tenants[2], rooms[0][1], recent, "work", "rejected",
                             rejection_reason="房屋信息与实际不符"),
            BulkRegistration(tenants[3], rooms[0][1], date(2025, 3, 1), "work", "ended",
                             end_date=date(2025, 12, 31))]).raise_for_rejected()
        placed = dict(s.execute(select(Person.person_code, Person.division_code)).all())
        base = dict(s.execute(select(Person.person_code, Person.base_division_code)).all())
    assert placed[tenants[0]] == VILLAGE
    assert [placed[t] for t in tenants[1:4]] == [TOWNSHIP] * 3  # today's code moved the first
    assert set(base.values()) == {TOWNSHIP}


def test_a_load_resolves_someone_elses_id_number_only_with_the_matching_name(db):
    """A loader limited to a jurisdiction (police of one township) meets an ID number recorded
    elsewhere: the code with the matching name, a rejected row (and an audited attempt) without."""
    rows = people(2, division="330522002000")  # 画溪街道: outside the township police's reach
    with db.unit_of_work() as s:
        elsewhere = bulk.load_persons(s, SYSTEM, rows)
    police = make_account(db, "police", division=TOWNSHIP)
    mine = BulkPerson("本镇人", valid_id("341221"), None, None, TOWNSHIP)
    with db.unit_of_work() as s:
        local = bulk.load_persons(s, police, [mine])
    with db.unit_of_work() as s:
        result = bulk.load_persons(s, police, [
            BulkPerson(rows[0].name, rows[0].id_number, None, None, TOWNSHIP),
            BulkPerson("冒名者", rows[1].id_number, None, None, TOWNSHIP),
            BulkPerson("另一个名字", mine.id_number, None, None, TOWNSHIP)])  # theirs: reached
    assert list(result) == [elsewhere[0], None, local[0]]
    assert [(e.row, e.code) for e in result.rejected] == [(2, "name_id_mismatch")]
    assert result.created == 0 and count(db, Person) == 3
    with db.unit_of_work() as s:
        by_police = dict(s.execute(select(AuditRecord.person_code, AuditRecord.detail).where(
            AuditRecord.username == police.username,
            AuditRecord.person_code.in_(list(elsewhere)))).all())
    assert by_police == {elsewhere[0]: {"resolved": "existing", "proved_by": "name"},
                         elsewhere[1]: {"outcome": "refused", "status": 422,
                                       "reason": "name_id_mismatch"}}
    assert verify(db).ok
