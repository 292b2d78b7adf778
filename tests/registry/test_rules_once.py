"""Rules once (issue 8, item 5), on both backends: the service and the bulk loads answer a broken
rule alike — the same code, field and message in both languages (a bulk load reports it as a
1-based `RowError` instead of raising) — and the county's room-capacity setting is obeyed by both.
"""
from __future__ import annotations

import re
from datetime import date

import pytest

from anju.core import clock
from anju.core.config import reset_settings_cache
from anju.core.errors import AnjuError, Conflict, RowError, ValidationError
from anju.core.identity import SYSTEM
from anju.registry import bulk, service
from anju.registry.bulk import BulkHouse, BulkRegistration
from anju.registry.schemas import HouseIn, RegistrationIn, RoomIn
from tests.factories import make_person, submit, valid_id


def _said(error: AnjuError | RowError) -> tuple:
    return error.code, error.field, error.message_zh, error.message_en


def _refused(world, call) -> AnjuError:
    with pytest.raises(AnjuError) as caught, world.db.unit_of_work() as s:
        call(s)
    return caught.value


def _row_error(world, load, actor, rows) -> RowError:
    with world.db.unit_of_work() as s:
        result = load(s, actor, rows)
    assert list(result) == [None] * len(rows)
    [error] = result.rejected
    assert error.row == 1
    return error


def test_an_overlapping_registration_is_refused_alike(world):
    """Today's bulk load answered 422 with its own words; now the service's 409 refusal, and told
    only to a loader who reaches the registration in the way, as the service tells it."""
    db, police = world.db, world.police
    tenant = make_person(db, police, "郑洁", id_number=valid_id("412721"))
    reg = submit(db, police, tenant, world.room_id)
    with db.unit_of_work() as s:
        service.approve_registration(s, police, reg)
    other_room = world.house["rooms"][1]["room_id"]
    start = date(2026, 2, 1)
    refused = _refused(world, lambda s: service.submit_registration(s, police, RegistrationIn(
        person_code=tenant, room_id=other_room, start_date=start, reason="work")))
    assert isinstance(refused, Conflict) and refused.http_status == 409
    row = BulkRegistration(tenant, other_room, start, "work", "submitted")
    reported = _row_error(world, bulk.load_registrations, police, [row])
    assert _said(reported) == _said(refused)
    assert str(reg) in reported.message_en  # the police reach it: they are told which
    # the console reads no registrations: it hears that there is one, as a stranger would
    unnamed = _row_error(world, bulk.load_registrations, SYSTEM, [row])
    assert unnamed.code == "registration_overlap"
    assert not re.search(r"\d", unnamed.message_zh + unnamed.message_en)


def test_a_permit_before_six_months_is_refused_alike(world):
    db, police = world.db, world.police
    tenant = make_person(db, police, "冯强", id_number=valid_id("412721"))
    reg = submit(db, police, tenant, world.room_id, start=date(2026, 10, 1))
    with db.unit_of_work() as s:
        service.approve_registration(s, police, reg)
    clock.pin_today(date(2026, 12, 1))
    refused = _refused(world, lambda s: service.issue_permit(s, police, tenant))
    assert isinstance(refused, Conflict) and refused.code == "permit_not_eligible"
    reported = _row_error(world, lambda s, a, rows: bulk.load_permits(s, a, rows, clock.today()),
                          police, [(tenant, reg)])
    assert _said(reported) == _said(refused) and "2027-04-01" in reported.message_zh


def test_a_house_in_a_whole_county_and_repeated_room_numbers_are_refused_alike(world):
    landlord = world.landlord.person_code

    def house(division: str, rooms) -> tuple[HouseIn, BulkHouse]:
        return (HouseIn(address="长兴县明珠路 9 号", division_code=division,
                        landlord_person_code=landlord,
                        rooms=[RoomIn(label=label, capacity=n) for label, n in rooms]),
                BulkHouse("长兴县明珠路 9 号", division, landlord, tuple(rooms)))

    for division, rooms, code in (("330522000000", [("1", 1)], "division_too_coarse"),
                                  ("330522001000", [("1", 1), ("1", 2)], "room_label_repeated")):
        one, many = house(division, rooms)
        refused = _refused(world, lambda s, one=one: service.create_house(s, world.police, one))
        assert isinstance(refused, ValidationError) and refused.code == code
        reported = _row_error(world, bulk.load_houses, world.police, [many])
        assert _said(reported) == _said(refused)


@pytest.fixture
def refusing_full_rooms(monkeypatch):
    """A county that refuses registrations past a room's capacity. The documented default
    accepts them with a warning (tests/registry/test_service.py)."""
    monkeypatch.setenv("ANJU_ROOM_CAPACITY_WARNING", "false")
    reset_settings_cache()


def test_a_county_that_refuses_full_rooms_refuses_in_the_service_and_in_bulk(
        world, refusing_full_rooms):
    db, police = world.db, world.police
    small = world.house["rooms"][1]["room_id"]  # capacity 1
    submit(db, police, make_person(db, police, "甲"), small)
    second = make_person(db, police, "乙")
    refused = _refused(world, lambda s: service.submit_registration(s, police, RegistrationIn(
        person_code=second, room_id=small, start_date=date(2026, 3, 1), reason="work")))
    assert isinstance(refused, Conflict) and refused.http_status == 409
    assert (refused.code, refused.field) == ("room_full", "room_id")
    assert "1" in refused.message_zh and "holds 1" in refused.message_en
    reported = _row_error(world, bulk.load_registrations, police, [
        BulkRegistration(second, small, date(2026, 3, 1), "work", "submitted")])
    assert _said(reported) == _said(refused)
    # history that occupies no room (ended) is loaded as ever; a room with space takes people
    # until it is full, counting those the same load put there
    roomy = world.room_id  # capacity 2
    third, fourth = make_person(db, police, "丙"), make_person(db, police, "丁")
    with db.unit_of_work() as s:
        loaded = bulk.load_registrations(s, police, [
            BulkRegistration(second, small, date(2024, 1, 1), "work", "ended",
                             end_date=date(2024, 12, 31)),
            *(BulkRegistration(code, roomy, date(2026, 3, 1), "work", "submitted")
              for code in (second, third, fourth))])
    assert all(loaded[:3]) and loaded[3] is None
    assert [(e.row, e.code) for e in loaded.rejected] == [(4, "room_full")]


def test_the_refusal_reaches_the_api_in_both_languages(client, world, refusing_full_rooms):
    from tests.factories import token

    db, police = world.db, world.police
    small = world.house["rooms"][1]["room_id"]
    submit(db, police, make_person(db, police, "甲"), small)
    response = client.post("/api/v1/registrations", headers=token(client, police.username),
                           json={"person_code": make_person(db, police, "乙"), "room_id": small,
                                 "start_date": "2026-03-01", "reason": "work"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "room_full" and error["field"] == "room_id"
    assert "不能再登记" in error["message_zh"] and "no one more" in error["message_en"]
